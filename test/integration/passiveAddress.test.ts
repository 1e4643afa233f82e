/**
 * Passive Address against a scripted server whose PASV reply names another address than the control host's:
 * 10.99.0.1, not loopback, as a server behind NAT reports its private address (basic-ftp lets any 127.x address
 * through as loopback, so only a non-loopback address shows what the node does with it), or 127.0.0.2 for
 * "Address Reported by the Server". The server's data listener is always on loopback.
 *
 * Nothing here may contact 10.99.0.1: every connection attempt goes through a spy on net.Socket.prototype.connect,
 * which records it and refuses one to 10.99.0.1 before a packet is sent, whatever the code under test does.
 */
import { randomBytes } from 'crypto';
import { once } from 'events';
import * as net from 'net';
import type { INodeExecutionData } from 'n8n-workflow';

import {
	scriptedFtpServer,
	type ScriptedFtpServer,
	type ScriptedSession,
} from '../helpers/fakeServers';
import { binaryItem, cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, runFtpNode, sha256 } from '../helpers/nodeRun';

const UNREACHABLE = '10.99.0.1';
const REPORT = randomBytes(200 * 1024);
const UPLOAD = randomBytes(150 * 1024);

/** `host:port` of every connection attempted in this process during the current test. */
let attempted: string[] = [];

/** The host and port of a `Socket#connect` call, in any of its forms (net.connect passes its arguments as one array). */
function targetOf(args: unknown[]): { host: string; port: unknown } {
	const [first, second] = args;
	if (Array.isArray(first)) return targetOf(first);
	if (typeof first === 'object' && first !== null) {
		const options = first as { host?: string; port?: unknown; path?: string };
		return { host: options.host ?? options.path ?? 'localhost', port: options.port };
	}
	return { host: typeof second === 'string' ? second : 'localhost', port: first };
}

beforeAll(async () => {
	await initBinaryData();
});

afterAll(async () => {
	await cleanupBinaryData();
});

beforeEach(() => {
	attempted = [];
	const realConnect = net.Socket.prototype.connect;
	jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
		this: net.Socket,
		...args: unknown[]
	) {
		const { host, port } = targetOf(args);
		attempted.push(`${host}:${String(port)}`);
		if (host === UNREACHABLE) {
			this.destroy(new Error(`refused by the test: no connection to ${UNREACHABLE}`));
			return this;
		}
		return (realConnect as (...connectArgs: unknown[]) => net.Socket).apply(this, args);
	});
});

afterEach(() => {
	jest.restoreAllMocks();
});

interface PassiveServer {
	server: ScriptedFtpServer;
	/** The files it holds, by the path in RETR/STOR. */
	files: Map<string, Buffer>;
	/** Where each data connection arrived, as `address:port` of the server's listener. */
	dataConnections: string[];
	/** The port of each PASV reply, in order. */
	pasvPorts: number[];
	credentials(overrides?: Record<string, unknown>): ReturnType<typeof credentialsFor>;
}

/**
 * A scripted server that holds files in memory and answers PASV with `report` as its address, while its data
 * listener is on `listenOn`; EPSV is answered with `epsv` if given, else for real on 127.0.0.1.
 */
async function withPassiveServer(
	options: { report: string; listenOn: '127.0.0.1' | '127.0.0.2'; epsv?: string },
	test: (passive: PassiveServer) => Promise<void>,
): Promise<void> {
	const files = new Map<string, Buffer>([['/report.bin', REPORT]]);
	const dataConnections: string[] = [];
	const pasvPorts: number[] = [];
	const listeners = new Set<net.Server>();
	const sockets = new Set<net.Socket>();
	const nextData = new WeakMap<ScriptedSession, Promise<net.Socket>>();
	let renaming: string | undefined;

	const dataConnectionOf = async (session: ScriptedSession): Promise<net.Socket> => {
		const data = nextData.get(session);
		if (!data) throw new Error('no PASV before the transfer');
		nextData.delete(session);
		return await data;
	};
	const server = await scriptedFtpServer({
		replies: {
			...(options.epsv ? { EPSV: options.epsv } : {}),
			PASV: async (session) => {
				const listener = net.createServer();
				listeners.add(listener);
				listener.listen(0, options.listenOn);
				await once(listener, 'listening');
				const { port } = listener.address() as net.AddressInfo;
				pasvPorts.push(port);
				nextData.set(
					session,
					new Promise((resolve) =>
						listener.once('connection', (socket: net.Socket) => {
							sockets.add(socket);
							socket.on('error', () => undefined);
							dataConnections.push(`${socket.localAddress}:${socket.localPort}`);
							listener.close();
							resolve(socket);
						}),
					),
				);
				session.reply(
					`227 Entering Passive Mode (${options.report.split('.').join(',')},${port >> 8},${port & 255}).`,
				);
			},
			LIST: async (session) => {
				const data = await dataConnectionOf(session);
				session.reply('150 Here comes the directory listing.');
				const lines = [...files].map(
					([path, content]) =>
						`-rw-r--r--    1 1000     1000     ${content.length} Jan 01 12:00 ${path.slice(1)}\r\n`,
				);
				data.end(lines.join(''));
				await once(data, 'close');
				session.reply('226 Directory send OK.');
			},
			RETR: async (session, path) => {
				const content = files.get(path);
				if (!content) return session.reply('550 Failed to open file.');
				const data = await dataConnectionOf(session);
				session.reply(
					`150 Opening BINARY mode data connection for ${path} (${content.length} bytes).`,
				);
				data.end(content);
				await once(data, 'close');
				session.reply('226 Transfer complete.');
			},
			STOR: async (session, path) => {
				const data = await dataConnectionOf(session);
				session.reply('150 Ok to send data.');
				const chunks: Buffer[] = [];
				data.on('data', (chunk: Buffer) => chunks.push(chunk));
				await once(data, 'end');
				files.set(path, Buffer.concat(chunks));
				session.reply('226 Transfer complete.');
			},
			RNFR: (session, path) => {
				renaming = files.has(path) ? path : undefined;
				session.reply(renaming ? '350 Ready for RNTO.' : '550 RNFR command failed.');
			},
			RNTO: (session, path) => {
				if (!renaming) return session.reply('503 RNFR required first.');
				files.set(path, files.get(renaming)!);
				files.delete(renaming);
				renaming = undefined;
				session.reply('250 Rename successful.');
			},
			DELE: (session, path) => {
				session.reply(
					files.delete(path) ? '250 Delete operation successful.' : '550 Delete operation failed.',
				);
			},
		},
	});
	try {
		await test({
			server,
			files,
			dataConnections,
			pasvPorts,
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
					{ connectionTimeout: 5, ...overrides },
				),
		});
	} finally {
		for (const socket of sockets) socket.destroy();
		for (const listener of listeners) listener.close();
		await server.close();
	}
}

const logOf = (item: INodeExecutionData) => (item.json.connectionLog as string[]).join('\n');
const withLog = { includeConnectionLog: true };
const replacedLine = (port: number) =>
	`Passive mode: PASV reported ${UNREACHABLE}:${port}; connecting to the control host 127.0.0.1:${port} instead (Passive Address: Control Connection Host)`;

describe('the connection guard of this file', () => {
	it(`refuses a connection to ${UNREACHABLE} before it is made, and lets loopback through`, async () => {
		const outside = net.connect({ host: UNREACHABLE, port: 21 });
		const [error] = (await once(outside, 'error')) as [Error];
		expect(error.message).toBe(`refused by the test: no connection to ${UNREACHABLE}`);

		const listener = net.createServer().listen(0, '127.0.0.1');
		await once(listener, 'listening');
		const { port } = listener.address() as net.AddressInfo;
		const inside = net.connect({ host: '127.0.0.1', port });
		await once(inside, 'connect');
		inside.destroy();
		listener.close();
		expect(attempted).toEqual([`${UNREACHABLE}:21`, `127.0.0.1:${port}`]);
	});
});

describe(`Passive Address "Control Connection Host", PASV reply naming ${UNREACHABLE} (not loopback)`, () => {
	it('with Disable EPSV: downloads, lists and uploads through the control host, never contacting the reported address', async () => {
		await withPassiveServer({ report: UNREACHABLE, listenOn: '127.0.0.1' }, async (passive) => {
			const credentials = passive.credentials({ disableEpsv: true });

			const [downloaded] = await runFtpNode(credentials, {
				operation: 'download',
				path: '/report.bin',
				options: withLog,
			});
			expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(REPORT));
			expect(logOf(downloaded)).toContain(replacedLine(passive.pasvPorts[0]));

			const listed = await runFtpNode(credentials, {
				operation: 'list',
				path: '/',
				options: withLog,
			});
			expect(listed.map((item) => [item.json.name, item.json.size])).toEqual([
				['report.bin', REPORT.length],
			]);
			expect(logOf(listed[0])).toContain(replacedLine(passive.pasvPorts[1]));

			const [uploaded] = await runFtpNode(
				credentials,
				{ operation: 'upload', path: '/incoming.bin', options: withLog },
				{
					items: [await binaryItem(UPLOAD, 'incoming.bin')],
				},
			);
			expect(uploaded.json).toMatchObject({ path: '/incoming.bin', size: UPLOAD.length });
			expect(sha256(passive.files.get('/incoming.bin')!)).toBe(sha256(UPLOAD));
			expect(logOf(uploaded)).toContain(replacedLine(passive.pasvPorts[2]));

			expect(passive.server.commands.filter((command) => /^(EPSV|PASV)/.test(command))).toEqual([
				'PASV',
				'PASV',
				'PASV',
			]);
			expect(passive.dataConnections).toEqual(passive.pasvPorts.map((port) => `127.0.0.1:${port}`));
			expect(attempted).toEqual(
				expect.arrayContaining(passive.pasvPorts.map((port) => `127.0.0.1:${port}`)),
			);
			expect(attempted.filter((target) => target.startsWith(`${UNREACHABLE}:`))).toEqual([]);
		});
	});

	it.each(['500 Unknown command.', '502 EPSV not implemented.'])(
		'when EPSV is refused (%s): falls back to PASV through the control host and keeps PASV for the next transfer',
		async (refusal) => {
			await withPassiveServer(
				{ report: UNREACHABLE, listenOn: '127.0.0.1', epsv: refusal },
				async (passive) => {
					passive.files.set('/second.bin', UPLOAD);
					const output = await runFtpNode(
						passive.credentials(),
						{ operation: 'download', path: '={{ $json.path }}', options: withLog },
						{ items: [{ json: { path: '/report.bin' } }, { json: { path: '/second.bin' } }] },
					);
					expect(sha256(await readBinary(output[0].binary!.data))).toBe(sha256(REPORT));
					expect(sha256(await readBinary(output[1].binary!.data))).toBe(sha256(UPLOAD));
					expect(logOf(output[0])).toContain(`< ${refusal}`);
					expect(logOf(output[0])).toContain(replacedLine(passive.pasvPorts[0]));
					expect(logOf(output[1])).toContain(replacedLine(passive.pasvPorts[1]));

					expect(passive.server.connections).toBe(1);
					expect(passive.server.commands.filter((command) => /^(EPSV|PASV)/.test(command))).toEqual(
						['EPSV', 'PASV', 'PASV'],
					);
					expect(passive.dataConnections).toEqual(
						passive.pasvPorts.map((port) => `127.0.0.1:${port}`),
					);
					expect(attempted.filter((target) => target.startsWith(`${UNREACHABLE}:`))).toEqual([]);
				},
			);
		},
	);

	it('logs no replacement when the PASV reply names the control host itself', async () => {
		await withPassiveServer({ report: '127.0.0.1', listenOn: '127.0.0.1' }, async (passive) => {
			const [downloaded] = await runFtpNode(passive.credentials({ disableEpsv: true }), {
				operation: 'download',
				path: '/report.bin',
				options: withLog,
			});
			expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(REPORT));
			expect(logOf(downloaded)).toContain(`< 227 Entering Passive Mode (127,0,0,1,`);
			expect(logOf(downloaded)).not.toContain('Passive mode:');
		});
	});
});

describe('Passive Address "Address Reported by the Server", PASV reply naming 127.0.0.2 (loopback, not the control host)', () => {
	const reportedLine = (port: number) =>
		`Passive mode: connecting the data connection to 127.0.0.2:${port}, the address the server reported (Passive Address: Address Reported by the Server)`;

	it('with Disable EPSV: downloads and uploads over connections to 127.0.0.2, and logs that address each time', async () => {
		await withPassiveServer({ report: '127.0.0.2', listenOn: '127.0.0.2' }, async (passive) => {
			const credentials = passive.credentials({
				disableEpsv: true,
				passiveAddress: 'serverReported',
			});

			const [downloaded] = await runFtpNode(credentials, {
				operation: 'download',
				path: '/report.bin',
				options: withLog,
			});
			expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(REPORT));
			expect(logOf(downloaded)).toContain(reportedLine(passive.pasvPorts[0]));

			const [uploaded] = await runFtpNode(
				credentials,
				{ operation: 'upload', path: '/incoming.bin', options: withLog },
				{
					items: [await binaryItem(UPLOAD, 'incoming.bin')],
				},
			);
			expect(sha256(passive.files.get('/incoming.bin')!)).toBe(sha256(UPLOAD));
			expect(logOf(uploaded)).toContain(reportedLine(passive.pasvPorts[1]));

			expect(passive.dataConnections).toEqual(passive.pasvPorts.map((port) => `127.0.0.2:${port}`));
			expect(attempted).toEqual(
				expect.arrayContaining(passive.pasvPorts.map((port) => `127.0.0.2:${port}`)),
			);
		});
	});

	it('when EPSV is refused: falls back to PASV and connects to 127.0.0.2, logging it', async () => {
		await withPassiveServer(
			{ report: '127.0.0.2', listenOn: '127.0.0.2', epsv: '502 EPSV not implemented.' },
			async (passive) => {
				const [downloaded] = await runFtpNode(
					passive.credentials({ passiveAddress: 'serverReported' }),
					{
						operation: 'download',
						path: '/report.bin',
						options: withLog,
					},
				);
				expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(REPORT));
				expect(passive.server.commands.filter((command) => /^(EPSV|PASV)/.test(command))).toEqual([
					'EPSV',
					'PASV',
				]);
				expect(passive.dataConnections).toEqual([`127.0.0.2:${passive.pasvPorts[0]}`]);
				expect(logOf(downloaded)).toContain(reportedLine(passive.pasvPorts[0]));
			},
		);
	});
});
