import type { Protocol } from './contract';
import { ftpProtocol, type ConnectionSettings as FtpSettings } from './ftp';

/** The settings of a connection, of whichever protocol the credential is for. */
export type ConnectionSettings = FtpSettings;

/**
 * The protocol that speaks to the server connection settings describe. FTP/FTPS is the only one so far; a second
 * protocol adds a `protocol` field to the settings, and this is where it is read.
 */
export function protocolFor(): Protocol<ConnectionSettings> {
	return ftpProtocol;
}
