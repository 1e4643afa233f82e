import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Readable, Writable } from 'stream';
import { Client, FTPError, type AccessOptions } from 'basic-ftp';

import { startFtpServer, type TestFtpServer, type TestServerSecurity } from '../tools/ftpServer';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP'];

function signalListenerCounts(): number[] {
	return SIGNALS.map((signal) => process.listenerCount(signal));
}

function accessOptions(
	server: TestFtpServer,
	security: TestServerSecurity,
	user = server.username,
	password = server.password,
): AccessOptions {
	return {
		host: server.host,
		port: server.port,
		user,
		password,
		secure: security === 'implicit' ? 'implicit' : security === 'explicit',
		secureOptions: server.certificate
			? { ca: server.certificate.cert, servername: 'localhost' }
			: undefined,
	};
}

async function connect(
	server: TestFtpServer,
	security: TestServerSecurity,
	user?: string,
	password?: string,
): Promise<Client> {
	const client = new Client(10000);
	try {
		await client.access(accessOptions(server, security, user, password));
	} catch (error) {
		client.close();
		throw error;
	}
	return client;
}

async function download(client: Client, remotePath: string): Promise<Buffer> {
	const chunks: Buffer[] = [];
	const sink = new Writable({
		write(chunk: Buffer, _encoding, callback) {
			chunks.push(chunk);
			callback();
		},
	});
	await client.downloadTo(sink, remotePath);
	return Buffer.concat(chunks);
}

async function ftpErrorCode(promise: Promise<unknown>): Promise<number | undefined> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof FTPError) return error.code;
		throw error;
	}
	throw new Error('expected the FTP command to fail');
}

async function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const probe = net.createServer();
		probe.once('error', () => resolve(false));
		probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
	});
}

describe.each<TestServerSecurity>(['none', 'explicit', 'implicit'])(
	'test FTP server (%s)',
	(security) => {
		it('uploads, lists, downloads, logs in and out, and cleans up after itself', async () => {
			const signalsBefore = signalListenerCounts();
			const server = await startFtpServer({ security });
			expect(signalListenerCounts()).toEqual(signalsBefore);
			expect(server.host).toBe('127.0.0.1');
			expect(path.isAbsolute(server.root)).toBe(true);
			expect(fs.readdirSync(server.root)).toEqual([]);
			if (security === 'none') expect(server.certificate).toBeUndefined();
			else expect(server.certificate?.cert).toContain('BEGIN CERTIFICATE');

			try {
				const client = await connect(server, security);
				try {
					expect('encrypted' in client.ftp.socket && client.ftp.socket.encrypted === true).toBe(
						security !== 'none',
					);
					const payload = Buffer.from([0, 1, 2, 254, 255, 10, 13, 65]);
					await client.uploadFrom(Readable.from([payload]), 'upload.bin');
					// The FTP root is the temp folder itself.
					expect(fs.readFileSync(path.join(server.root, 'upload.bin'))).toEqual(payload);

					fs.writeFileSync(path.join(server.root, 'on-disk.txt'), 'written directly');
					const listing = await client.list();
					const byName = new Map(listing.map((entry) => [entry.name, entry]));
					expect([...byName.keys()].sort()).toEqual(['on-disk.txt', 'upload.bin']);
					expect(byName.get('upload.bin')?.size).toBe(payload.length);
					expect(byName.get('upload.bin')?.isFile).toBe(true);
					expect(byName.get('upload.bin')?.rawModifiedAt).toMatch(/^[A-Z][a-z]{2} \d{2} /);

					expect(await download(client, 'upload.bin')).toEqual(payload);
					expect((await download(client, '/on-disk.txt')).toString()).toBe('written directly');
				} finally {
					client.close();
				}

				expect(
					await ftpErrorCode(connect(server, security, server.username, 'wrong-password')),
				).toBe(530);
				expect(
					await ftpErrorCode(connect(server, security, 'anonymous', 'guest@example.com')),
				).toBe(530);
			} finally {
				await server.close();
			}

			expect(await portIsFree(server.port)).toBe(true);
			expect(fs.existsSync(server.root)).toBe(false);
			expect(signalListenerCounts()).toEqual(signalsBefore);
			await server.close(); // idempotent
		});
	},
);

describe('test FTP server options and replies', () => {
	it('accepts anonymous into the same root only when allowed', async () => {
		const server = await startFtpServer({ allowAnonymous: true });
		try {
			fs.writeFileSync(path.join(server.root, 'public.txt'), 'hi');
			const client = await connect(server, 'none', 'anonymous', 'guest@example.com');
			try {
				expect(await client.pwd()).toBe('/');
				expect((await client.list()).map((entry) => entry.name)).toEqual(['public.txt']);
			} finally {
				client.close();
			}
			// The named user still works, and a wrong password is still refused.
			(await connect(server, 'none')).close();
			expect(await ftpErrorCode(connect(server, 'none', server.username, 'nope'))).toBe(530);
		} finally {
			await server.close();
		}
	});

	it('refuses a server certificate the client does not trust', async () => {
		const server = await startFtpServer({ security: 'explicit' });
		const client = new Client(10000);
		try {
			await expect(
				client.access({
					...accessOptions(server, 'explicit'),
					secureOptions: { servername: 'localhost' },
				}),
			).rejects.toThrow(/self[- ]signed/i);
		} finally {
			client.close();
			await server.close();
		}
	});

	it('closes while a client is still connected, even one that left passive mode pending', async () => {
		const server = await startFtpServer({ security: 'explicit' });
		const client = await connect(server, 'explicit');
		await client.send('EPSV'); // passive data port opened, never connected to
		await server.close();
		expect(await portIsFree(server.port)).toBe(true);
		client.close();
	});

	// Pins the ftp-srv 4.6.3 behaviour documented at the top of tools/ftpServer.ts.
	it('gives the documented replies', async () => {
		const server = await startFtpServer();
		const client = await connect(server, 'none');
		const send = async (command: string): Promise<number> => {
			try {
				return (await client.send(command)).code;
			} catch (error) {
				if (error instanceof FTPError) return error.code;
				throw error;
			}
		};
		try {
			fs.writeFileSync(path.join(server.root, 'a.txt'), 'hello');
			fs.mkdirSync(path.join(server.root, 'full'));
			fs.writeFileSync(path.join(server.root, 'full', 'x.txt'), 'x');

			expect(await client.size('a.txt')).toBe(5);
			const modified = await client.lastMod('a.txt');
			expect(
				Math.abs(modified.getTime() - fs.statSync(path.join(server.root, 'a.txt')).mtimeMs),
			).toBeLessThan(1000);

			expect(await send('SIZE missing.txt')).toBe(550);
			expect(await send('MDTM missing.txt')).toBe(550);
			expect(await send('CWD missing')).toBe(550);
			expect(await send('CWD a.txt')).toBe(550);
			expect(await ftpErrorCode(download(client, 'missing.txt'))).toBe(551);

			expect(await send('MKD new')).toBe(257);
			expect(await send('MKD new')).toBe(257); // existing folder: no error
			expect(await send('MKD deep/er')).toBe(257); // recursive
			expect(fs.statSync(path.join(server.root, 'deep', 'er')).isDirectory()).toBe(true);
			expect(await send('RMD full')).toBe(550); // not empty
			expect(await send('RMD new')).toBe(250);
			expect(await send('RMD missing')).toBe(550);

			expect(await send('RNFR a.txt')).toBe(350);
			expect(await send('RNTO full/b.txt')).toBe(250);
			expect(fs.readFileSync(path.join(server.root, 'full', 'b.txt'), 'utf8')).toBe('hello');
			expect(await send('RNFR missing.txt')).toBe(550);

			expect(await send('DELE full/b.txt')).toBe(250);
			expect(await send('DELE missing.txt')).toBe(550);
			expect(fs.existsSync(path.join(server.root, 'full', 'b.txt'))).toBe(false);

			expect(await send('MLSD')).toBe(502);
			expect(await send('CWD ../../..')).toBe(250);
			expect(await client.pwd()).toBe('/'); // cannot leave the root
		} finally {
			client.close();
			await server.close();
		}
	});
});
