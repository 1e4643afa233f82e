export { FtpAutomationApi } from './credentials/FtpAutomationApi.credentials';
export { SftpAutomationApi } from './credentials/SftpAutomationApi.credentials';
export { FtpAutomation } from './nodes/FtpAutomation/FtpAutomation.node';
export { FtpAutomationTrigger } from './nodes/FtpAutomation/FtpAutomationTrigger.node';
