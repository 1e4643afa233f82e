import { RemoteFailure } from '../failures';

/** The failure when the server has no command that sets a file's modification time. */
export function cannotSetModifiedAt(path: string, detail = ''): RemoteFailure {
	return new RemoteFailure(
		'command',
		`The server cannot set modification times, so "${path}" would keep the time of its upload${detail === '' ? '' : ` (${detail})`}`,
		'Turn off Preserve Modification Time, or use a server that sets times (FTP: MFMT, as ProFTPD and pure-ftpd offer; SFTP: any server).',
	);
}

/**
 * A modification time as the user or an input item gave it (ISO 8601, or anything Date parses), as ISO 8601 in
 * UTC with whole seconds (no protocol sets fractions); undefined when it is not a time.
 */
export function modifiedAtOf(value: unknown): string | undefined {
	if (value instanceof Date) return modifiedAtOf(value.toISOString());
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	if (typeof value === 'string' && value.trim() === '') return undefined;
	const time = new Date(value);
	const milliseconds = time.getTime();
	if (
		!Number.isFinite(milliseconds) ||
		time.getUTCFullYear() < 1970 ||
		time.getUTCFullYear() > 9999
	)
		return undefined;
	return new Date(Math.floor(milliseconds / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** YYYYMMDDHHMMSS in UTC: the time format of MFMT and MDTM (RFC 3659). */
export function ftpTimeOf(isoTime: string): string {
	return new Date(isoTime).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
