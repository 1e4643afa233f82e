import type { Protocol } from '../contract';
import { FtpConnection } from './FtpConnection';
import { explainFailure, isTransientFtpError } from './ftpFailures';
import { secretsOf, type ConnectionSettings } from './settings';

/** FTP and FTPS (explicit and implicit TLS) over basic-ftp: the first implementation of the engine's contract. */
export const ftpProtocol: Protocol<ConnectionSettings> = {
	open: async (settings, note) => await FtpConnection.open(settings, note),
	explain: explainFailure,
	isTransient: isTransientFtpError,
	contextOf: ({ host, port, security, timeoutMs, dataConnection, anonymous }) => ({
		host,
		port,
		security,
		timeoutMs,
		dataConnection,
		anonymous,
	}),
	secretsOf,
};

export { FtpConnection } from './FtpConnection';
export { explainFailure, isTransientFtpError } from './ftpFailures';
export {
	secretsOf,
	toConnectionSettings,
	type ConnectionSettings,
	type Security,
} from './settings';
