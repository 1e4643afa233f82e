/**
 * Active-mode data connections (the server connects to us): against ftp-srv under plain FTP, explicit and implicit
 * FTPS, and against a scripted server on loopback for what ftp-srv cannot show: a stranger connecting first, PORT
 * refused (EPRT fallback), and a server that never connects. Real servers: test/interop/servers.test.ts.
 */
import { randomBytes } from 'crypto';
import { once } from 'events';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as path from 'path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { scriptedFtpServer } from '../helpers/fakeServers';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { binaryItem, cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runWithLog, sha256 } from '../helpers/nodeRun';

const MODES = ['none', 'explicit', 'implicit'] as const;
const servers = new Map<(typeof MODES)[number], TestFtpServer>();
const CONTENT = randomBytes(300 * 1024);

beforeAll(async () => {
	await initBinaryData();
	for (const security of MODES) {
		const server = await startFtpServer({ security });
		await fsp.mkdir(path.join(server.root, 'inbound'));
		await fsp.writeFile(path.join(server.root, 'inbound', 'data.bin'), CONTENT);
		servers.set(security, server);
	}
});

afterAll(async () => {
	for (const server of servers.values()) await server.close();
	await cleanupBinaryData();
});

afterEach(() => {
	jest.restoreAllMocks();
});

describe.each(MODES)('active mode against ftp-srv, security %s', (security) => {
	const active = () =>
		credentialsFor(servers.get(security)!, security, { dataConnection: 'active' });

	it('lists, downloads and uploads through connections the server opens to us', async () => {
		const server = servers.get(security)!;
		const listed = await runWithLog(active(), { operation: 'list', path: '/inbound' });
		expect(listed.output.map((item) => item.json.name)).toEqual(['data.bin']);
		expect(listed.log).toMatch(/> PORT 127,0,0,1,\d+,\d+/);
		expect(listed.log).not.toMatch(/> E?PASV|> EPSV/);
		expect(listed.log).toMatch(/Active mode: the server connected from 127\.0\.0\.1:\d+/);

		const downloaded = await runWithLog(active(), {
			operation: 'download',
			path: '/inbound/data.bin',
		});
		expect(sha256(await readBinary(downloaded.output[0].binary!.data))).toBe(sha256(CONTENT));

		const item = await binaryItem(CONTENT, 'up.bin');
		await runWithLog(active(), { operation: 'upload', path: '/outbound/up.bin' }, [item]);
		expect(sha256(await fsp.readFile(path.join(server.root, 'outbound', 'up.bin')))).toBe(
			sha256(CONTENT),
		);
	});

	if (security !== 'none') {
		it('speaks TLS on the data connection as the TLS client', async () => {
			const { log } = await runWithLog(active(), {
				operation: 'download',
				path: '/inbound/data.bin',
			});
			expect(log).toMatch(/Downloading from 127\.0\.0\.1:\d+\n.*Data connection TLS: TLSv1\.[23]/);
		});
	}
});

describe('active mode settings', () => {
	it('listens only on a port of the configured range', async () => {
		const probe = net.createServer().listen(0, '127.0.0.1');
		await once(probe, 'listening');
		const port = (probe.address() as net.AddressInfo).port;
		probe.close();
		const { output, log } = await runWithLog(
			credentialsFor(servers.get('none')!, 'none', {
				dataConnection: 'active',
				activePortRange: `${port}-${port}`,
			}),
			{ operation: 'download', path: '/inbound/data.bin' },
		);
		expect(sha256(await readBinary(output[0].binary!.data))).toBe(sha256(CONTENT));
		expect(log).toContain(`Active mode: listening on 127.0.0.1:${port}`);
		expect(log).toContain(`> PORT 127,0,0,1,${port >> 8},${port & 255}`);
	});

	it('says so when every port of the range is taken', async () => {
		const busy = net.createServer().listen(0, '127.0.0.1');
		await once(busy, 'listening');
		const port = (busy.address() as net.AddressInfo).port;
		try {
			const error = await failingRun(
				credentialsFor(servers.get('none')!, 'none', {
					dataConnection: 'active',
					activePortRange: String(port),
				}),
				{ operation: 'list', path: '/inbound' },
			);
			expect(error.message).toContain(
				`Active mode found no free port in ${port}-${port} on 127.0.0.1`,
			);
			expect(error.description).toContain('widen the range, or leave it empty');
		} finally {
			busy.close();
		}
	});

	it('explains an Active Mode Address that is not one of this machine', async () => {
		// 192.0.2.0/24 is reserved for documentation: no interface here has it, so listening fails at once.
		const error = await failingRun(
			credentialsFor(servers.get('none')!, 'none', {
				dataConnection: 'active',
				activeAddress: '192.0.2.10',
			}),
			{ operation: 'list', path: '/inbound' },
		);
		expect(error.message).toMatch(/^Active mode cannot listen on 192\.0\.2\.10: .*EADDRNOTAVAIL/);
		expect(error.description).toContain(
			'Active Mode Address must be an IP address of this n8n machine',
		);
	});

	it.each([
		['activePortRange', '70000-70010', 'The active-mode port range "70000-70010" is not valid'],
		['activePortRange', '5000-4000', 'The active-mode port range "5000-4000" is not valid'],
		['activeAddress', 'my-laptop', 'The active-mode address "my-laptop" is not an IP address'],
	])('rejects %s %s before connecting', async (field, value, message) => {
		const error = await failingRun(
			credentialsFor(servers.get('none')!, 'none', { dataConnection: 'active', [field]: value }),
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toBe(message);
	});
});

/**
 * Runs `test` against fakeServers' scripted server, which answers LIST with `onTransfer` (default: `serveListing`),
 * given the address the client announced with PORT or EPRT; with `refusePort`, PORT is refused as servers without it do.
 */
async function withScriptedServer(
	script: {
		host?: '127.0.0.1' | '::1';
		refusePort?: boolean;
		onTransfer?: (
			target: { host: string; port: number },
			reply: (line: string) => void,
		) => Promise<void>;
	},
	test: (server: {
		commands: string[];
		credentials: (overrides?: IDataObject) => ICredentialDataDecryptedObject;
	}) => Promise<void>,
): Promise<void> {
	const onTransfer = script.onTransfer ?? serveListing;
	const server = await scriptedFtpServer({
		host: script.host,
		replies: {
			...(script.refusePort ? { PORT: '500 PORT not understood' } : {}),
			LIST: async (session) =>
				await onTransfer(session.activeTarget!, (line) => session.reply(line)),
		},
	});
	try {
		await test({
			commands: server.commands,
			credentials: (overrides = {}) =>
				credentialsFor(
					{
						host: server.host,
						port: server.port,
						username: 'scripted-user',
						password: 'scripted-Pass-9',
						caCertificate: '',
					},
					'none',
					{ dataConnection: 'active', connectionTimeout: 2, ...overrides },
				),
		});
	} finally {
		await server.close();
	}
}

/** Connects to the client's listener and sends a one-line listing. */
async function sendListing(target: { host: string; port: number }, from?: string): Promise<void> {
	const data = net.connect({ host: target.host, port: target.port, localAddress: from });
	await once(data, 'connect');
	data.end('-rw-r--r-- 1 u g 4 Jan 01 2024 hello.txt\r\n');
	await once(data, 'close');
}

/** What a server does for LIST in active mode: 150, the listing over its connection to the client, 226. */
async function serveListing(
	target: { host: string; port: number },
	reply: (line: string) => void,
): Promise<void> {
	reply('150 here it comes');
	await sendListing(target);
	reply('226 done');
}

describe('active mode against a scripted server', () => {
	it('refuses a connection from another address and accepts the server', async () => {
		const stranger: { closedBeforeData?: boolean } = {};
		await withScriptedServer(
			{
				onTransfer: async (target, reply) => {
					// 127.0.0.2 is on the loopback interface but is not the server's address.
					const intruder = net.connect({
						host: target.host,
						port: target.port,
						localAddress: '127.0.0.2',
					});
					intruder.on('error', () => undefined);
					intruder.on('data', () => (stranger.closedBeforeData = false));
					await once(intruder, 'close');
					stranger.closedBeforeData ??= true;
					reply('150 here it comes');
					await sendListing(target);
					reply('226 done');
				},
			},
			async (server) => {
				const { output, log } = await runWithLog(server.credentials(), {
					operation: 'list',
					path: '/',
				});
				expect(output.map((item) => item.json.name)).toEqual(['hello.txt']);
				expect(stranger.closedBeforeData).toBe(true);
				expect(log).toMatch(
					/Active mode: refused a data connection from 127\.0\.0\.2:\d+ \(expected the server, 127\.0\.0\.1\)/,
				);
			},
		);
	});

	it('explains a server that cannot connect back (425) with the active-mode fix', async () => {
		await withScriptedServer(
			{
				onTransfer: async (_target, reply) => {
					reply("425 Can't open data connection.");
				},
			},
			async (server) => {
				const error = await failingRun(server.credentials(), { operation: 'list', path: '/' });
				expect(error.message).toContain(
					"The data connection could not be opened or was closed (server replied: 425 Can't open data connection.)",
				);
				expect(error.description).toContain('Set Data Connection to Passive');
			},
		);
	});

	it('announces an IPv6 address with EPRT |2| (no PORT), over IPv6 loopback', async () => {
		await withScriptedServer(
			{
				host: '::1',
			},
			async (server) => {
				const { output, log } = await runWithLog(server.credentials(), {
					operation: 'list',
					path: '/',
				});
				expect(output.map((item) => item.json.name)).toEqual(['hello.txt']);
				expect(server.commands.filter((command) => /^(PORT|EPRT)/.test(command))).toEqual([
					expect.stringMatching(/^EPRT \|2\|::1\|\d+\|$/),
				]);
				expect(log).toMatch(/Active mode: the server connected from ::1:\d+/);
			},
		);
	});

	it('closes the connection the server opened when the server then refuses the transfer', async () => {
		let closedByClient: Promise<unknown> | undefined;
		await withScriptedServer(
			{
				onTransfer: async (target, reply) => {
					const data = net.connect({ host: target.host, port: target.port });
					data.on('error', () => undefined);
					await once(data, 'connect');
					closedByClient = once(data, 'close');
					reply('550 No such file or directory.');
				},
			},
			async (server) => {
				const error = await failingRun(server.credentials(), { operation: 'list', path: '/' });
				expect(error.message).toContain('550 No such file or directory.');
				expect(closedByClient).toBeDefined(); // the server did connect
				const stillOpen = new Promise((resolve) =>
					setTimeout(() => resolve('still open after 3 s'), 3000).unref(),
				);
				expect(await Promise.race([closedByClient!.then(() => 'closed'), stillOpen])).toBe(
					'closed',
				);
			},
		);
	});

	it('falls back to EPRT when the server refuses PORT', async () => {
		await withScriptedServer(
			{
				refusePort: true,
			},
			async (server) => {
				const { output } = await runWithLog(server.credentials(), { operation: 'list', path: '/' });
				expect(output.map((item) => item.json.name)).toEqual(['hello.txt']);
				expect(server.commands.filter((command) => /^(PORT|EPRT)/.test(command))).toEqual([
					expect.stringMatching(/^PORT 127,0,0,1,\d+,\d+$/),
					expect.stringMatching(/^EPRT \|1\|127\.0\.0\.1\|\d+\|$/),
				]);
			},
		);
	});

	it('fails with the address it waited on when the server never connects', async () => {
		await withScriptedServer(
			{
				onTransfer: async (_target, reply) => {
					reply('150 here it comes');
				},
			},
			async (server) => {
				const error = await failingRun(server.credentials(), { operation: 'list', path: '/' });
				expect(error.message).toMatch(
					/the server did not open the active-mode data connection to 127\.0\.0\.1:\d+ within 2 s/,
				);
				expect(error.description).toContain('In active mode the server connects back to n8n');
				expect(error.description).toContain('Set Data Connection to Passive');
			},
		);
	});
});
