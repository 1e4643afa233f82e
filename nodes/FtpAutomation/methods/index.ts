export { ftpAutomationApiTest, sftpAutomationApiTest } from './credentialTest';
