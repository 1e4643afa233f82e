import { RemoteFailure } from './failures';

/** The credential fields every protocol has (host, port, timeout), checked the same way for each. */

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

const SCHEME_HINTS = {
	ftp: {
		example: 'ftp.example.com',
		choose: 'choose TLS with the Security field',
		serverName: 'Enter the FTP server name or IP address, e.g. ftp.example.com.',
	},
	sftp: {
		example: 'sftp.example.com',
		choose: 'choose the protocol in the node',
		serverName: 'Enter the SFTP server name or IP address, e.g. sftp.example.com.',
	},
};

export function parseHost(value: unknown, protocol: 'ftp' | 'sftp'): string {
	const hints = SCHEME_HINTS[protocol];
	const host = text(value);
	if (host === '') {
		throw new RemoteFailure('settings', 'The credential has no host', hints.serverName);
	}
	const scheme = /^(s?ftps?|ftpes|ssh):\/\//i.exec(host);
	if (scheme) {
		throw new RemoteFailure(
			'settings',
			`The host "${host}" contains a URL scheme`,
			`Enter only the server name (e.g. ${host.slice(scheme[0].length).split(/[/:]/)[0] || hints.example}) and ${hints.choose}.`,
		);
	}
	if (/[\s/\\]/.test(host)) {
		throw new RemoteFailure(
			'settings',
			`The host "${host}" is not a valid host name`,
			'Enter only the server name or IP address, without spaces or slashes.',
		);
	}
	return host;
}

export function parsePort(value: unknown, usual: number, usualPorts: string): number {
	const port = value === undefined || value === null || value === '' ? usual : Number(value);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new RemoteFailure(
			'settings',
			`The port ${String(value)} is not valid: it must be a whole number from 1 to 65535`,
			usualPorts,
		);
	}
	return port;
}

export function parseTimeout(value: unknown, defaultSeconds: number): number {
	const seconds =
		value === undefined || value === null || value === '' ? defaultSeconds : Number(value);
	if (!Number.isFinite(seconds) || seconds <= 0) {
		throw new RemoteFailure(
			'settings',
			`The connection timeout ${String(value)} is not valid`,
			'Enter a number of seconds greater than 0, e.g. 30.',
		);
	}
	return Math.round(seconds * 1000);
}
