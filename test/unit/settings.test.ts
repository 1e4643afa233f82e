import {
	parsePemCertificates,
	secretsOf,
	tlsConnectOptions,
	toConnectionSettings,
} from '../../nodes/FtpAutomation/transport/ftp/settings';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';

const base = { host: 'ftp.example.com', port: 21, username: 'alice', password: 'pw' };

function failureOf(run: () => unknown): RemoteFailure {
	try {
		run();
	} catch (error) {
		if (error instanceof RemoteFailure) return error;
		throw error;
	}
	throw new Error('expected an RemoteFailure');
}

describe('toConnectionSettings', () => {
	it('defaults to explicit FTPS with certificate verification and a 30 s timeout', () => {
		const settings = toConnectionSettings(base);
		expect(settings.security).toBe('explicit');
		expect(settings.tls?.rejectUnauthorized).toBe(true);
		expect(settings.tls?.servername).toBe('ftp.example.com');
		expect(settings.tls?.ca).toBeUndefined();
		expect(settings.timeoutMs).toBe(30000);
		expect(settings.user).toBe('alice');
	});

	it('has no TLS options for plain FTP', () => {
		expect(toConnectionSettings({ ...base, security: 'none' }).tls).toBeUndefined();
	});

	it('maps insecure mode, timeout and implicit TLS', () => {
		const settings = toConnectionSettings({
			...base,
			security: 'implicit',
			port: 990,
			allowUnauthorizedCerts: true,
			connectionTimeout: 5,
		});
		expect(settings).toMatchObject({ security: 'implicit', port: 990, timeoutMs: 5000 });
		expect(settings.tls?.rejectUnauthorized).toBe(false);
	});

	it('logs in anonymously with the e-mail password, ignoring user and password fields', () => {
		expect(toConnectionSettings({ ...base, anonymous: true })).toMatchObject({
			user: 'anonymous',
			password: 'anonymous@',
			anonymous: true,
		});
		expect(
			toConnectionSettings({ ...base, anonymous: true, anonymousPassword: 'me@example.com' })
				.password,
		).toBe('me@example.com');
	});

	it.each([0, 65536, -1, 21.5, 'abc'])('rejects port %p naming the valid range', (port) => {
		const failure = failureOf(() => toConnectionSettings({ ...base, port }));
		expect(failure.step).toBe('settings');
		expect(failure.message).toContain('1 to 65535');
	});

	it('rejects an empty host and a host written as a URL', () => {
		expect(failureOf(() => toConnectionSettings({ ...base, host: '  ' })).message).toContain(
			'no host',
		);
		const url = failureOf(() =>
			toConnectionSettings({ ...base, host: 'ftps://files.example.com/in' }),
		);
		expect(url.message).toContain('URL scheme');
		expect(url.hint).toContain('files.example.com');
	});

	it('requires a username unless anonymous', () => {
		expect(failureOf(() => toConnectionSettings({ ...base, username: '' })).message).toContain(
			'no username',
		);
	});

	it('does not send an IP address as SNI name', () => {
		expect(toConnectionSettings({ ...base, host: '127.0.0.1' }).tls?.servername).toBeUndefined();
	});

	it('checks the certificate against serverName when it is set', () => {
		const settings = toConnectionSettings({
			...base,
			host: '10.0.0.5',
			serverName: 'files.example.com',
		});
		const check = settings.tls?.checkServerIdentity;
		expect(check).toBeDefined();
		const certificate = {
			subject: { CN: 'files.example.com' },
			subjectaltname: 'DNS:files.example.com',
		} as unknown as PeerCertificate;
		expect(check?.('10.0.0.5', certificate)).toBeUndefined();
		expect(checkServerIdentity('10.0.0.5', certificate)?.message).toContain('does not match');
	});

	it('adds a CA certificate to the public roots', () => {
		const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(100)}\n-----END CERTIFICATE-----`;
		const ca = toConnectionSettings({ ...base, caCertificate: pem }).tls?.ca as string[];
		expect(ca).toHaveLength(rootCertificates.length + 1);
	});

	it('rejects a CA certificate that is not PEM', () => {
		expect(
			failureOf(() => toConnectionSettings({ ...base, caCertificate: 'MIIB...' })).message,
		).toContain('PEM');
	});
});

describe('parsePemCertificates', () => {
	it('re-wraps a PEM whose line breaks were flattened by a single-line input', () => {
		const body = 'B'.repeat(130);
		const [certificate] = parsePemCertificates(
			`-----BEGIN CERTIFICATE----- ${body.slice(0, 64)} ${body.slice(64)} -----END CERTIFICATE-----`,
		);
		expect(certificate.split('\n')).toEqual([
			'-----BEGIN CERTIFICATE-----',
			body.slice(0, 64),
			body.slice(64, 128),
			body.slice(128),
			'-----END CERTIFICATE-----',
			'',
		]);
	});

	it('keeps every certificate of a chain', () => {
		const one = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
		expect(parsePemCertificates(`${one}\n${one}`)).toHaveLength(2);
	});
});

describe('data connection, encoding and TLS hardening settings', () => {
	it('defaults to the control host for PASV, EPSV first, UTF-8 and TLS 1.2', () => {
		const settings = toConnectionSettings(base);
		expect(settings).toMatchObject({
			passiveAddress: 'controlHost',
			disableEpsv: false,
			encoding: 'utf8',
		});
		expect(settings.tls?.minVersion).toBe('TLSv1.2');
		expect(settings.pinnedFingerprint).toBeUndefined();
	});

	it('maps the options', () => {
		const settings = toConnectionSettings({
			...base,
			passiveAddress: 'serverReported',
			disableEpsv: true,
			encoding: 'latin1',
			minTlsVersion: 'TLSv1.3',
		});
		expect(settings).toMatchObject({
			passiveAddress: 'serverReported',
			disableEpsv: true,
			encoding: 'latin1',
		});
		expect(settings.tls?.minVersion).toBe('TLSv1.3');
	});

	it('normalises a pinned fingerprint and stops relying on CAs for it', () => {
		const hex = 'ab'.repeat(32);
		const settings = toConnectionSettings({ ...base, certificateFingerprint: `SHA256: ${hex}` });
		expect(settings.pinnedFingerprint).toBe('AB:'.repeat(31) + 'AB');
		expect(settings.tls?.rejectUnauthorized).toBe(false);
	});

	it('ignores TLS-only fields for plain FTP', () => {
		expect(
			toConnectionSettings({ ...base, security: 'none', certificateFingerprint: 'nonsense' })
				.pinnedFingerprint,
		).toBeUndefined();
	});

	it.each([
		[{ encoding: 'cp1252' }, 'Unknown File Name Encoding "cp1252"'],
		[{ minTlsVersion: 'TLSv1.1' }, 'Unknown minimum TLS version "TLSv1.1"'],
		[
			{ clientPrivateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
			'The client certificate is missing',
		],
		[
			{
				clientCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
				clientPrivateKey: 'secret',
			},
			'The client key is not a PEM private key',
		],
	])('rejects %p', (fields, message) => {
		expect(failureOf(() => toConnectionSettings({ ...base, ...fields })).message).toBe(message);
	});
});

describe('secretsOf', () => {
	it('covers the password, the anonymous password, and the client key with each of its lines', async () => {
		const { testClientCertificate } = await import('../../tools/certificates');
		const client = await testClientCertificate();
		expect(secretsOf(toConnectionSettings({ ...base }))).toEqual(['pw']);
		expect(
			secretsOf(
				toConnectionSettings({ ...base, anonymous: true, anonymousPassword: 'ops@example.com' }),
			),
		).toEqual(['ops@example.com']);
		const withKey = secretsOf(
			toConnectionSettings({
				...base,
				security: 'explicit',
				clientCertificate: client.cert,
				clientPrivateKey: client.key,
			}),
		);
		const keyBody = client.key
			.split('\n')
			.filter((line) => line !== '' && !line.startsWith('-----'));
		expect(withKey).toEqual(expect.arrayContaining(['pw', ...keyBody]));
		expect(withKey.some((secret) => secret.includes('BEGIN PRIVATE KEY'))).toBe(true);
	});
});

describe('tlsConnectOptions', () => {
	it('gives every connection of one credential the same secure context, and none for plain FTP', () => {
		const settings = toConnectionSettings({
			host: 'ftp.example.com',
			security: 'explicit',
			username: 'u',
			password: 'p',
		});
		const first = tlsConnectOptions(settings);
		const second = tlsConnectOptions(settings);
		expect(first?.secureContext).toBeDefined();
		expect(second?.secureContext).toBe(first?.secureContext);
		expect(first).toMatchObject({
			host: 'ftp.example.com',
			servername: 'ftp.example.com',
			rejectUnauthorized: true,
		});
		expect(
			tlsConnectOptions(
				toConnectionSettings({
					host: 'ftp.example.com',
					security: 'explicit',
					username: 'u',
					password: 'p',
				}),
			)?.secureContext,
		).not.toBe(first?.secureContext);
		expect(
			tlsConnectOptions(
				toConnectionSettings({
					host: 'ftp.example.com',
					security: 'none',
					username: 'u',
					password: 'p',
				}),
			),
		).toBeUndefined();
	});
});
