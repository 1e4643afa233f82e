/** The reference clients, curl and lftp, against the bench's vsftpd: plain FTP, or explicit FTPS verified against its certificate. */
import { CA, FTP_PASSWORD, FTP_USER, PORT, type Security } from './config';
import { runOrThrow, type Finished } from './processes';

export function ftpUrl(remotePath: string): string {
	return `ftp://127.0.0.1:${PORT}${remotePath}`;
}

export function curlArgs(security: Security): string[] {
	// Passive mode (curl's default: EPSV, then PASV); curl 7.88 hangs on active mode over TLS.
	const args = ['-sS', '--fail', '--user', `${FTP_USER}:${FTP_PASSWORD}`];
	if (security === 'tls') args.push('--ssl-reqd', '--cacert', CA);
	return args;
}

function lftpSettings(security: Security): string {
	const common =
		'set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 60; set ftp:passive-mode yes; set xfer:clobber yes; set ftp:sync-mode no;';
	if (security === 'plain') return `${common} set ftp:ssl-allow no;`;
	return `${common} set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate yes; set ssl:ca-file ${CA};`;
}

export async function lftp(security: Security, commands: string, what: string): Promise<Finished> {
	return await runOrThrow(
		'lftp',
		[
			'-u',
			`${FTP_USER},${FTP_PASSWORD}`,
			'-p',
			String(PORT),
			'-e',
			`${lftpSettings(security)} ${commands}; quit`,
			'127.0.0.1',
		],
		what,
	);
}
