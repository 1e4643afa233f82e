/**
 * The fault-injecting proxy (test/helpers/faultProxy.ts) itself, against the in-process ftp-srv and basic-ftp's own
 * Client (not the node): each fault breaks exactly the connection it names, after exactly the bytes it names, and
 * nothing else. Bytes are compared by SHA-256, so a proxy that drops, adds or reorders a byte fails.
 */
import { Client, enterPassiveModeIPv4, enterPassiveModeIPv6, FTPError } from 'basic-ftp';
import { createHash, randomBytes } from 'crypto';
import { once } from 'events';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Readable, Writable } from 'stream';

import { scriptedFtpServer } from '../helpers/fakeServers';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/faultProxy';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';

const FILE = randomBytes(2 * 1024 * 1024 + 17);
/** Not a multiple of any chunk size, so a proxy that cuts at a chunk boundary instead of at N bytes fails. */
const N = 100_003;

let server: TestFtpServer;
let proxy: FaultProxy | undefined;
const clients: Client[] = [];

beforeAll(async () => {
	server = await startFtpServer();
	await fsp.writeFile(path.join(server.root, 'big.bin'), FILE);
});

afterEach(async () => {
	for (const client of clients.splice(0)) client.close();
	await proxy?.close();
	proxy = undefined;
});

afterAll(async () => {
	await server.close();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function through(faults: Fault[] = []): Promise<FaultProxy> {
	proxy = await startFaultProxy(server, faults);
	return proxy;
}

/** A logged-in basic-ftp client through `via`; `timeout` in ms applies to every socket. */
async function connect(via: { host: string; port: number }, timeout = 5000): Promise<Client> {
	const client = new Client(timeout);
	clients.push(client);
	await client.access({
		host: via.host,
		port: via.port,
		user: server.username,
		password: server.password,
	});
	return client;
}

/**
 * A client that uses EPSV only. basic-ftp's first transfer falls back from EPSV to PASV when the data connection
 * fails, and ftp-srv 4.6.3 then forgets the EPSV port without closing it: a listening socket that keeps jest alive
 * for 30 s. Pinning EPSV also keeps a refused transfer to one data connection.
 */
async function epsvOnly(via: { host: string; port: number }): Promise<Client> {
	const client = await connect(via);
	client.prepareTransfer = enterPassiveModeIPv6;
	return client;
}

/** Downloads `name`; returns every byte that arrived and the error, if the download failed. */
async function download(
	client: Client,
	name = '/big.bin',
): Promise<{ bytes: Buffer; error?: unknown }> {
	const chunks: Buffer[] = [];
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			chunks.push(chunk);
			done();
		},
	});
	try {
		await client.downloadTo(sink, name);
		return { bytes: Buffer.concat(chunks) };
	} catch (error) {
		return { bytes: Buffer.concat(chunks), error };
	}
}

/** Connects a raw socket to `port` and returns what arrived before it closed, and how it closed. */
async function rawReceive(port: number): Promise<{ bytes: Buffer; errorCode?: string }> {
	const socket = net.connect({ host: '127.0.0.1', port });
	const chunks: Buffer[] = [];
	let errorCode: string | undefined;
	socket.on('data', (chunk: Buffer) => chunks.push(chunk));
	socket.on('error', (error: NodeJS.ErrnoException) => (errorCode = error.code));
	await new Promise((resolve) => socket.once('close', resolve));
	return { bytes: Buffer.concat(chunks), errorCode };
}

async function serverFile(name: string): Promise<Buffer> {
	return await fsp.readFile(path.join(server.root, name));
}

describe('pass-through', () => {
	it('downloads and uploads byte for byte, over EPSV and PASV, and counts the connections', async () => {
		const proxy = await through();
		const client = await connect(proxy);
		const down = await download(client);
		expect(down.error).toBeUndefined();
		expect(sha256(down.bytes)).toBe(sha256(FILE));

		await client.uploadFrom(Readable.from([FILE]), '/up.bin');
		expect(sha256(await serverFile('up.bin'))).toBe(sha256(FILE));

		// PASV's 227 carries an address and a port; both must point at the proxy.
		client.prepareTransfer = enterPassiveModeIPv4;
		const pasv = await download(client);
		expect(pasv.error).toBeUndefined();
		expect(sha256(pasv.bytes)).toBe(sha256(FILE));

		expect(proxy.stats).toEqual({
			controlConnections: 1,
			dataConnections: 3,
			faultsTriggered: 0,
			triggered: [],
		});
	});

	it('relays replies unchanged except the data port, and a multi-line reply intact', async () => {
		const proxy = await through();
		const direct = await connect(server);
		const proxied = await connect(proxy);
		const feat = await proxied.send('FEAT');
		expect(feat.message).toContain('\n');
		expect(feat).toEqual(await direct.send('FEAT'));
		const epsv = await proxied.send('EPSV');
		expect(epsv.message).toMatch(/^229 .*\(\|\|\|(\d+)\|\)/);
		expect(Number(/\|\|\|(\d+)\|/.exec(epsv.message)![1])).not.toBe(server.port);
	});

	it('does not rewrite a 227 line inside a multi-line reply, and rewrites a real one keeping its wording', async () => {
		// Scripted: no real server sends such a line; it proves that the proxy tracks multi-line replies.
		const scripted = await scriptedFtpServer({
			replies: {
				HELP: (session) => {
					session.reply('214-The following lines are help text');
					session.reply('227 (10,0,0,1,4,1) is not a reply here');
					session.reply('214 Help OK.');
				},
			},
		});
		try {
			proxy = await startFaultProxy(scripted, []);
			const client = new Client(5000);
			clients.push(client);
			await client.access({ host: proxy.host, port: proxy.port, user: 'alice', password: 'x' });
			const help = await client.send('HELP');
			expect(help.message).toBe(
				'214-The following lines are help text\n227 (10,0,0,1,4,1) is not a reply here\n214 Help OK.',
			);
			const pasv = await client.send('PASV');
			expect(pasv.message).toMatch(/^227 Entering Passive Mode \(127,0,0,1,\d+,\d+\)\.$/);
			expect(scripted.commands).toContain('HELP');
		} finally {
			await proxy?.close();
			await scripted.close();
		}
	});
});

describe('data connection faults', () => {
	it('reset after N bytes toClient: the download fails and exactly N bytes arrived', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'reset', afterBytes: N, direction: 'toClient' },
		]);
		const { bytes, error } = await download(await connect(proxy));
		expect(error).toBeDefined();
		expect(bytes.length).toBe(N);
		expect(sha256(bytes)).toBe(sha256(FILE.subarray(0, N)));
		expect(proxy.stats.triggered).toEqual([{ channel: 'data', connection: 1, action: 'reset' }]);
	});

	it('connections: [1] breaks only the first data connection; the second transfer succeeds', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'reset', afterBytes: N, connections: [1] },
		]);
		const first = await download(await connect(proxy));
		expect(first.error).toBeDefined();
		expect(first.bytes.length).toBe(N);
		// basic-ftp closes the client after a failed data connection: a retry reconnects, as the node does.
		const second = await download(await connect(proxy));
		expect(second.error).toBeUndefined();
		expect(sha256(second.bytes)).toBe(sha256(FILE));
		expect(proxy.stats).toMatchObject({
			controlConnections: 2,
			dataConnections: 2,
			faultsTriggered: 1,
		});
	});

	it('stall after N bytes: nothing more arrives and the transfer times out', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'stall', afterBytes: N, direction: 'toClient' },
		]);
		const client = await connect(proxy, 1000);
		const started = Date.now();
		const { bytes, error } = await download(client);
		expect(String(error)).toMatch(/Timeout/i);
		expect(Date.now() - started).toBeGreaterThanOrEqual(900);
		expect(bytes.length).toBe(N);
		expect(proxy.stats.triggered).toEqual([{ channel: 'data', connection: 1, action: 'stall' }]);
	});

	it('refuse: the data connection is reset before any byte', async () => {
		const proxy = await through([{ channel: 'data', action: 'refuse' }]);
		const { bytes, error } = await download(await epsvOnly(proxy));
		expect(String(error)).toContain('ECONNRESET');
		expect(bytes.length).toBe(0);
		expect(proxy.stats).toMatchObject({ dataConnections: 1, faultsTriggered: 1 });
	});

	it('close after N bytes: the client gets exactly N bytes and then an orderly end', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'close', afterBytes: N, direction: 'toClient' },
		]);
		const { bytes, error } = await download(await connect(proxy, 1000));
		// A FIN looks like the end of the file to the client: only the server's reply can tell that it was cut short,
		// and ftp-srv sends none when its data connection ends cleanly mid-transfer (RETR hangs), so the client times
		// out on the control connection. A reset would have failed the data socket instead.
		expect(error instanceof FTPError || String(error) === 'Error: Timeout (control socket)').toBe(
			true,
		);
		expect(bytes.length).toBe(N);
		expect(sha256(bytes)).toBe(sha256(FILE.subarray(0, N)));
		expect(proxy.stats.triggered).toEqual([{ channel: 'data', connection: 1, action: 'close' }]);
	});

	it('direction toServer counts only uploaded bytes: downloads pass, the upload is cut at exactly N', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'close', afterBytes: N, direction: 'toServer' },
		]);
		const client = await connect(proxy);
		const down = await download(client);
		expect(down.error).toBeUndefined();
		expect(sha256(down.bytes)).toBe(sha256(FILE));
		expect(proxy.stats.faultsTriggered).toBe(0);

		await client.uploadFrom(Readable.from([FILE]), '/cut.bin').catch(() => undefined);
		expect(sha256(await serverFile('cut.bin'))).toBe(sha256(FILE.subarray(0, N)));
		expect(proxy.stats.triggered).toEqual([{ channel: 'data', connection: 2, action: 'close' }]);
	});

	it('reset toServer fails the upload', async () => {
		const proxy = await through([
			{ channel: 'data', action: 'reset', afterBytes: N, direction: 'toServer' },
		]);
		await expect(
			(await connect(proxy)).uploadFrom(Readable.from([FILE]), '/reset.bin'),
		).rejects.toThrow();
		expect(proxy.stats.faultsTriggered).toBe(1);
	});
});

describe('control connection faults', () => {
	it('reset after N bytes toClient: exactly N bytes of the greeting arrive, then a reset; login fails', async () => {
		const proxy = await through([
			{ channel: 'control', action: 'reset', afterBytes: 10, direction: 'toClient' },
		]);
		const direct = await rawGreeting(server.port);
		const raw = await rawReceive(proxy.port);
		expect(raw.bytes.toString('latin1')).toBe(direct.subarray(0, 10).toString('latin1'));
		expect(raw.errorCode).toBe('ECONNRESET');
		await expect(connect(proxy)).rejects.toMatchObject({ code: 'ECONNRESET' });
		expect(proxy.stats).toMatchObject({
			controlConnections: 2,
			dataConnections: 0,
			faultsTriggered: 2,
		});
	});

	it('reset after the login (counted toServer): the next command fails', async () => {
		// USER and PASS lines: what basic-ftp sends before its first command after the login is not fixed, so count
		// only the two and break on the first byte of the next.
		const login = `USER ${server.username}\r\nPASS ${server.password}\r\n`;
		const proxy = await through([
			{
				channel: 'control',
				action: 'reset',
				afterBytes: Buffer.byteLength(login, 'utf8') + 1,
				direction: 'toServer',
			},
		]);
		const client = new Client(5000);
		clients.push(client);
		await client.connect(proxy.host, proxy.port);
		await client.login(server.username, server.password);
		await expect(client.send('NOOP')).rejects.toMatchObject({ code: 'ECONNRESET' });
		expect(proxy.stats.triggered).toEqual([{ channel: 'control', connection: 1, action: 'reset' }]);
	});

	it('refuse: the control connection is reset before any byte', async () => {
		const proxy = await through([{ channel: 'control', action: 'refuse' }]);
		const raw = await rawReceive(proxy.port);
		expect(raw.bytes.length).toBe(0);
		expect(raw.errorCode).toBe('ECONNRESET');
		await expect(connect(proxy)).rejects.toMatchObject({ code: 'ECONNRESET' });
		expect(proxy.stats).toMatchObject({ controlConnections: 2, faultsTriggered: 2 });
	});

	it('close after N bytes: exactly N bytes, then an orderly end', async () => {
		const proxy = await through([
			{ channel: 'control', action: 'close', afterBytes: 7, direction: 'toClient' },
		]);
		const raw = await rawReceive(proxy.port);
		expect(raw.bytes.toString('latin1')).toBe(
			(await rawGreeting(server.port)).subarray(0, 7).toString('latin1'),
		);
		expect(raw.errorCode).toBeUndefined();
	});
});

describe('the plan over the proxy life', () => {
	it('setFaults changes the plan for connections opened afterwards, and ordinals keep counting', async () => {
		const proxy = await through([{ channel: 'data', action: 'refuse' }]);
		expect(String((await download(await epsvOnly(proxy))).error)).toContain('ECONNRESET');

		proxy.setFaults([]);
		const client = await connect(proxy);
		const clean = await download(client);
		expect(sha256(clean.bytes)).toBe(sha256(FILE));

		// The third data connection of the proxy's life, on the same control connection.
		proxy.setFaults([
			{
				channel: 'data',
				action: 'reset',
				afterBytes: N,
				connections: [proxy.stats.dataConnections + 1],
			},
		]);
		const cut = await download(client);
		expect(cut.bytes.length).toBe(N);
		expect(cut.error).toBeDefined();

		expect(proxy.stats).toEqual({
			controlConnections: 2,
			dataConnections: 3,
			faultsTriggered: 2,
			triggered: [
				{ channel: 'data', connection: 1, action: 'refuse' },
				{ channel: 'data', connection: 3, action: 'reset' },
			],
		});
	});

	it('rejects a plan that cannot be meant', async () => {
		const proxy = await through();
		expect(() => proxy.setFaults([{ channel: 'data', action: 'refuse', afterBytes: 5 }])).toThrow(
			'refuse takes no afterBytes',
		);
		expect(() => proxy.setFaults([{ channel: 'data', action: 'reset', afterBytes: -1 }])).toThrow(
			'afterBytes',
		);
		expect(() => proxy.setFaults([{ channel: 'data', action: 'reset', connections: [0] }])).toThrow(
			'1-based',
		);
	});

	it('lets a stalled data connection go once the client ends its control connection, though the server holds on', async () => {
		// A stand-in server that does what vsftpd does while blocked writing to a stalled data connection: it keeps its
		// control connection half open after the client's FIN. Its session ends only if the proxy lets the data go.
		const held: net.Socket[] = [];
		const hold = (socket: net.Socket) => held.push(socket.on('error', () => undefined));
		const dataServer = net.createServer((socket) => {
			hold(socket);
			socket.write(Buffer.alloc(8 * 1024 * 1024));
		});
		const controlServer = net.createServer({ allowHalfOpen: true }, (socket) => {
			hold(socket);
			socket.write(
				`229 Entering Extended Passive Mode (|||${(dataServer.address() as net.AddressInfo).port}|)\r\n`,
			);
		});
		const serverDataClosed = new Promise((resolve) =>
			dataServer.once('connection', (socket: net.Socket) => socket.once('close', resolve)),
		);
		try {
			for (const server of [dataServer, controlServer])
				await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			proxy = await startFaultProxy(
				{ host: '127.0.0.1', port: (controlServer.address() as net.AddressInfo).port },
				[{ channel: 'data', action: 'stall', afterBytes: N, direction: 'toClient' }],
			);
			const control = net.connect({ host: '127.0.0.1', port: proxy.port });
			hold(control);
			const [reply] = (await once(control, 'data')) as [Buffer];
			const data = net.connect({
				host: '127.0.0.1',
				port: Number(/\|\|\|(\d+)\|/.exec(reply.toString())![1]),
			});
			hold(data);
			let received = 0;
			data.on('data', (chunk: Buffer) => (received += chunk.length));
			await waitFor(() => received === N);
			control.end();
			let timer: NodeJS.Timeout | undefined;
			const outcome = await Promise.race([
				serverDataClosed.then(() => 'closed'),
				new Promise((resolve) => (timer = setTimeout(resolve, 2000, 'still open'))),
			]);
			clearTimeout(timer);
			expect(outcome).toBe('closed');
			expect(received).toBe(N);
		} finally {
			for (const socket of held) socket.destroy();
			dataServer.close();
			controlServer.close();
		}
	});

	it('close() ends every connection, stalled ones included, and can be called twice', async () => {
		const proxy = await through([{ channel: 'data', action: 'stall', afterBytes: N }]);
		const client = await connect(proxy);
		const transfer = download(client);
		await waitFor(() => proxy.stats.faultsTriggered === 1);
		await Promise.all([proxy.close(), proxy.close()]);
		const { bytes, error } = await transfer;
		expect(error).toBeDefined();
		expect(bytes.length).toBe(N);
		await expect(connect(proxy)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
	});
});

/** The server's greeting as a direct client receives it (up to its first line end). */
async function rawGreeting(port: number): Promise<Buffer> {
	const socket = net.connect({ host: '127.0.0.1', port });
	const chunks: Buffer[] = [];
	for await (const chunk of socket) {
		chunks.push(chunk as Buffer);
		if (Buffer.concat(chunks).includes('\n')) break;
	}
	socket.destroy();
	return Buffer.concat(chunks);
}

async function waitFor(condition: () => boolean): Promise<void> {
	while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
