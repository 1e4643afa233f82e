import { posix } from 'node:path';

import { RemoteFailure } from './failures';

const CONTROL_CHARACTERS: Record<string, string> = {
	'\r': 'a carriage return (CR)',
	'\n': 'a line feed (LF)',
	'\0': 'a NUL character',
};

/**
 * Rejects what no protocol may be sent in a path: CR or LF would end an FTP command early and let the rest of the
 * text run as a second command; NUL truncates names on many servers. What a protocol cannot carry beyond that (a
 * character the FTP control encoding lacks) its connection rejects (RemoteConnection.checkPath).
 */
export function checkPath(value: unknown, label = 'Path'): string {
	if (typeof value !== 'string' || value.trim() === '') {
		throw new RemoteFailure(
			'input',
			`${label} is empty`,
			`Enter the remote path, e.g. /inbound/report.csv.`,
		);
	}
	const bad = /[\r\n\0]/.exec(value);
	if (bad) {
		throw new RemoteFailure(
			'input',
			`${label} contains ${CONTROL_CHARACTERS[bad[0]]}, which is not allowed in a path: ${JSON.stringify(value)}`,
			'Remove line breaks and control characters from the path (an expression may have added a trailing newline; try .trim()).',
		);
	}
	return value;
}

/** Absolute, normalised remote path; relative paths start at the folder the server put us in after login. */
export function resolvePath(path: string, loginDirectory: string): string {
	return posix.resolve(loginDirectory, path);
}

export function baseName(path: string): string {
	return posix.basename(path);
}

export function parentOf(path: string): string {
	return posix.dirname(path);
}

export function joinPath(directory: string, name: string): string {
	return posix.join(directory, name);
}

/** Every folder from the top down to `path` itself, e.g. /a/b → ['/a', '/a/b']. */
export function ancestorsAndSelf(path: string): string[] {
	const parts = path.split('/').filter((part) => part !== '');
	return parts.map((_, index) => '/' + parts.slice(0, index + 1).join('/'));
}

/**
 * The folder a 257 reply names (RFC 959: in quotes, inner quotes doubled), normalised without a trailing slash;
 * undefined unless it is an absolute path.
 */
export function pathOfPwdReply(message: string): string | undefined {
	const quoted = /^257[ -]"((?:[^"]|"")*)"/.exec(message)?.[1];
	if (quoted === undefined) return undefined;
	const path = quoted.replace(/""/g, '"');
	if (!path.startsWith('/')) return undefined;
	return posix.normalize(path).replace(/(.)\/+$/, '$1');
}
