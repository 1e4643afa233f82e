export { FtpAutomationApi } from './credentials/FtpAutomationApi.credentials';
export { FtpAutomation } from './nodes/FtpAutomation/FtpAutomation.node';
export { FtpAutomationTrigger } from './nodes/FtpAutomation/FtpAutomationTrigger.node';
