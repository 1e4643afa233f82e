/**
 * TLS failures against real vsftpd 3.0.3 instances (`scripts/ftp-servers.sh start-special`, see
 * test/interop/README.md): each failure must name its cause in the message and give the fix in the description,
 * must happen before the password is sent, and the fix the description names must then work against the same
 * server. Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/tlsFailures.test.ts`.
 */
import { X509Certificate } from 'crypto';
import { promises as fsp } from 'fs';
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

// The module object itself, so that jest can spy on tls.connect as basic-ftp calls it.
import nodeTls = require('tls');
import {
	onDisk,
	startSpecialServers,
	writeAsUser,
	type SpecialServer,
	type SpecialServers,
} from '../helpers/interopServers';
import { cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode, runWithLog } from '../helpers/nodeRun';
import { fixOf, logOf } from '../helpers/shownError';

let run: SpecialServers;

beforeAll(async () => {
	await initBinaryData();
	run = await startSpecialServers([
		'vsftpd-self-signed',
		'vsftpd-expired',
		'vsftpd-wrong-host',
		'vsftpd-mutual-tls',
		'vsftpd-plain-only',
		'vsftpd-tls-required',
		'vsftpd-tls12-only',
	]);
}, 120_000);

afterAll(async () => {
	await run?.stop();
	await cleanupBinaryData();
}, 60_000);

const LIST: INodeParameters = { operation: 'list', path: '/' };

function credentials(
	server: SpecialServer,
	security: 'none' | 'explicit',
	overrides: IDataObject = {},
): ICredentialDataDecryptedObject {
	return credentialsFor(server, security, overrides);
}

/** Fails the node, and checks that it never got as far as sending the user name or password. */
async function failsBeforeLogin(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters = LIST,
) {
	const error = await failingRun(credentials, parameters);
	expect(logOf(error)).not.toMatch(/> (USER|PASS)\b/);
	expect(`${error.message}\n${error.description ?? ''}`).not.toContain(
		String(credentials.password),
	);
	return error;
}

/**
 * Fails the node, and checks that the password never left and the user name went only over TLS to the verified
 * server: in TLS 1.3 the server judges the client certificate after the client's handshake is done, so its refusal
 * arrives as the answer to the first command, USER (it used to be an OPTS UTF8 ON that no ASCII login needs, no longer sent).
 */
async function failsBeforePassword(credentials: ICredentialDataDecryptedObject) {
	const error = await failingRun(credentials, LIST);
	const lines = logOf(error).split('\n');
	expect(lines.some((line) => / > PASS\b/.test(line))).toBe(false);
	const user = lines.findIndex((line) => / > USER\b/.test(line));
	const verified = lines.findIndex((line) =>
		/ TLS: TLSv1\.\d, .*, certificate verified$/.test(line),
	);
	expect(verified).toBeGreaterThan(-1);
	if (user !== -1) expect(user).toBeGreaterThan(verified);
	expect(`${error.message}\n${error.description ?? ''}`).not.toContain(
		String(credentials.password),
	);
	return error;
}

/** Upload, list and download through the node: control and data connections all work. */
async function roundTrip(
	server: SpecialServer,
	credentials: ICredentialDataDecryptedObject,
	name: string,
): Promise<void> {
	const content = `${name} via ${server.name}\n`;
	await runFtpNode(credentials, {
		operation: 'upload',
		path: `/${name}`,
		binaryData: false,
		fileContent: content,
	});
	expect(await fsp.readFile(onDisk(server, `/${name}`), 'utf8')).toBe(content);
	const listed = await runFtpNode(credentials, LIST);
	expect(listed.map((item) => item.json.name)).toContain(name);
	const [download] = await runFtpNode(credentials, { operation: 'download', path: `/${name}` });
	expect((await readBinary(download.binary!.data)).toString()).toBe(content);
}

describe('(a) expired server certificate', () => {
	it('names the expiry and says to renew; the same CA with a valid certificate works', async () => {
		const server = run.get('vsftpd-expired');
		const presented = new X509Certificate(server.certificate);
		expect(new Date(presented.validTo).getTime()).toBeLessThan(Date.now()); // the fixture really is expired
		expect(presented.checkIssued(new X509Certificate(run.serverCa))).toBe(true);

		const error = await failsBeforeLogin(credentials(server, 'explicit')); // caCertificate: the issuing CA
		expect(error.message).toBe(
			"The server's TLS certificate has expired (certificate has expired)",
		);
		expect(fixOf(error)).toMatch(
			/^Ask the server administrator to renew the certificate\. Until then you can pin this exact certificate/,
		);

		// Control: a valid certificate from the same CA (vsftpd-mutual-tls) is accepted with the same CA Certificate.
		const valid = run.get('vsftpd-mutual-tls');
		expect(valid.caCertificate).toBe(server.caCertificate);
		const handshake = await failingRun(credentials(valid, 'explicit'), LIST);
		expect(handshake.message).toMatch(/client certificate/); // got past certificate verification
	});
});

describe('(b) certificate for another host name', () => {
	it('names the mismatch; Server Name (TLS) set to the certificate name fixes it', async () => {
		const server = run.get('vsftpd-wrong-host');
		expect(new X509Certificate(server.certificate).subjectAltName).toBe('DNS:other.example');
		// The certificate itself is trusted (given as CA Certificate); only the name is wrong.
		const error = await failsBeforeLogin(credentials(server, 'explicit'));
		expect(error.message).toBe(
			'The server\'s TLS certificate is for a different name: the node expected "127.0.0.1", the certificate is for DNS:other.example',
		);
		expect(fixOf(error)).toContain(
			'Set Server Name (TLS) to a name the certificate is for (e.g. other.example)',
		);
		// The log tail shows the certificate itself, fetched without logging in.
		expect(logOf(error)).toContain('The server presented: subject CN=other.example;');

		await writeAsUser(server, '/named.txt', 'other.example');
		const listed = await runFtpNode(
			credentials(server, 'explicit', { serverName: 'other.example' }),
			LIST,
		);
		expect(listed.map((item) => item.json.name)).toEqual(['named.txt']);
	});
});

describe('(c) untrusted (self-signed) certificate', () => {
	it('names the distrust and points to CA Certificate; pasting the certificate there fixes it', async () => {
		const server = run.get('vsftpd-self-signed');
		const error = await failsBeforeLogin(credentials(server, 'explicit', { caCertificate: '' }));
		expect(error.message).toBe(
			"The server's TLS certificate is not trusted: self-signed certificate",
		);
		expect(fixOf(error)).toMatch(
			/^If the server uses a self-signed certificate or a private CA, paste that certificate \(PEM\) into CA Certificate, or pin it .*Avoid Ignore SSL Issues/,
		);

		await roundTrip(server, credentials(server, 'explicit'), 'trusted.txt');
	});
});

describe('(d) certificate pinning', () => {
	it('accepts the pinned certificate without CA Certificate (control connection: login, MKD, CWD)', async () => {
		const server = run.get('vsftpd-self-signed');
		const fingerprint = new X509Certificate(server.certificate).fingerprint256;
		const pinned = credentials(server, 'explicit', {
			caCertificate: '',
			certificateFingerprint: fingerprint,
		});
		const { output, log } = await runWithLog(pinned, {
			operation: 'createFolder',
			path: '/pinned/folder',
		});
		expect(output.map((item) => item.json)).toEqual([{ path: '/pinned/folder', created: true }]);
		expect(log).toMatch(/> PASS \*\*\*/); // logged in after the pin check (the password is redacted in the log)
		expect((await fsp.stat(onDisk(server, '/pinned/folder'))).isDirectory()).toBe(true);
		// Written as openssl prints it, with a prefix, lower case, without colons.
		const written = `SHA256:${fingerprint.replace(/:/g, '').toLowerCase()}`;
		const [again] = await runFtpNode(
			credentials(server, 'explicit', { caCertificate: '', certificateFingerprint: written }),
			{
				operation: 'createFolder',
				path: '/pinned/folder',
			},
		);
		expect(again.json).toEqual({ path: '/pinned/folder', created: false });
	});

	/*
	 * vsftpd requires data connections to resume the control connection's TLS session (require_ssl_reuse=YES); on a
	 * resumed session the server sends no certificate (Node's getPeerCertificate() returns {}), so the pin check
	 * accepts a resumed data connection: only the pinned server holds that session's secret.
	 */
	it('with a pin, transfers work over data connections that resume the pinned session (TLS 1.3)', async () => {
		const server = run.get('vsftpd-self-signed');
		const fingerprint = new X509Certificate(server.certificate).fingerprint256;
		const pinned = credentials(server, 'explicit', {
			caCertificate: '',
			certificateFingerprint: fingerprint,
		});
		await roundTrip(server, pinned, 'pinned.txt');
	});

	it('refuses another certificate before login and shows the fingerprint the server presented', async () => {
		const server = run.get('vsftpd-self-signed');
		const presented = new X509Certificate(server.certificate).fingerprint256;
		const expected = new X509Certificate(run.get('vsftpd-wrong-host').certificate).fingerprint256; // a real, different certificate
		expect(expected).not.toBe(presented);
		// Even with the server's certificate trusted as CA: the pin replaces the CA check.
		const error = await failsBeforeLogin(
			credentials(server, 'explicit', { certificateFingerprint: expected }),
		);
		expect(error.message).toBe(
			`The server's TLS certificate does not match the pinned fingerprint: expected ${expected}, the server presented ${presented}`,
		);
		expect(fixOf(error)).toContain('put the new fingerprint into Certificate Fingerprint');
	});
});

describe('(e) client certificate required (vsftpd require_cert=YES, validate_cert=YES)', () => {
	it('without a client certificate: names mutual TLS and asks for the client certificate and key', async () => {
		const server = run.get('vsftpd-mutual-tls');
		const error = await failsBeforePassword(credentials(server, 'explicit'));
		expect(error.message).toMatch(
			/^The server requires a client certificate it trusts \(mutual TLS\), and refused the TLS handshake \(.*alert certificate required/,
		);
		expect(fixOf(error)).toBe(
			"Enter the Client Certificate and Client Key (PEM) that the server's administrator issued for this account.",
		);
	});

	it('with a client certificate from another CA: the same explanation', async () => {
		const server = run.get('vsftpd-mutual-tls');
		const stranger = run.get('vsftpd-self-signed');
		const error = await failsBeforePassword(
			credentials(server, 'explicit', {
				clientCertificate: stranger.certificate,
				clientPrivateKey: stranger.privateKey,
			}),
		);
		expect(error.message).toMatch(
			/^The server requires a client certificate it trusts \(mutual TLS\), and refused the TLS handshake \(.*alert unknown ca/,
		);
		expect(fixOf(error)).toContain('Client Certificate');
	});

	it('with the client certificate signed by the CA the server trusts: upload, list and download work', async () => {
		const server = run.get('vsftpd-mutual-tls');
		await roundTrip(
			server,
			credentials(server, 'explicit', {
				clientCertificate: run.clientCertificate,
				clientPrivateKey: run.clientPrivateKey,
			}),
			'mutual.txt',
		);
	});
});

describe('(f) TLS requested from a plain-only server (vsftpd ssl_enable=NO)', () => {
	it('names the refused AUTH TLS and the alternatives; plain FTP works', async () => {
		const server = run.get('vsftpd-plain-only');
		const error = await failsBeforeLogin(credentials(server, 'explicit'));
		expect(error.message).toBe(
			'The server refused to start TLS (AUTH TLS) (server replied: 530 Please login with USER and PASS.)',
		);
		expect(fixOf(error)).toBe(
			'The server does not offer explicit FTPS on this port. If it offers implicit FTPS, choose Implicit FTPS (usually port 990); choose None only if you accept that the password and files travel unencrypted.',
		);

		await roundTrip(server, credentials(server, 'none'), 'plain.txt');
	});
});

describe('(g) plain login to a server that requires TLS (vsftpd force_local_logins_ssl=YES)', () => {
	it('names the TLS requirement and says to choose explicit FTPS; that works', async () => {
		const server = run.get('vsftpd-tls-required');
		const error = await failingRun(credentials(server, 'none'), LIST);
		expect(error.message).toBe(
			'The server requires TLS before login (server replied: 530 Non-anonymous sessions must use encryption.)',
		);
		expect(fixOf(error)).toBe('Set Security to Explicit FTPS (AUTH TLS) in the credential.');
		// The server refuses at USER, so the password is never sent in clear text.
		expect(logOf(error)).toMatch(/> USER ftpinterop/);
		expect(logOf(error)).not.toMatch(/> PASS/);

		await roundTrip(server, credentials(server, 'explicit'), 'encrypted.txt');
	});
});

describe('(h) minimum TLS 1.3 against a server limited to TLS 1.2', () => {
	it('names the missing common TLS version and points to Minimum TLS Version; the default (1.2) works', async () => {
		const server = run.get('vsftpd-tls12-only');
		const error = await failsBeforeLogin(
			credentials(server, 'explicit', { minTlsVersion: 'TLSv1.3' }),
		);
		expect(error.message).toMatch(
			/^The server and this node have no TLS version in common \(.*alert protocol version/,
		);
		expect(fixOf(error)).toContain('lower it to TLS 1.2');

		await writeAsUser(server, '/twelve.txt', 'tls 1.2 only');
		// The versions actually negotiated, read from the sockets when each handshake ends (independently of the log).
		const negotiated: Array<string | null> = [];
		const realConnect = nodeTls.connect;
		const connect = jest.spyOn(nodeTls, 'connect').mockImplementation(((
			...args: Parameters<typeof nodeTls.connect>
		) => {
			const socket = realConnect(...args);
			socket.once('secureConnect', () => negotiated.push(socket.getProtocol()));
			return socket;
		}) as typeof nodeTls.connect);
		try {
			const { output, log } = await runWithLog(credentials(server, 'explicit'), {
				operation: 'download',
				path: '/twelve.txt',
			});
			expect((await readBinary(output[0].binary!.data)).toString()).toBe('tls 1.2 only');
			expect(log).toMatch(/Control socket is using: TLSv1\.2/);
		} finally {
			connect.mockRestore();
		}
		expect(negotiated).toEqual(['TLSv1.2', 'TLSv1.2']); // the control connection (AUTH TLS) and the RETR data connection
	});
});
