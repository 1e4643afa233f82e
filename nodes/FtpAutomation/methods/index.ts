export { ftpAutomationApiTest } from './credentialTest';
