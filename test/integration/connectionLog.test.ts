/**
 * The connection log as users see it: the `includeConnectionLog` option (each item's part of the work), the facts
 * it records (addresses, TLS version, cipher, certificate, data connections, transfer sizes and times), the same
 * lines at debug level in n8n's logger, and what it must never contain (the password, file contents).
 */
import { X509Certificate } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { IExecuteFunctions, INodeType } from 'n8n-workflow';

import { FtpAutomation } from '../../nodes/FtpAutomation/FtpAutomation.node';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, runNode } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';
import { logOf } from '../helpers/shownError';

const FILE_CONTENT = 'confidential-payload-7f3a\n';
let server: TestFtpServer;

beforeAll(async () => {
	await initBinaryData();
	server = await startFtpServer({ security: 'explicit' });
	await fsp.writeFile(path.join(server.root, 'a.csv'), FILE_CONTENT);
	await fsp.writeFile(path.join(server.root, 'b.csv'), FILE_CONTENT);
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

const TIMESTAMPED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
const twoDownloads = {
	parameters: {
		operation: 'download',
		path: '={{ $json.path }}',
		options: { includeConnectionLog: true },
	},
	items: [{ json: { path: '/a.csv' } }, { json: { path: '/b.csv' } }],
};

describe('includeConnectionLog', () => {
	it('is off by default: no connectionLog in the output', async () => {
		const [item] = await runFtpNode(credentialsFor(server, 'explicit'), {
			operation: 'download',
			path: '/a.csv',
		});
		expect(item.json).not.toHaveProperty('connectionLog');
	});

	it("gives each item its own part of the work, the first one's with connecting and logging in", async () => {
		const output = await runFtpNode(credentialsFor(server, 'explicit'), twoDownloads.parameters, {
			items: twoDownloads.items,
		});
		const [first, second] = output.map((item) => item.json.connectionLog as string[]);
		for (const line of [...first, ...second]) expect(line).toMatch(TIMESTAMPED);

		const firstText = first.join('\n');
		expect(firstText).toMatch(/Connecting to 127\.0\.0\.1:\d+ \(explicit FTPS\)/);
		expect(firstText).toMatch(/> PASS \*\*\*/);
		expect(firstText).toContain('> RETR /a.csv');
		expect(firstText).toContain(`Downloaded "/a.csv": ${FILE_CONTENT.length} bytes in `);
		expect(firstText).not.toContain('/b.csv');

		const secondText = second.join('\n');
		expect(secondText).not.toContain('Connecting to');
		expect(secondText).not.toContain('PASS');
		expect(secondText).toContain('> RETR /b.csv');
		expect(secondText).toContain(`Downloaded "/b.csv": ${FILE_CONTENT.length} bytes in `);
		expect(secondText).not.toContain('/a.csv');
	});

	it('records the resolved endpoints, TLS version, cipher and the certificate the server presented', async () => {
		const [item] = await runFtpNode(credentialsFor(server, 'explicit'), twoDownloads.parameters, {
			items: [twoDownloads.items[0]],
		});
		const log = (item.json.connectionLog as string[]).join('\n');
		const certificate = new X509Certificate(server.certificate!.cert);

		expect(log).toMatch(/Connected: 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+, greeting after \d+ ms/);
		expect(log).toMatch(/TLS: TLSv1\.3, cipher TLS_[A-Z0-9_]+, certificate verified/);
		expect(log).toContain(
			`Server certificate: subject CN=localhost; issuer CN=localhost; names ${certificate.subjectAltName}; valid ${certificate.validFrom} to ${certificate.validTo}; SHA-256 ${certificate.fingerprint256}`,
		);
		expect(log).toMatch(/Data connection \(passive\): 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+/);
		expect(log).toMatch(
			/Data connection TLS: TLSv1\.3, session (resumed|not resumed \(new handshake\))/,
		);
	});

	it('records active-mode data connections', async () => {
		const [item] = await runFtpNode(
			credentialsFor(server, 'explicit', { dataConnection: 'active' }),
			twoDownloads.parameters,
			{
				items: [twoDownloads.items[0]],
			},
		);
		const log = (item.json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/Active mode: listening on 127\.0\.0\.1:\d+/);
		expect(log).toMatch(/Data connection \(active\): 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+/);
	});

	it('summarises a listing instead of copying every name into the log', async () => {
		const [item] = await runFtpNode(credentialsFor(server, 'explicit'), {
			operation: 'list',
			path: '/',
			options: { includeConnectionLog: true },
		});
		const log = (item.json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/Listing received: 2 lines/);
		expect(log).not.toMatch(/-rw.* a\.csv/);
	});

	it('contains neither the password nor file contents, after an upload and a download', async () => {
		const credentials = credentialsFor(server, 'explicit');
		const uploaded = await runFtpNode(credentials, {
			operation: 'upload',
			path: '/up.txt',
			binaryData: false,
			fileContent: FILE_CONTENT,
			options: { includeConnectionLog: true },
		});
		const downloaded = await runFtpNode(credentials, {
			operation: 'download',
			path: '/up.txt',
			options: { includeConnectionLog: true },
		});
		const everything = JSON.stringify([uploaded, downloaded].flat().map((item) => item.json));
		expect(everything).toMatch(/Uploaded \\"\/\.up\.txt\.[0-9a-f]{8}\.part\\"/);
		expect(everything).toContain('Stored \\"/up.txt\\": 26 bytes, size confirmed by the server');
		expect(everything).not.toContain(server.password);
		expect(everything).not.toContain(FILE_CONTENT.trim());
	});
});

describe('says what is true of the connection', () => {
	/** The index of the first line matching `pattern`, asserting there is one. */
	function lineOf(lines: string[], pattern: RegExp): number {
		const index = lines.findIndex((line) => pattern.test(line));
		expect({ pattern: String(pattern), found: index >= 0 }).toEqual({
			pattern: String(pattern),
			found: true,
		});
		return index;
	}

	it('explicit FTPS, an ASCII login: plain text until AUTH TLS, OPTS UTF8 only after login, what the session offers', async () => {
		const anonymousServer = await startFtpServer({ security: 'explicit', allowAnonymous: true });
		try {
			await fsp.writeFile(path.join(anonymousServer.root, 'a.csv'), FILE_CONTENT);
			const credentials = credentialsFor(anonymousServer, 'explicit', {
				anonymous: true,
				username: '',
				password: '',
			});
			const [item] = await runFtpNode(credentials, {
				operation: 'list',
				path: '/',
				options: { includeConnectionLog: true },
			});
			expect(item.json.name).toBe('a.csv');
			const lines = item.json.connectionLog as string[];
			const log = lines.join('\n');
			expect(log).not.toContain('No encryption');
			const connected = lineOf(
				lines,
				/Connected to 127\.0\.0\.1:\d+ \(plain text until AUTH TLS\)$/,
			);
			expect(connected).toBeLessThan(lineOf(lines, /> AUTH TLS$/));
			expect(lineOf(lines, /> OPTS UTF8 ON$/)).toBeGreaterThan(lineOf(lines, /< 230 /));
			expect(lines.filter((line) => /> OPTS UTF8 ON$/.test(line))).toHaveLength(1);
			expect(log).toMatch(
				/Session ready: explicit FTPS \(TLSv1\.3\), working directory \/\. MLSD: no \(modification times via MDTM\)\.$/m,
			);
		} finally {
			await anonymousServer.close();
		}
	});

	it('a non-ASCII password: OPTS UTF8 ON before USER as well, so servers that honour it read it as UTF-8', async () => {
		expect(server.password).toContain('ä');
		const [item] = await runFtpNode(credentialsFor(server, 'explicit'), {
			operation: 'list',
			path: '/',
			options: { includeConnectionLog: true },
		});
		const lines = item.json.connectionLog as string[];
		expect(lineOf(lines, /> OPTS UTF8 ON$/)).toBeLessThan(lineOf(lines, /> USER tester$/));
	});

	it('a non-ASCII user name: OPTS UTF8 ON before USER; the refused login quotes the server', async () => {
		const error = await failingRun(credentialsFor(server, 'explicit', { username: 'jürgen' }), {
			operation: 'list',
			path: '/',
		});
		expect(error.message).toContain('Wrong username or password');
		const lines = logOf(error).split('\n');
		expect(lineOf(lines, /> OPTS UTF8 ON$/)).toBeLessThan(lineOf(lines, /> USER j\u00fcrgen$/));
	});
});

describe('a rejected certificate', () => {
	it.each(['explicit', 'implicit'] as const)(
		'%s FTPS: the error shows what was expected and the certificate the server presented, before any login',
		async (security) => {
			const tlsServer = security === 'explicit' ? server : await startFtpServer({ security });
			try {
				const error = await failingRun(credentialsFor(tlsServer, security, { caCertificate: '' }), {
					operation: 'list',
					path: '/',
				});
				const fingerprint = new X509Certificate(tlsServer.certificate!.cert).fingerprint256;
				expect(error.message).toContain('not trusted');
				const log = logOf(error);
				expect(log).toContain(
					'Expected a certificate for 127.0.0.1, trusted by the public CAs and valid now',
				);
				expect(log).toContain(`The server presented: subject CN=localhost; issuer CN=localhost;`);
				expect(log).toContain(`SHA-256 ${fingerprint}`);
				expect(log).not.toContain('USER');
				expect(error.description).toContain(
					'The last lines of the connection log are in the error details.',
				);
			} finally {
				if (tlsServer !== server) await tlsServer.close();
			}
		},
	);
});

describe("n8n's logger", () => {
	it('gets every connection-log line at debug level, with the option off', async () => {
		const node = new FtpAutomation();
		const debugLines: string[] = [];
		// The node under test, with a spy on the logger n8n's execution context hands it.
		const spied: INodeType = {
			description: node.description,
			async execute(this: IExecuteFunctions) {
				const debug = jest.spyOn(this.logger, 'debug').mockImplementation((message: string) => {
					debugLines.push(message);
				});
				try {
					return await node.execute.call(this);
				} finally {
					debug.mockRestore();
				}
			},
		};
		await runNode({
			nodeType: spied,
			parameters: { operation: 'download', path: '/a.csv' },
			credentials: { ftpAutomationApi: credentialsFor(server, 'explicit') },
		});
		const logged = debugLines.join('\n');
		expect(logged).toMatch(/Connecting to 127\.0\.0\.1:\d+ \(explicit FTPS\)/);
		expect(logged).toMatch(/TLS: TLSv1\.3, cipher /);
		expect(logged).toContain('> PASS ***');
		expect(logged).toContain(`Downloaded "/a.csv": ${FILE_CONTENT.length} bytes in `);
		expect(logged).not.toContain(server.password);
		expect(logged).not.toContain(FILE_CONTENT.trim());
	});
});
