import { isIP } from 'node:net';
import {
	checkServerIdentity,
	createSecureContext,
	rootCertificates,
	type ConnectionOptions as TlsOptions,
	type SecureContext,
} from 'node:tls';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { PortRange } from './activeMode';
import { DEFAULTS } from '../defaults';
import { RemoteFailure } from '../failures';
import { parseHost, parsePort, parseTimeout } from '../settingsFields';
import { checkEncodable } from './wireEncoding';

export type Security = 'none' | 'explicit' | 'implicit';

/** Everything needed to open a connection, derived once from the `ftpAutomationApi` credential. */
export interface ConnectionSettings {
	/** Absent in settings made before SFTP existed: FTP. */
	protocol?: 'ftp';
	host: string;
	port: number;
	security: Security;
	user: string;
	password: string;
	anonymous: boolean;
	timeoutMs: number;
	/** Present unless security is `none`. */
	tls?: TlsOptions;
	/** SHA-256 fingerprint (AA:BB:...) the server certificate must have; replaces CA and name checks. */
	pinnedFingerprint?: string;
	/** Who opens data connections: we (passive) or the server (active). */
	dataConnection: 'passive' | 'active';
	/** Active mode: the address we listen on and announce; default our side of the control connection. */
	activeAddress?: string;
	/** Active mode: the ports we may listen on; default any free port. */
	activePorts?: PortRange;
	/** Where passive data connections go: the control connection's host, or the address in the PASV reply. */
	passiveAddress: 'controlHost' | 'serverReported';
	disableEpsv: boolean;
	/** How file names and commands are encoded on the control connection. */
	encoding: 'utf8' | 'latin1';
}

export const DEFAULT_ANONYMOUS_PASSWORD = 'anonymous@';

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

const USUAL_FTP_PORTS =
	'FTP usually listens on port 21 (plain or explicit FTPS); implicit FTPS usually on 990.';

function parseSecurity(value: unknown): Security {
	if (value === undefined || value === null || value === '') return 'explicit';
	if (value === 'none' || value === 'explicit' || value === 'implicit') return value;
	throw new RemoteFailure(
		'settings',
		`Unknown security mode "${String(value)}"`,
		'Choose None, Explicit FTPS or Implicit FTPS.',
	);
}

/** The credential's choice, or the first (default) one when unset. */
function oneOf<T extends string>(value: unknown, choices: readonly [T, ...T[]], label: string): T {
	if (value === undefined || value === null || value === '') return choices[0];
	if ((choices as readonly unknown[]).includes(value)) return value as T;
	throw new RemoteFailure(
		'settings',
		`Unknown ${label} "${String(value)}"`,
		`Choose one of: ${choices.join(', ')}.`,
	);
}

function parseActiveAddress(value: unknown): string | undefined {
	const address = text(value);
	if (address === '') return undefined;
	if (isIP(address) === 0) {
		throw new RemoteFailure(
			'settings',
			`The active-mode address "${address}" is not an IP address`,
			'Enter an IPv4 or IPv6 address of this n8n machine that the server can connect to, or leave it empty to use the address of the control connection.',
		);
	}
	return address;
}

/** `50000-50100`, or one port; empty for any free port. */
export function parsePortRange(value: unknown): PortRange | undefined {
	const written = typeof value === 'number' ? String(value) : text(value);
	if (written === '') return undefined;
	const match = /^(\d{1,5})\s*(?:-\s*(\d{1,5}))?$/.exec(written);
	const low = match ? Number(match[1]) : NaN;
	const high = match?.[2] !== undefined ? Number(match[2]) : low;
	if (!(low >= 1 && high <= 65535 && low <= high)) {
		throw new RemoteFailure(
			'settings',
			`The active-mode port range "${written}" is not valid`,
			'Enter two port numbers from 1 to 65535 with a dash, e.g. 50000-50100 (or a single port), or leave it empty for any free port.',
		);
	}
	return { low, high };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * The certificates in a PEM text, re-wrapped: password fields in the n8n editor are single-line, so a pasted
 * PEM may arrive with its line breaks turned into spaces or removed, which OpenSSL would not read.
 */
export function parsePemCertificates(pem: string): string[] {
	const certificates = [...pem.matchAll(PEM_CERTIFICATE)].map((match) => {
		const body = match[1].replace(/\s+/g, '');
		return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
	});
	if (certificates.length === 0) {
		throw new RemoteFailure(
			'settings',
			'The CA certificate is not in PEM format',
			'Paste the certificate including the lines "-----BEGIN CERTIFICATE-----" and "-----END CERTIFICATE-----".',
		);
	}
	return certificates;
}

/** Accepts the usual ways of writing a SHA-256 fingerprint (colons, spaces, any case, "SHA256:" prefix). */
export function parseFingerprint(value: unknown): string | undefined {
	const written = text(value);
	if (written === '') return undefined;
	const hex = written
		.replace(/^sha-?256[:=\s]*/i, '')
		.replace(/[\s:]/g, '')
		.toUpperCase();
	if (!/^[0-9A-F]{64}$/.test(hex)) {
		throw new RemoteFailure(
			'settings',
			`The certificate fingerprint "${written}" is not a SHA-256 fingerprint`,
			'Enter the 64 hexadecimal digits of the SHA-256 fingerprint, e.g. as shown by "openssl x509 -noout -fingerprint -sha256" (colons are optional). A failed connection also prints the fingerprint the server presented.',
		);
	}
	return hex.match(/../g)!.join(':');
}

function parseMinTlsVersion(value: unknown): 'TLSv1.2' | 'TLSv1.3' {
	if (value === undefined || value === null || value === '' || value === 'TLSv1.2')
		return 'TLSv1.2';
	if (value === 'TLSv1.3') return value;
	throw new RemoteFailure(
		'settings',
		`Unknown minimum TLS version "${String(value)}"`,
		'Choose TLS 1.2 or TLS 1.3.',
	);
}

function clientIdentity(
	credentials: ICredentialDataDecryptedObject,
): Pick<TlsOptions, 'cert' | 'key'> {
	const cert = text(credentials.clientCertificate);
	const key = text(credentials.clientPrivateKey);
	if (cert === '' && key === '') return {};
	if (cert === '' || key === '') {
		throw new RemoteFailure(
			'settings',
			`The client ${cert === '' ? 'certificate' : 'key'} is missing`,
			'For mutual TLS enter both the client certificate and its private key (PEM), or neither.',
		);
	}
	if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
		throw new RemoteFailure(
			'settings',
			'The client key is not a PEM private key',
			'Paste the unencrypted private key including its "-----BEGIN ... PRIVATE KEY-----" line.',
		);
	}
	return { cert: parsePemCertificates(cert).join(''), key: normalizePemKey(key) };
}

/** Like parsePemCertificates, for a private key pasted into a single-line field. */
function normalizePemKey(pem: string): string {
	const match = /(-----BEGIN ([A-Z ]*PRIVATE KEY)-----)([\s\S]*?)(-----END \2-----)/.exec(pem);
	if (!match) return pem;
	const body = match[3].replace(/\s+/g, '');
	return `${match[1]}\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n${match[4]}\n`;
}

function tlsOptions(
	credentials: ICredentialDataDecryptedObject,
	host: string,
	pinned: boolean,
): TlsOptions {
	const caCertificate = text(credentials.caCertificate);
	const serverName = text(credentials.serverName);
	const options: TlsOptions = {
		// A pinned fingerprint names the one certificate to accept; FtpSession checks it on every TLS connection.
		rejectUnauthorized: !pinned && credentials.allowUnauthorizedCerts !== true,
		minVersion: parseMinTlsVersion(credentials.minTlsVersion),
		...clientIdentity(credentials),
	};
	if (caCertificate !== '') {
		// Added to the public roots rather than replacing them, so a private CA does not break public servers.
		options.ca = [...rootCertificates, ...parsePemCertificates(caCertificate)];
	}
	const verifyAs = serverName !== '' ? serverName : host;
	// SNI must not carry an IP address (RFC 6066); the certificate is then checked against the IP itself.
	if (isIP(verifyAs) === 0) options.servername = verifyAs;
	// Node would check the certificate against the host we dial; with serverName set, check that name instead.
	if (serverName !== '')
		options.checkServerIdentity = (_dialedHost, certificate) =>
			checkServerIdentity(serverName, certificate);
	return options;
}

/**
 * USER and PASS are commands like any other: a line break would end them early, and a character the encoding
 * cannot carry would log in as someone else or cut the command. The password itself is never quoted.
 */
function checkLoginText(
	value: string,
	label: string,
	secret: boolean,
	encoding: ConnectionSettings['encoding'],
): void {
	if (/[\r\n\0]/.test(value)) {
		throw new RemoteFailure(
			'settings',
			`${label} contains a line break or NUL character, which FTP cannot carry`,
			`Re-enter ${label.toLowerCase()} in the credential without line breaks (a pasted value may end with one).`,
		);
	}
	checkEncodable(value, encoding, label, 'settings', secret);
}

/** Validates the credential and turns it into connection settings; throws RemoteFailure naming the bad field. */
export function toConnectionSettings(
	credentials: ICredentialDataDecryptedObject,
): ConnectionSettings {
	const security = parseSecurity(credentials.security);
	const host = parseHost(credentials.host, 'ftp');
	const port = parsePort(credentials.port, security === 'implicit' ? 990 : 21, USUAL_FTP_PORTS);
	const anonymous = credentials.anonymous === true;
	const settings: ConnectionSettings = {
		protocol: 'ftp',
		host,
		port,
		security,
		anonymous,
		user: anonymous ? 'anonymous' : text(credentials.username),
		password: anonymous
			? text(credentials.anonymousPassword) || DEFAULT_ANONYMOUS_PASSWORD
			: typeof credentials.password === 'string'
				? credentials.password
				: '',
		timeoutMs: parseTimeout(credentials.connectionTimeout, DEFAULTS.connectionTimeoutSeconds),
		dataConnection: oneOf(credentials.dataConnection, ['passive', 'active'], 'Data Connection'),
		passiveAddress: oneOf(
			credentials.passiveAddress,
			['controlHost', 'serverReported'],
			'Passive Address',
		),
		disableEpsv: credentials.disableEpsv === true,
		encoding: oneOf(credentials.encoding, ['utf8', 'latin1'], 'File Name Encoding'),
	};
	if (settings.dataConnection === 'active') {
		settings.activeAddress = parseActiveAddress(credentials.activeAddress);
		settings.activePorts = parsePortRange(credentials.activePortRange);
	}
	if (!anonymous && settings.user === '') {
		throw new RemoteFailure(
			'settings',
			'The credential has no username',
			'Enter the username, or turn on Anonymous Login if the server allows it.',
		);
	}
	checkLoginText(settings.user, 'The username', false, settings.encoding);
	checkLoginText(settings.password, 'The password', true, settings.encoding);
	if (security !== 'none') {
		settings.pinnedFingerprint = parseFingerprint(credentials.certificateFingerprint);
		settings.tls = tlsOptions(credentials, host, settings.pinnedFingerprint !== undefined);
	}
	return settings;
}

/**
 * Values that must never appear in a log line, an error or an output item: the password (also the anonymous one,
 * often an e-mail address) and the client's private key, each line of which is secret on its own.
 */
export function secretsOf(settings: ConnectionSettings): string[] {
	const key = typeof settings.tls?.key === 'string' ? settings.tls.key : '';
	const keyLines = key.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
	return [settings.password, key, ...keyLines].filter((secret) => secret.length > 0);
}

const secureContexts = new WeakMap<ConnectionSettings, SecureContext>();

/**
 * The options for every TLS connection of these settings (control and data), sharing one secure context. Without
 * it, Node builds a new context for each connection, parsing the CA list (all public roots plus CA Certificate) every
 * time: about 20 ms and a megabyte per data connection, which made 2,000 small FTPS downloads take 50 s instead of 6.
 */
export function tlsConnectOptions(settings: ConnectionSettings): TlsOptions | undefined {
	const tls = settings.tls;
	if (!tls) return undefined;
	let secureContext = secureContexts.get(settings);
	if (!secureContext) {
		const { ca, cert, key, minVersion, maxVersion } = tls;
		secureContext = createSecureContext({ ca, cert, key, minVersion, maxVersion });
		secureContexts.set(settings, secureContext);
	}
	return { ...tls, host: settings.host, secureContext };
}
