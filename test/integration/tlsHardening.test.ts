/**
 * Certificate pinning, minimum TLS version and client certificates (mutual TLS), against ftp-srv.
 * The same checks against vsftpd, ProFTPD and pure-ftpd belong to the interop suite.
 */
import { X509Certificate } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { TLSSocket } from 'tls';

import { testClientCertificate } from '../../tools/certificates';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';

let server: TestFtpServer;
let fingerprint: string;

beforeAll(async () => {
	await initBinaryData();
	server = await startFtpServer({ security: 'explicit' });
	fingerprint = new X509Certificate(server.certificate!.cert).fingerprint256;
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

describe('certificate pinning', () => {
	const pinned = (certificateFingerprint: string) =>
		credentialsFor(server, 'explicit', { caCertificate: '', certificateFingerprint });

	it('accepts the pinned self-signed certificate without a CA, on control and data connections', async () => {
		await runFtpNode(pinned(fingerprint), {
			operation: 'upload',
			path: '/pinned/a.txt',
			binaryData: false,
			fileContent: 'pinned',
		});
		const [download] = await runFtpNode(pinned(fingerprint), {
			operation: 'download',
			path: '/pinned/a.txt',
		});
		expect((await readBinary(download.binary!.data)).toString()).toBe('pinned');
	});

	it('accepts the fingerprint in lower case without colons', async () => {
		const written = fingerprint.replace(/:/g, '').toLowerCase();
		await expect(
			runFtpNode(pinned(written), { operation: 'list', path: '/' }),
		).resolves.toBeDefined();
	});

	it('refuses another certificate before logging in, and prints the one it saw', async () => {
		const other = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00');
		const error = await failingRun(pinned(other), { operation: 'list', path: '/' });
		expect(error.message).toBe(
			`The server's TLS certificate does not match the pinned fingerprint: expected ${other}, the server presented ${fingerprint}`,
		);
		expect(error.description).toContain('Certificate Fingerprint');
		expect(error.description).not.toContain('> USER');
		expect(error.description).not.toContain('> PASS');
	});

	it('checks the pin on the data connection too, and fails the transfer on a mismatch', async () => {
		await fsp.mkdir(path.join(server.root, 'pinned'), { recursive: true });
		await fsp.writeFile(path.join(server.root, 'pinned/b.txt'), 'never read');
		const stranger = `${'AA:'.repeat(31)}AA`;
		const realPeerCertificate = TLSSocket.prototype.getPeerCertificate;
		let calls = 0;
		// The control connection shows its real certificate; every later (data) connection shows a stranger's.
		const peek = jest.spyOn(TLSSocket.prototype, 'getPeerCertificate').mockImplementation(function (
			this: TLSSocket,
			detailed?: boolean,
		) {
			calls++;
			const certificate = realPeerCertificate.call(this, detailed as true);
			return calls === 1 ? certificate : { ...certificate, fingerprint256: stranger };
		});
		try {
			const error = await failingRun(pinned(fingerprint), {
				operation: 'download',
				path: '/pinned/b.txt',
			});
			expect(error.message).toContain(
				`does not match the pinned fingerprint: expected ${fingerprint}, the server presented ${stranger}`,
			);
			expect(calls).toBe(2);
		} finally {
			peek.mockRestore();
		}
	});

	it('rejects a fingerprint that is not SHA-256', async () => {
		const error = await failingRun(pinned('AB:CD'), { operation: 'list', path: '/' });
		expect(error.message).toBe('The certificate fingerprint "AB:CD" is not a SHA-256 fingerprint');
	});
});

describe('minimum TLS version', () => {
	let tls12Only: TestFtpServer;

	beforeAll(async () => {
		tls12Only = await startFtpServer({ security: 'explicit', tls: { maxVersion: 'TLSv1.2' } });
	});

	afterAll(async () => {
		await tls12Only.close();
	});

	it('connects with TLS 1.3 as the minimum when the server offers it', async () => {
		await expect(
			runFtpNode(credentialsFor(server, 'explicit', { minTlsVersion: 'TLSv1.3' }), {
				operation: 'list',
				path: '/',
			}),
		).resolves.toBeDefined();
	});

	it('explains a server that offers only older versions than the minimum', async () => {
		const error = await failingRun(
			credentialsFor(tls12Only, 'explicit', { minTlsVersion: 'TLSv1.3' }),
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toMatch(/^The server and this node have no TLS version in common/);
		expect(error.description).toContain('Minimum TLS Version');
		await expect(
			runFtpNode(credentialsFor(tls12Only, 'explicit'), { operation: 'list', path: '/' }),
		).resolves.toBeDefined();
	});
});

describe('client certificates (mutual TLS)', () => {
	let mutual: TestFtpServer;
	let client: { key: string; cert: string };

	beforeAll(async () => {
		client = await testClientCertificate();
		// Implicit TLS: ftp-srv passes requestCert only to its implicit-TLS listener.
		mutual = await startFtpServer({
			security: 'implicit',
			tls: { requestCert: true, rejectUnauthorized: true, ca: [client.cert] },
		});
	});

	afterAll(async () => {
		await mutual.close();
	});

	it('explains a server that requires a client certificate', async () => {
		const error = await failingRun(credentialsFor(mutual, 'implicit'), {
			operation: 'list',
			path: '/',
		});
		expect(error.message).toMatch(
			/^The server requires a client certificate it trusts \(mutual TLS\)/,
		);
		expect(error.description).toContain('Client Certificate');
	});

	it('works with the client certificate and key, even pasted on one line', async () => {
		const credentials = credentialsFor(mutual, 'implicit', {
			clientCertificate: client.cert.replace(/\n/g, ' '),
			clientPrivateKey: client.key.replace(/\n/g, ' '),
		});
		await runFtpNode(credentials, {
			operation: 'upload',
			path: '/mtls.txt',
			binaryData: false,
			fileContent: 'mutual',
		});
		expect(await fsp.readFile(path.join(mutual.root, 'mtls.txt'), 'utf8')).toBe('mutual');
	});

	it('asks for the missing half of a client identity', async () => {
		const error = await failingRun(
			credentialsFor(mutual, 'implicit', { clientCertificate: client.cert }),
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toBe('The client key is missing');
	});
});
