import type { Protocol } from './contract';
import { ftpProtocol, type ConnectionSettings as FtpSettings } from './ftp';
import { sftpProtocol, type SftpSettings } from './sftp';

/** The settings of a connection, of whichever protocol the credential is for. */
export type ConnectionSettings = FtpSettings | SftpSettings;

/** The protocol that speaks to the server the settings describe (settings without `protocol` are FTP's). */
export function protocolFor(settings: ConnectionSettings): Protocol<ConnectionSettings> {
	// Each protocol only ever receives its own settings: the cast is what TypeScript cannot see.
	return (
		settings.protocol === 'sftp' ? sftpProtocol : ftpProtocol
	) as Protocol<ConnectionSettings>;
}
