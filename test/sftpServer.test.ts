import { execFile, execFileSync } from 'child_process';
import * as crypto from 'crypto';
import type { EventEmitter } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';

import { sshFingerprint, startSftpServer, type TestSftpServer } from '../tools/sftpServer';
import { ed25519KeyPair } from '../tools/sshKeys';

// Minimal types for ssh2's client side (@types/ssh2 is not installed).
interface Attrs {
	mode: number;
	uid: number;
	gid: number;
	size: number;
	atime: number;
	mtime: number;
}
interface DirEntry {
	filename: string;
	longname: string;
	attrs: Attrs;
}
type Callback<T = void> = (
	error: (Error & { code?: number | string }) | null | undefined,
	value: T,
) => void;
interface SftpClient extends EventEmitter {
	end(): void;
	fastPut(local: string, remote: string, options: object, callback: Callback): void;
	fastGet(remote: string, local: string, options: object, callback: Callback): void;
	readFile(remote: string, callback: Callback<Buffer>): void;
	writeFile(remote: string, data: Buffer | string, callback: Callback): void;
	appendFile(remote: string, data: Buffer | string, callback: Callback): void;
	readdir(remote: string, options: { full?: boolean }, callback: Callback<DirEntry[]>): void;
	stat(remote: string, callback: Callback<Attrs>): void;
	lstat(remote: string, callback: Callback<Attrs>): void;
	realpath(remote: string, callback: Callback<string>): void;
	rename(from: string, to: string, callback: Callback): void;
	ext_openssh_rename(from: string, to: string, callback: Callback): void;
	mkdir(remote: string, callback: Callback): void;
	rmdir(remote: string, callback: Callback): void;
	unlink(remote: string, callback: Callback): void;
	utimes(remote: string, atime: number, mtime: number, callback: Callback): void;
	symlink(target: string, link: string, callback: Callback): void;
	readlink(remote: string, callback: Callback<string>): void;
	open(remote: string, flags: string, callback: Callback<Buffer>): void;
	read(
		handle: Buffer,
		buffer: Buffer,
		offset: number,
		length: number,
		position: number,
		callback: Callback<number>,
	): void;
	close(handle: Buffer, callback: Callback): void;
	createReadStream(remote: string, options?: object): Readable;
}
interface SshClient extends EventEmitter {
	connect(config: object): void;
	setNoDelay(noDelay?: boolean): SshClient;
	sftp(callback: Callback<SftpClient>): void;
	end(): void;
}
const ssh2 = require('ssh2') as {
	Client: new () => SshClient;
};

const STEP_TIMEOUT = 15000;
const servers: TestSftpServer[] = [];
const clients: SshClient[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sftp-server-test-'));
let server: TestSftpServer;

/** Rejects instead of hanging when a callback never comes. */
function within<T>(promise: Promise<T>, ms = STEP_TIMEOUT, what = 'step'): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function call<T = void>(run: (callback: Callback<T>) => void): Promise<T> {
	return within(
		new Promise<T>((resolve, reject) =>
			run((error, value) => (error ? reject(error) : resolve(value))),
		),
	);
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: number | string }> {
	try {
		await promise;
	} catch (error) {
		return error as Error & { code?: number | string };
	}
	throw new Error('expected the request to fail');
}

async function start(options: Parameters<typeof startSftpServer>[0] = {}): Promise<TestSftpServer> {
	const started = await startSftpServer(options);
	servers.push(started);
	return started;
}

async function connect(
	target: TestSftpServer,
	config: object = {},
	prepare?: (client: SshClient) => void,
): Promise<{ client: SshClient; hostKeys: Buffer[] }> {
	const client = new ssh2.Client();
	clients.push(client);
	prepare?.(client);
	const hostKeys: Buffer[] = [];
	await within(
		new Promise<void>((resolve, reject) => {
			client.once('ready', () => resolve());
			client.once('error', reject);
			client.once('close', () => reject(new Error('closed before ready')));
			client.connect({
				host: target.host,
				port: target.port,
				username: target.username,
				password: target.password,
				readyTimeout: 5000,
				hostVerifier: (key: Buffer) => {
					hostKeys.push(key);
					return true;
				},
				...config,
			});
		}),
		STEP_TIMEOUT,
		'connect',
	);
	client.on('error', () => undefined);
	// Without it each sequential request waits for a delayed ACK (~40 ms on loopback).
	client.setNoDelay(true);
	return { client, hostKeys };
}

async function openSftp(target: TestSftpServer, config: object = {}): Promise<SftpClient> {
	const { client } = await connect(target, config);
	return call<SftpClient>((callback) => client.sftp(callback));
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
	server = await start();
});

afterAll(async () => {
	for (const client of clients) client.end();
	await Promise.all(servers.map((each) => each.close()));
	fs.rmSync(scratch, { recursive: true, force: true });
});

describe('test SFTP server', () => {
	it('listens on 127.0.0.1 and logs in with the password, refusing a wrong one', async () => {
		expect(server.host).toBe('127.0.0.1');
		expect(server.port).toBeGreaterThan(0);
		expect(fs.readdirSync(server.root)).toEqual([]);
		const sftp = await openSftp(server);
		expect(await call<string>((cb) => sftp.realpath('.', cb))).toBe('/');

		const refused = await failure(connect(server, { password: 'wrong-password' }));
		expect(refused.message).toMatch(/authentication methods failed/i);
		expect(server.connections).toBeGreaterThanOrEqual(2);
	});

	it('logs in with an ed25519 key (and keyboard-interactive), and refuses unknown keys', async () => {
		const allowed = ed25519KeyPair();
		const other = ed25519KeyPair();
		const keyServer = await start({ authorizedKeys: [allowed.public], authMethods: ['publickey'] });
		const { client } = await connect(keyServer, {
			password: undefined,
			privateKey: allowed.private,
		});
		const sftp = await call<SftpClient>((cb) => client.sftp(cb));
		await call((cb) => sftp.writeFile('/by-key.txt', 'key', cb));
		expect(fs.readFileSync(path.join(keyServer.root, 'by-key.txt'), 'utf8')).toBe('key');

		await failure(connect(keyServer, { password: undefined, privateKey: other.private }));
		// The password is not accepted when the server offers only publickey.
		await failure(connect(keyServer));

		const kbdServer = await start({ authMethods: ['keyboard-interactive'] });
		const prompts: string[] = [];
		await connect(kbdServer, { password: undefined, tryKeyboard: true }, (client) =>
			client.on('keyboard-interactive', (...args: unknown[]) => {
				const [, , , asked, finish] = args as [
					string,
					string,
					string,
					Array<{ prompt: string }>,
					(answers: string[]) => void,
				];
				prompts.push(...asked.map((p) => p.prompt));
				finish([kbdServer.password]);
			}),
		);
		expect(prompts).toEqual(['Password: ']);
	});

	it('round-trips 0 bytes and 5 MiB of random data with pipelined requests', async () => {
		const sftp = await openSftp(server);
		for (const size of [0, 5 * 1024 * 1024]) {
			const data = crypto.randomBytes(size);
			const local = path.join(scratch, `up-${size}.bin`);
			const back = path.join(scratch, `down-${size}.bin`);
			fs.writeFileSync(local, data);
			// 64 outstanding requests of 32 KiB each way.
			await call((cb) => sftp.fastPut(local, `/data-${size}.bin`, { concurrency: 64 }, cb));
			expect(sha256(fs.readFileSync(path.join(server.root, `data-${size}.bin`)))).toBe(
				sha256(data),
			);
			await call((cb) => sftp.fastGet(`/data-${size}.bin`, back, { concurrency: 64 }, cb));
			expect(sha256(fs.readFileSync(back))).toBe(sha256(data));

			const streamed: Buffer[] = [];
			for await (const chunk of sftp.createReadStream(`/data-${size}.bin`))
				streamed.push(chunk as Buffer);
			expect(sha256(Buffer.concat(streamed))).toBe(sha256(data));
		}
		const ops = new Set(server.requests.map((request) => request.op));
		for (const op of ['OPEN', 'WRITE', 'READ', 'CLOSE', 'FSTAT']) expect(ops).toContain(op);
		expect(server.requests).toContainEqual({ op: 'OPEN', path: '/data-0.bin' });
	});

	it('serves 254 KiB requests and OpenSSH-ordered SYMLINK when it announces itself as OpenSSH', async () => {
		const openssh = await start({ ident: 'OpenSSH_9.2p1' });
		const sftp = await openSftp(openssh);
		const data = crypto.randomBytes(3 * 1024 * 1024 + 7);
		const local = path.join(scratch, 'big-up.bin');
		const back = path.join(scratch, 'big-down.bin');
		fs.writeFileSync(local, data);
		const chunkSize = 254 * 1024;
		await call((cb) => sftp.fastPut(local, '/big.bin', { concurrency: 16, chunkSize }, cb));
		await call((cb) => sftp.fastGet('/big.bin', back, { concurrency: 16, chunkSize }, cb));
		expect(sha256(fs.readFileSync(back))).toBe(sha256(data));
		expect(sha256(fs.readFileSync(path.join(openssh.root, 'big.bin')))).toBe(sha256(data));
		expect(openssh.requests.filter((r) => r.op === 'READ').length).toBeLessThan(20);

		await call((cb) => sftp.symlink('big.bin', '/big-link', cb));
		expect(fs.readlinkSync(path.join(openssh.root, 'big-link'))).toBe('big.bin');
	});

	it('appends, sets times, makes and removes folders, and maps errors to status codes', async () => {
		const sftp = await openSftp(server);
		await call((cb) => sftp.writeFile('/log.txt', 'one\n', cb));
		await call((cb) => sftp.appendFile('/log.txt', 'two\n', cb));
		expect(fs.readFileSync(path.join(server.root, 'log.txt'), 'utf8')).toBe('one\ntwo\n');
		await call((cb) => sftp.utimes('/log.txt', 1_600_000_000, 1_500_000_000, cb));
		expect((await call<Attrs>((cb) => sftp.stat('/log.txt', cb))).mtime).toBe(1_500_000_000);

		await call((cb) => sftp.mkdir('/folder', cb));
		await call((cb) => sftp.writeFile('/folder/inner.txt', 'x', cb));
		const notEmpty = await failure(call((cb) => sftp.rmdir('/folder', cb)));
		expect(notEmpty.code).toBe(4);
		expect(notEmpty.message).toMatch(/ENOTEMPTY/);
		expect(notEmpty.message).not.toContain(server.root);
		await call((cb) => sftp.unlink('/folder/inner.txt', cb));
		await call((cb) => sftp.rmdir('/folder', cb));
		expect((await failure(call((cb) => sftp.stat('/folder', cb)))).code).toBe(2);
		expect((await failure(call((cb) => sftp.readFile('/missing.txt', cb)))).code).toBe(2);

		await call((cb) => sftp.symlink('/log.txt', '/link.txt', cb));
		expect(fs.readlinkSync(path.join(server.root, 'link.txt'))).toBe(
			path.join(server.root, 'log.txt'),
		);
		expect(await call<string>((cb) => sftp.readlink('/link.txt', cb))).toBe('/log.txt');
		expect((await call<Buffer>((cb) => sftp.readFile('/link.txt', cb))).toString()).toBe(
			'one\ntwo\n',
		);
	});

	it('closes an SFTP session the client ends, with the handles it left open', async () => {
		const sftp = await openSftp(server);
		await call((cb) => sftp.writeFile('/left-open.txt', 'x', cb));
		await call<Buffer>((cb) => sftp.open('/left-open.txt', 'r', cb));
		const closed = new Promise((resolve) => sftp.once('close', resolve));
		sftp.end();
		await within(closed, 5000, 'SFTP channel close');
		if (fs.existsSync('/proc/self/fd')) {
			const openInRoot = () =>
				fs.readdirSync('/proc/self/fd').filter((fd) => {
					try {
						return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(server.root);
					} catch {
						return false;
					}
				});
			for (let i = 0; i < 50 && openInRoot().length > 0; i++)
				await new Promise((r) => setTimeout(r, 20));
			expect(openInRoot()).toEqual([]);
		}
	});

	it('lists a folder with attributes and ls -l longnames, in batches', async () => {
		const dir = path.join(server.root, 'listing');
		fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
		fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
		fs.chmodSync(path.join(dir, 'a.txt'), 0o640);
		fs.utimesSync(path.join(dir, 'a.txt'), 1_577_934_245, 1_577_934_245); // 2020-01-02T03:04:05Z
		fs.symlinkSync('a.txt', path.join(dir, 'lnk'));
		for (let i = 0; i < 250; i++) fs.writeFileSync(path.join(dir, `many-${i}`), '');

		const sftp = await openSftp(server);
		const list = await call<DirEntry[]>((cb) => sftp.readdir('/listing', { full: true }, cb));
		expect(list).toHaveLength(2 + 3 + 250);
		const byName = new Map(list.map((entry) => [entry.filename, entry]));
		expect(byName.has('.') && byName.has('..')).toBe(true);
		const file = byName.get('a.txt')!;
		const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK } = fs.constants;
		expect(file.attrs).toMatchObject({ size: 5, mtime: 1_577_934_245, uid: process.getuid?.() });
		expect(file.attrs.mode & S_IFMT).toBe(S_IFREG);
		expect(file.attrs.mode & 0o777).toBe(0o640);
		expect(file.longname).toMatch(/^-rw-r----- +1 \S+ +\S+ +5 Jan {2}2 {2}2020 a\.txt$/);
		expect(byName.get('sub')!.attrs.mode & S_IFMT).toBe(S_IFDIR);
		expect(byName.get('sub')!.longname).toMatch(/^drwx/);
		expect(byName.get('lnk')!.attrs.mode & S_IFMT).toBe(S_IFLNK);
		expect(byName.get('lnk')!.longname).toMatch(/^l.* lnk$/);
		expect(server.requests.filter((r) => r.op === 'READDIR').length).toBeGreaterThanOrEqual(4);
	});

	it('refuses a standard RENAME onto an existing file; posix-rename replaces it', async () => {
		const sftp = await openSftp(server);
		await call((cb) => sftp.writeFile('/from.txt', 'new', cb));
		await call((cb) => sftp.writeFile('/to.txt', 'old', cb));
		const refused = await failure(call((cb) => sftp.rename('/from.txt', '/to.txt', cb)));
		expect(refused.code).toBe(4);
		expect(fs.readFileSync(path.join(server.root, 'to.txt'), 'utf8')).toBe('old');

		await call((cb) => sftp.ext_openssh_rename('/from.txt', '/to.txt', cb));
		expect(fs.readFileSync(path.join(server.root, 'to.txt'), 'utf8')).toBe('new');
		expect(fs.existsSync(path.join(server.root, 'from.txt'))).toBe(false);
		expect(server.requests).toContainEqual({
			op: 'posix-rename@openssh.com',
			path: '/from.txt',
			target: '/to.txt',
		});
		await call((cb) => sftp.rename('/to.txt', '/renamed.txt', cb));
		expect(fs.readFileSync(path.join(server.root, 'renamed.txt'), 'utf8')).toBe('new');

		// Without the extension the server does not advertise it, so ssh2's client refuses to send it.
		const plain = await openSftp(await start({ posixRename: false }));
		expect(() => plain.ext_openssh_rename('/a', '/b', () => undefined)).toThrow(/does not support/);
	});

	it('never leaves the root, whatever the path or link', async () => {
		const base = path.dirname(server.root);
		fs.writeFileSync(path.join(base, 'outside.txt'), 'secret');
		const sftp = await openSftp(server);

		expect(await call<string>((cb) => sftp.realpath('/../..', cb))).toBe('/');
		expect(await call<string>((cb) => sftp.realpath('../../etc/passwd', cb))).toBe('/etc/passwd');
		expect((await failure(call((cb) => sftp.stat('/../../etc/passwd', cb)))).code).toBe(2);
		expect((await failure(call((cb) => sftp.readFile('/../outside.txt', cb)))).code).toBe(2);
		await call((cb) => sftp.writeFile('/../../escape.txt', 'x', cb));
		expect(fs.existsSync(path.join(server.root, 'escape.txt'))).toBe(true);
		expect(fs.existsSync(path.join(base, 'escape.txt'))).toBe(false);
		await call((cb) => sftp.rename('/escape.txt', '../../../moved.txt', cb));
		expect(fs.existsSync(path.join(server.root, 'moved.txt'))).toBe(true);

		// Links on disk that point outside the root are not followed.
		fs.symlinkSync(base, path.join(server.root, 'up'));
		fs.symlinkSync(path.join(base, 'created.txt'), path.join(server.root, 'dangling'));
		expect((await failure(call((cb) => sftp.readFile('/up/outside.txt', cb)))).code).toBe(3);
		expect((await failure(call((cb) => sftp.readdir('/up', {}, cb)))).code).toBe(3);
		expect((await failure(call((cb) => sftp.writeFile('/dangling', 'x', cb)))).code).toBe(3);
		expect((await failure(call((cb) => sftp.writeFile('/up/new.txt', 'x', cb)))).code).toBe(3);
		expect(fs.existsSync(path.join(base, 'created.txt'))).toBe(false);
		expect(fs.existsSync(path.join(base, 'new.txt'))).toBe(false);
		// An absolute SYMLINK target is a path under the root.
		await call((cb) => sftp.symlink('/etc/passwd', '/passwd-link', cb));
		expect((await failure(call((cb) => sftp.readFile('/passwd-link', cb)))).code).toBe(2);
		expect(fs.readFileSync(path.join(base, 'outside.txt'), 'utf8')).toBe('secret');
		// The root itself cannot be removed or renamed, whatever it is called.
		expect((await failure(call((cb) => sftp.rmdir('/..', cb)))).code).toBe(3);
		expect((await failure(call((cb) => sftp.rename('/', '/elsewhere', cb)))).code).toBe(3);
		expect(fs.existsSync(server.root)).toBe(true);
	});

	it('answers REALPATH(".") with the home directory', async () => {
		const homeServer = await start({ homeDirectory: '/home/tester' });
		fs.mkdirSync(path.join(homeServer.root, 'home/tester'), { recursive: true });
		const sftp = await openSftp(homeServer);
		expect(await call<string>((cb) => sftp.realpath('.', cb))).toBe('/home/tester');
		await call((cb) => sftp.writeFile('relative.txt', 'r', cb));
		expect(fs.existsSync(path.join(homeServer.root, 'home/tester/relative.txt'))).toBe(true);
	});

	it('drops the connection after dropAfterReadBytes, then serves the next one', async () => {
		const data = crypto.randomBytes(1024 * 1024);
		fs.writeFileSync(path.join(server.root, 'drop.bin'), data);
		server.faults.dropAfterReadBytes = 100_000;
		const { client } = await connect(server);
		const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
		const sftp = await call<SftpClient>((cb) => client.sftp(cb));
		let received = 0;
		const stream = sftp.createReadStream('/drop.bin');
		stream.on('data', (chunk: Buffer) => (received += chunk.length));
		stream.on('error', () => undefined);
		await within(closed, STEP_TIMEOUT, 'drop');
		// The READ that reached the limit was cut short, and its bytes were flushed before the connection closed.
		expect(received).toBe(100_000);
		expect(server.faults.dropAfterReadBytes).toBeUndefined();

		const again = await openSftp(server);
		const back = path.join(scratch, 'drop-back.bin');
		await call((cb) => again.fastGet('/drop.bin', back, {}, cb));
		expect(sha256(fs.readFileSync(back))).toBe(sha256(data));
	});

	it('stalls READs after stallAfterReadBytes while answering other requests', async () => {
		const stallServer = await start({ faults: { stallAfterReadBytes: 50_000 } });
		fs.writeFileSync(path.join(stallServer.root, 'stall.bin'), crypto.randomBytes(200_000));
		const sftp = await openSftp(stallServer);
		const handle = await call<Buffer>((cb) => sftp.open('/stall.bin', 'r', cb));
		const buffer = Buffer.alloc(32768);
		const read = (position: number) =>
			new Promise<number>((resolve, reject) =>
				sftp.read(handle, buffer, 0, 32768, position, (error, bytes) =>
					error ? reject(error) : resolve(bytes),
				),
			);
		expect(await within(read(0))).toBe(32768);
		expect(await within(read(32768))).toBe(50_000 - 32768);
		const stalled = read(50_000).catch(() => -1);
		const outcome = await Promise.race([
			stalled,
			new Promise((resolve) => setTimeout(() => resolve('no answer'), 500)),
		]);
		expect(outcome).toBe('no answer');
		expect((await call<Attrs>((cb) => sftp.stat('/stall.bin', cb))).size).toBe(200_000);
	});

	it('fails WRITEs as configured (disk full)', async () => {
		const full = await start({
			faults: { failWrites: { status: 'failure', message: 'No space left on device' } },
		});
		const sftp = await openSftp(full);
		const error = await failure(call((cb) => sftp.writeFile('/full.txt', 'data', cb)));
		expect(error.code).toBe(4);
		expect(error.message).toBe('No space left on device');
		full.faults.failWrites = undefined;
		await call((cb) => sftp.writeFile('/full.txt', 'data', cb));
		expect(fs.readFileSync(path.join(full.root, 'full.txt'), 'utf8')).toBe('data');
	});

	it('refuses connections beyond maxConnections during the handshake', async () => {
		const busy = await start({ faults: { maxConnections: 1 } });
		const first = await connect(busy);
		expect((await failure(connect(busy))).message).toMatch(/Connection lost before handshake/);
		expect(busy.refusedConnections).toBe(1);
		expect(busy.openConnections).toBe(1);
		const gone = new Promise((resolve) => first.client.once('close', resolve));
		first.client.end();
		await within(gone);
		for (let i = 0; i < 50 && busy.openConnections > 0; i++)
			await new Promise((r) => setTimeout(r, 20));
		await connect(busy);
		expect(busy.connections).toBe(2);
	});

	it('refuses the sftp subsystem when sftpSubsystem is false', async () => {
		const shellOnly = await start({ sftpSubsystem: false });
		const { client } = await connect(shellOnly);
		const error = await failure(call<SftpClient>((cb) => client.sftp(cb)));
		expect(error.message).toMatch(/subsystem/i);
	});

	// OpenSSH's client is part of every machine image here (openssh-client); a missing one fails, never skips.
	it("serves OpenSSH's sftp client, which exits at the end", async () => {
		const key = ed25519KeyPair();
		const keyFile = path.join(scratch, 'openssh-id');
		fs.writeFileSync(keyFile, key.private, { mode: 0o600 });
		const target = await start({ authorizedKeys: [key.public] });
		const data = crypto.randomBytes(1024 * 1024 + 3);
		fs.writeFileSync(path.join(scratch, 'openssh-up.bin'), data);
		const batch = path.join(scratch, 'openssh-batch');
		fs.writeFileSync(
			batch,
			[
				`put ${path.join(scratch, 'openssh-up.bin')} up.bin`,
				`get up.bin ${path.join(scratch, 'openssh-down.bin')}`,
				'rename up.bin renamed.bin',
				'ls -l',
			].join('\n') + '\n',
		);
		const args = ['-b', batch, '-P', String(target.port), '-i', keyFile];
		args.push(
			'-o',
			'BatchMode=yes',
			'-o',
			'IdentitiesOnly=yes',
			'-o',
			'UserKnownHostsFile=/dev/null',
		);
		args.push('-o', 'StrictHostKeyChecking=no', `${target.username}@${target.host}`);
		// Asynchronous: the server runs in this process.
		const { error, stdout } = await new Promise<{ error: Error | null; stdout: string }>(
			(resolve) =>
				execFile('sftp', args, { timeout: 10000 }, (failed, out) =>
					resolve({ error: failed, stdout: out }),
				),
		);
		expect(error).toBeNull();
		expect(sha256(fs.readFileSync(path.join(scratch, 'openssh-down.bin')))).toBe(sha256(data));
		expect(fs.readdirSync(target.root)).toEqual(['renamed.bin']);
		expect(stdout).toMatch(/^-rw-r--r-- .* 1048579 .* renamed\.bin$/m);
		expect(target.requests).toContainEqual({
			op: 'posix-rename@openssh.com',
			path: '/up.bin',
			target: '/renamed.bin',
		});
	});

	it('reports the host key fingerprint as ssh-keygen -l does', async () => {
		const { hostKeys } = await connect(server);
		expect(server.hostKeyType).toBe('ssh-ed25519');
		expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
		expect(sshFingerprint(hostKeys[0])).toBe(server.hostKeyFingerprint);

		const pair = ed25519KeyPair();
		const given = await start({ hostKey: pair.private });
		const blob = Buffer.from(pair.public.split(' ')[1], 'base64');
		const expected = `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
		expect(given.hostKeyFingerprint).toBe(expected);
		const keygen = (text: string) => {
			const file = path.join(scratch, `key-${crypto.randomUUID()}.pub`);
			fs.writeFileSync(file, `${text}\n`);
			return execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ')[1];
		};
		expect(keygen(pair.public)).toBe(given.hostKeyFingerprint);
		expect(keygen(server.hostPublicKey)).toBe(server.hostKeyFingerprint);
	});
});
