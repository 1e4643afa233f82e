/**
 * In-process SFTP server for tests and the demo, built on the server side of `ssh2` and bound to 127.0.0.1 only.
 * The SFTP requests themselves are served by tools/sftpServerFiles.ts from a folder on disk.
 *
 * Behaviour worth knowing when writing tests:
 * - Authentication: password, publickey and keyboard-interactive (one "Password: " prompt), as `authMethods` allows;
 *   a refusal lists the allowed methods, as OpenSSH does. The server identifies itself as `SSH-2.0-ssh2js<version>srv`
 *   unless `ident` is given.
 * - ssh2's server sends a bare SFTP VERSION packet (v3, no extensions) and has no way to send an EXTENDED_REPLY.
 *   The VERSION packet is rewritten here (see advertiseExtensions) to announce `posix-rename@openssh.com` and
 *   `fsync@openssh.com`, which need only a STATUS reply. `limits@openssh.com` and `statvfs@openssh.com` cannot be
 *   served, so ssh2 clients keep their default of about 32 KiB per READ/WRITE against this server, unless `ident`
 *   starts with "OpenSSH" (then ssh2 clients assume OpenSSH's 256 KiB packets and swap SYMLINK's arguments, as for
 *   OpenSSH; the server swaps them back).
 * - READ answers at most 255 KiB (a short read, as OpenSSH's sftp-server), and EOF at or after the end of a file.
 * - Standard RENAME onto an existing name fails with FAILURE; `posix-rename@openssh.com` replaces it.
 * - READDIR lists "." and ".." first (as OpenSSH), in batches of up to 100, with `ls -l` longnames (dates in UTC).
 * - Faults can be changed while the server runs (`server.faults`). dropAfterReadBytes/stallAfterReadBytes count
 *   the file bytes sent in READ replies over all connections since the fault was set; the READ that reaches the
 *   limit is cut short to it. Once fired, the fault is reset to undefined so that the next connection works (a
 *   stall affects only the SFTP session that reached it: its later READs are never answered).
 * - maxConnections uses ssh2's own check: a socket beyond that many open ones is closed before any byte is sent.
 * - ssh2 leaves an SFTP channel open after the client's EOF or CLOSE; it is closed here (OpenSSH's sftp would hang).
 * - Server sockets use TCP_NODELAY. A client should too (ssh2: `client.setNoDelay(true)`): without it each
 *   sequential request waits for a delayed ACK, ~40 ms on loopback (a 5 MiB createReadStream took 10 s, not 0.1 s).
 */
import * as crypto from 'crypto';
import type { EventEmitter } from 'events';
import * as fs from 'fs';
import type * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import {
	serveSftpSession,
	type SftpRequest,
	type SftpServerStream,
	type TestSftpFaults,
} from './sftpServerFiles';
import { ed25519KeyPair } from './sshKeys';

export type { SftpRequest, TestSftpFaults } from './sftpServerFiles';

export type SftpAuthMethod = 'password' | 'publickey' | 'keyboard-interactive';

export interface TestSftpServerOptions {
	/** Folder on disk served as "/" (default: a fresh temp folder, removed on close). */
	root?: string;
	/** Default 'tester' / 'secret-Pass-1'. */
	username?: string;
	password?: string;
	/** Public keys (OpenSSH one-line format) accepted for publickey authentication. */
	authorizedKeys?: string[];
	/** The methods the server offers (default password and publickey). */
	authMethods?: SftpAuthMethod[];
	/** PEM/OpenSSH private host key; default a fresh ed25519 key. */
	hostKey?: string;
	/** Advertise and serve posix-rename@openssh.com (default true). */
	posixRename?: boolean;
	/** false: refuse the sftp subsystem, like a shell-only account (default true). */
	sftpSubsystem?: boolean;
	/** What REALPATH(".") answers, and what relative paths are relative to (default "/"). */
	homeDirectory?: string;
	/** Software version in the identification string, e.g. 'OpenSSH_9.2p1' (default ssh2's 'ssh2js<version>srv'). */
	ident?: string;
	faults?: TestSftpFaults;
}

export interface TestSftpServer {
	host: '127.0.0.1';
	port: number;
	username: string;
	password: string;
	/** Absolute (real) path of the folder served as "/". */
	root: string;
	/** "SHA256:<base64 without padding>" of the host public key blob, as `ssh-keygen -l` prints it. */
	hostKeyFingerprint: string;
	/** E.g. 'ssh-ed25519'. */
	hostKeyType: string;
	/** The host public key in OpenSSH one-line format (for known_hosts or `ssh-keygen -lf`). */
	hostPublicKey: string;
	/** Connections accepted so far (past the identification exchange, not refused by maxConnections). */
	readonly connections: number;
	readonly openConnections: number;
	/** Connections closed during the handshake because of `faults.maxConnections`. */
	readonly refusedConnections: number;
	/** Every SFTP request received, oldest first (the last 10,000). */
	requests: SftpRequest[];
	/** The live fault settings (a copy of options.faults): change them while the server runs. */
	faults: TestSftpFaults;
	/** Drops every client, stops listening, closes open files and removes the temp root (if it made one). */
	close(): Promise<void>;
}

// Minimal types for the parts of ssh2 used here (@types/ssh2 is not installed).
interface ParsedKey {
	type: string;
	getPublicSSH(): Buffer;
	verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean | Error;
}
interface AuthContext {
	method: string;
	username: string;
	password?: string;
	key?: { algo: string; data: Buffer };
	blob?: Buffer;
	signature?: Buffer;
	hashAlgo?: string;
	accept(): void;
	reject(methodsLeft?: string[], isPartialSuccess?: boolean): void;
	prompt(
		prompts: Array<{ prompt: string; echo: boolean }>,
		title: string,
		instructions: string,
		callback: (answers: string[]) => void,
	): void;
}
interface ServerConnection extends EventEmitter {
	_sock: net.Socket;
}
type Accept<T> = () => T;
type Reject = (() => void) | undefined;
interface ProtocolLike {
	channelData(id: number, data: Buffer): void;
}
type ServerSftpStream = SftpServerStream & {
	_protocol: ProtocolLike;
	outgoing: { id: number; window: number; packetSize: number };
};
interface Ssh2Server extends EventEmitter {
	_srv: net.Server;
	listen(port: number, host: string, callback: () => void): Ssh2Server;
	address(): net.AddressInfo | string | null;
	close(callback?: () => void): Ssh2Server;
}
interface Ssh2Module {
	Server: new (
		config: { hostKeys: string[]; ident?: string },
		listener: (client: ServerConnection) => void,
	) => Ssh2Server;
	utils: {
		parseKey(key: string | Buffer): ParsedKey | ParsedKey[] | Error;
	};
}
const ssh2 = require('ssh2') as Ssh2Module;

const HOST = '127.0.0.1';
const MAX_REQUESTS = 10000;
const noop = (): void => undefined;

function parseKey(key: string, what: string): ParsedKey {
	const parsed = ssh2.utils.parseKey(key);
	if (parsed instanceof Error) throw new Error(`${what}: ${parsed.message}`);
	return Array.isArray(parsed) ? parsed[0] : parsed;
}

/** The fingerprint `ssh-keygen -l` prints for a public key blob. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
	return `SHA256:${crypto.createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

function sshString(text: string): Buffer {
	const bytes = Buffer.from(text);
	const length = Buffer.alloc(4);
	length.writeUInt32BE(bytes.length, 0);
	return Buffer.concat([length, bytes]);
}

/**
 * ssh2 answers INIT with a fixed 9-byte VERSION packet (`00 00 00 05 02 00 00 00 03`) and offers no way to add
 * extensions. This intercepts that one packet on its way to the channel and appends the extension pairs.
 */
function advertiseExtensions(sftp: ServerSftpStream, extensions: Array<[string, string]>): void {
	const extra = Buffer.concat(
		extensions.flatMap(([name, data]) => [sshString(name), sshString(data)]),
	);
	const protocol = sftp._protocol;
	sftp._protocol = new Proxy(protocol, {
		get(target, property) {
			if (property === 'channelData') {
				return (id: number, data: Buffer) => {
					const isVersion = id === sftp.outgoing.id && data.length === 9 && data[4] === 2;
					if (!isVersion) return target.channelData(id, data);
					sftp._protocol = protocol;
					const { window, packetSize } = sftp.outgoing;
					if (window < extra.length || packetSize < data.length + extra.length) {
						return target.channelData(id, data);
					}
					const packet = Buffer.concat([data, extra]);
					packet.writeUInt32BE(packet.length - 4, 0);
					sftp.outgoing.window -= extra.length;
					return target.channelData(id, packet);
				};
			}
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
		},
	});
}

/** Starts an SFTP server on 127.0.0.1 (port chosen by the operating system). */
export async function startSftpServer(
	options: TestSftpServerOptions = {},
): Promise<TestSftpServer> {
	const username = options.username ?? 'tester';
	const password = options.password ?? 'secret-Pass-1';
	const methods: string[] = [...(options.authMethods ?? ['password', 'publickey'])];
	const authorized = (options.authorizedKeys ?? []).map((key) => parseKey(key, 'authorizedKeys'));
	const hostKey = options.hostKey ?? ed25519KeyPair().private;
	const parsedHostKey = parseKey(hostKey, 'hostKey');
	const hostBlob = parsedHostKey.getPublicSSH();
	const home = path.posix.resolve('/', options.homeDirectory ?? '/');
	const posixRename = options.posixRename ?? true;
	const faults: TestSftpFaults = { ...options.faults };
	const extensions: Array<[string, string]> = [['fsync@openssh.com', '1']];
	if (posixRename) extensions.unshift(['posix-rename@openssh.com', '1']);

	let base: string | undefined;
	let root: string;
	if (options.root) {
		root = fs.realpathSync(options.root);
	} else {
		base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sftp-test-')));
		root = path.join(base, 'root');
		fs.mkdirSync(root);
	}

	const requests: SftpRequest[] = [];
	const record = (request: SftpRequest) => {
		requests.push(request);
		if (requests.length > MAX_REQUESTS) requests.splice(0, requests.length - MAX_REQUESTS);
	};
	let connections = 0;
	let openConnections = 0;
	let refusedConnections = 0;
	let readBytes = 0;
	const sockets = new Set<net.Socket>();
	const sessionClosers = new Set<() => Promise<void>>();

	// dropAfterReadBytes / stallAfterReadBytes count the file bytes sent since they were set.
	const limits = {
		drop: { limit: undefined as number | undefined, from: 0 },
		stall: { limit: undefined as number | undefined, from: 0 },
	};
	for (const [key, name] of [
		['drop', 'dropAfterReadBytes'],
		['stall', 'stallAfterReadBytes'],
	] as const) {
		Object.defineProperty(faults, name, {
			enumerable: true,
			get: () => limits[key].limit,
			set: (limit: number | undefined) => (limits[key] = { limit, from: readBytes }),
		});
		faults[name] = options.faults?.[name];
	}
	const accountRead = (bytes: number): { send: number; then?: 'drop' | 'stall' } => {
		const fired = (['drop', 'stall'] as const)
			.map((then) => ({
				then,
				room: (limits[then].limit ?? Infinity) - (readBytes - limits[then].from),
			}))
			.filter(({ room }) => bytes >= room)
			.sort((a, b) => a.room - b.room)[0];
		const send = fired ? Math.max(0, fired.room) : bytes;
		readBytes += send;
		if (fired) limits[fired.then] = { limit: undefined, from: readBytes };
		return { send, then: fired?.then };
	};

	const authenticate = (ctx: AuthContext): void => {
		const userOk = ctx.username === username;
		const reject = () => ctx.reject([...methods]);
		if (!methods.includes(ctx.method)) return reject();
		if (ctx.method === 'password') {
			return userOk && ctx.password === password ? ctx.accept() : reject();
		}
		if (ctx.method === 'keyboard-interactive') {
			return ctx.prompt([{ prompt: 'Password: ', echo: false }], 'Password', '', (answers) =>
				userOk && answers[0] === password ? ctx.accept() : reject(),
			);
		}
		// publickey: without a signature the client only asks whether the key would do.
		const key = authorized.find(
			(candidate) => ctx.key && candidate.getPublicSSH().equals(ctx.key.data),
		);
		if (!userOk || !key) return reject();
		if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
			return reject();
		}
		return ctx.accept();
	};

	const onConnection = (client: ServerConnection): void => {
		client.on('error', noop);
		connections++;
		openConnections++;
		client.once('close', () => openConnections--);
		client.on('authentication', authenticate);
		client.on('ready', () => {
			client.on('session', (acceptSession: Accept<EventEmitter>) => {
				const session = acceptSession();
				session.on('sftp', (accept: Accept<ServerSftpStream>, reject: Reject) => {
					if (options.sftpSubsystem === false) return reject?.();
					const sftp = accept();
					advertiseExtensions(sftp, extensions);
					sftp.on('error', noop);
					const closeHandles = serveSftpSession(sftp, {
						root,
						home,
						posixRename,
						serverIsOpenSsh: /^OpenSSH/.test(options.ident ?? ''),
						faults,
						record,
						accountRead,
						drop: () => {
							client._sock.end();
							setTimeout(() => client._sock.destroy(), 1000).unref();
						},
					});
					sessionClosers.add(closeHandles);
					sftp.once('close', () => {
						// ssh2 does not answer the client's CHANNEL_CLOSE of an SFTP channel by itself.
						sftp.end();
						sessionClosers.delete(closeHandles);
						void closeHandles();
					});
				});
			});
		});
	};

	const server = new ssh2.Server({ hostKeys: [hostKey], ident: options.ident }, onConnection);
	server.on('error', noop);
	// ssh2 closes a new socket at once, before any byte, while `maxConnections` sockets are open (like sshd's
	// MaxStartups); read live so that the fault can be changed while the server runs.
	Object.defineProperty(server, 'maxConnections', {
		get: () => faults.maxConnections ?? Infinity,
	});
	server._srv.on('connection', (socket: net.Socket) => {
		if (socket.destroyed) {
			refusedConnections++;
			return;
		}
		// Without it, small replies wait for delayed ACKs (about 40 ms per request on loopback).
		socket.setNoDelay(true);
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	const removeRoot = () => {
		if (base) fs.rmSync(base, { recursive: true, force: true });
	};
	try {
		await new Promise<void>((resolve, reject) => {
			server._srv.once('error', reject);
			server.listen(0, HOST, () => {
				server._srv.removeListener('error', reject);
				resolve();
			});
		});
	} catch (error) {
		removeRoot();
		throw error;
	}
	const address = server.address();
	if (!address || typeof address === 'string') throw new Error('ssh2 did not report a TCP address');

	let closing: Promise<void> | undefined;
	const close = (): Promise<void> => {
		closing ??= (async () => {
			try {
				const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
				for (const socket of sockets) socket.destroy();
				await Promise.all([...sessionClosers].map((closeHandles) => closeHandles()));
				await stopped;
			} finally {
				removeRoot();
			}
		})();
		return closing;
	};

	return {
		host: HOST,
		port: address.port,
		username,
		password,
		root,
		hostKeyFingerprint: sshFingerprint(hostBlob),
		hostKeyType: parsedHostKey.type,
		hostPublicKey: `${parsedHostKey.type} ${hostBlob.toString('base64')}`,
		get connections() {
			return connections;
		},
		get openConnections() {
			return openConnections;
		},
		get refusedConnections() {
			return refusedConnections;
		},
		requests,
		faults,
		close,
	};
}
