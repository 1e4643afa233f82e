/** basic-ftp's log lines, worded as they are true for this connection. */
import type { Security } from './settings';

/** basic-ftp's own log lines during a LIST; anything else it logs then is the listing text itself. */
export const LIST_PROTOCOL_LINE =
	/^([<>] |Downloading from |Trying to find|Optimal transfer|Active mode|Passive mode|PORT was refused|Invalid filename)/;

/** What basic-ftp says of a connection before TLS, per Security setting. */
const BEFORE_TLS = {
	none: 'not encrypted: plain FTP',
	explicit: 'plain text until AUTH TLS',
	implicit: 'before the TLS handshake',
};

/** A line of basic-ftp's log as it is true for this connection. */
export function plainWords(message: string, security: Security): string {
	return (
		message
			// "No encryption" is only the state before AUTH TLS on an explicit FTPS connection.
			.replace(/^(Connected to \S+) \(No encryption\)$/, `$1 (${BEFORE_TLS[security]})`)
			// basic-ftp names the data connection's TLS version before its handshake, i.e. the highest one offered;
			// the negotiated one is logged when the handshake ends ("Data connection TLS: ...").
			.replace(/^((?:Downloading from|Uploading to) \S+) \(TLS[^)]*\)$/, '$1')
	);
}

/** Whether a text has characters outside ASCII: the only case where a server's UTF-8 mode matters for login. */
export function hasNonAscii(text: string): boolean {
	return [...text].some((character) => character.charCodeAt(0) > 0x7f);
}
