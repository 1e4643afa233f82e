/**
 * In-process FTP/FTPS server for tests, built on ftp-srv 4.6.3 and bound to 127.0.0.1 only.
 *
 * Behaviour of ftp-srv 4.6.3 worth knowing when writing tests (observed on this machine):
 * - Every reply comes from ftp-srv's own code; failed file-system calls reply with Node's error message,
 *   which contains the ABSOLUTE local path, e.g. `550 ENOENT: no such file or directory, stat '/tmp/…/x'`.
 * - CWD / SIZE / MDTM / DELE / RMD / RNFR of a missing path: 550. RETR of a missing file: 551 (not 550).
 * - MKD is recursive (`mkdir -p`): MKD of an existing folder, or of `a/b/c` with missing parents,
 *   succeeds with 257, and the quoted path in the 257 reply is the server's local file-system path.
 * - RMD of a non-empty folder: 550 (ENOTEMPTY). DELE and RMD are the same command: DELE removes an
 *   empty folder and RMD removes a file.
 * - RNFR 350 / RNTO 250; RNTO overwrites an existing target file (fs.rename semantics).
 * - LIST is `ls -l` style with sizes, and dates in UTC (`MMM DD HH:mm`, or `MMM DD  YYYY` when older
 *   than six months). `LIST -a` works (the `-a` is taken as a flag). No MLSD/MLST (502), so clients
 *   fall back to LIST. SIZE 213 <bytes>; MDTM 213 YYYYMMDDHHmmss.SSS (UTC, with milliseconds).
 * - The command parser strips every `"` from a command line and drops whole words of the form `-x`
 *   (one dash, one letter/digit) from the argument of every command except RETR, SIZE and STOR:
 *   avoid such names in tests.
 * - A failed login leaves the username set: a second USER on the same connection gets
 *   `530 Username already set`. Clients should reconnect after a 530.
 * - With allowAnonymous, `USER anonymous` is accepted immediately with 230 (no PASS is asked for).
 * - Once the control connection is secure, data connections are always TLS; PROT C is refused (536)
 *   and PROT needs PBSZ first (503). TLS session reuse is not required on data connections.
 * - ftp-srv installs SIGTERM/SIGINT/SIGQUIT handlers that call process.exit; they are removed here.
 * - STOR into a missing folder: ftp-srv replies 150, then resets the data connection and replies 550 ENOENT.
 *   It does not refuse with 553/550 before opening the data connection as most servers do. Which one
 *   basic-ftp reports is a race: usually `ECONNRESET (data socket)` (and the client is then closed),
 *   sometimes FTPError 550. Tests should not rely on either; create the folder first (MKD / ensureDir).
 * - Two ftp-srv timers are neutralised here: the 1 s timer per disconnected client and the 30 s passive-mode
 *   timer (see patchPassiveConnector), so that closed servers do not keep jest alive.
 * - AUTH TLS: ftp-srv starts TLS only some milliseconds after its 234, and reads a ClientHello that arrives in between
 *   as a command; the upgrade is patched to happen at once (see patchAuthTls).
 * - RNFR/RNTO of a file whose upload broke: ftp-srv deletes a file when its data connection is reset during STOR or
 *   APPE (even the target of an append); after a FIN it keeps what arrived.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { FileSystem, FtpSrv } from 'ftp-srv';

import { testCertificate, type TestCertificate } from './certificates';

export type TestServerSecurity = 'none' | 'explicit' | 'implicit';

export interface TestFtpServer {
	/** Always '127.0.0.1'. */
	host: string;
	port: number;
	/** Absolute temp folder that IS the FTP root for the test user (and for anonymous). */
	root: string;
	username: string;
	password: string;
	/** Present when security !== 'none'. */
	certificate?: TestCertificate;
	/** Stops the server (dropping any client still connected) and removes the root folder. */
	close(): Promise<void>;
}

export interface StartFtpServerOptions {
	security?: TestServerSecurity;
	allowAnonymous?: boolean;
	/**
	 * Extra TLS server options, e.g. `{ maxVersion: 'TLSv1.2' }`, or `{ requestCert: true, rejectUnauthorized: true,
	 * ca }` to require a client certificate (implicit only: ftp-srv's AUTH TLS upgrade ignores requestCert).
	 */
	tls?: tls.TlsOptions;
	/**
	 * The address announced in PASV replies (default 127.0.0.1). Data connections are still only accepted on
	 * 127.0.0.1, so e.g. '127.0.0.2' behaves like a server behind NAT that reports an unreachable address.
	 */
	pasvUrl?: string;
	/**
	 * Makes RNTO fail (550 with the returned reason) when it returns a reason, like servers that do not rename onto an
	 * existing file (ProFTPD without AllowOverwrite) or forbid some renames. `targetExists` says whether `to` exists.
	 */
	refuseRename?: (from: string, to: string, targetExists: boolean) => string | undefined;
}

const HOST = '127.0.0.1';
const USERNAME = 'tester';
const PASSWORD = 'S3cret-pässword!';

interface SilentLogger {
	trace(...args: unknown[]): void;
	debug(...args: unknown[]): void;
	info(...args: unknown[]): void;
	warn(...args: unknown[]): void;
	error(...args: unknown[]): void;
	fatal(...args: unknown[]): void;
	child(...args: unknown[]): SilentLogger;
}

const noop = (): void => undefined;
const silentLogger: SilentLogger = {
	trace: noop,
	debug: noop,
	info: noop,
	warn: noop,
	error: noop,
	fatal: noop,
	child: () => silentLogger,
};

type ListenerMap = Map<string | symbol, NodeJS.SignalsListener[]>;

function snapshotProcessListeners(): ListenerMap {
	const map: ListenerMap = new Map();
	for (const name of process.eventNames()) {
		map.set(name, [...process.listeners(name as NodeJS.Signals)]);
	}
	return map;
}

/** Removes every process listener that was added since `before` was taken. */
function removeAddedProcessListeners(before: ListenerMap): void {
	for (const name of process.eventNames()) {
		const previous = before.get(name) ?? [];
		for (const listener of process.listeners(name as NodeJS.Signals)) {
			if (!previous.includes(listener)) {
				process.removeListener(name, listener as (...args: unknown[]) => void);
			}
		}
	}
}

/**
 * ftp-srv's own FileSystem, except that a failed upload (e.g. STOR into a missing folder) does not leave an
 * unhandled bluebird rejection behind: ftp-srv's error handler tries to unlink the file that was never created.
 */
class TestFileSystem extends FileSystem {
	constructor(
		connection: ConstructorParameters<typeof FileSystem>[0],
		options: ConstructorParameters<typeof FileSystem>[1],
		private readonly refuseRename?: StartFtpServerOptions['refuseRename'],
	) {
		super(connection, options);
	}

	/** Like ftp-srv's, unless `refuseRename` says no: then RNTO fails with 550 and that reason. */
	rename(from: string, to: string): Promise<unknown> {
		const { fsPath } = (
			this as unknown as { _resolvePath(p: string): { fsPath: string } }
		)._resolvePath(to);
		const refusal = this.refuseRename?.(from, to, fs.existsSync(fsPath));
		return refusal ? Promise.reject(new Error(refusal)) : super.rename(from, to);
	}

	write(fileName: string, options?: { append?: boolean; start?: unknown }): unknown {
		const result = super.write(fileName, options) as { stream: fs.WriteStream; clientPath: string };
		const { stream } = result;
		stream.removeAllListeners('error');
		stream.once('error', () => {
			fs.promises.unlink(stream.path).catch(() => undefined);
		});
		return result;
	}
}

/** The parts of ftp-srv's passive connector (src/connector/passive.js) that the patch below touches. */
interface PassiveConnectorInternals {
	connection: {
		secure: boolean;
		commandSocket: net.Socket;
		reply(code: number, message?: string): Promise<unknown>;
		close(): Promise<unknown>;
	};
	server: {
		options: { tls?: tls.TlsOptions | false };
		url: { hostname: string };
		getNextPasvPort(): Promise<number>;
		emit(event: string, data: unknown): boolean;
	};
	dataSocket: (net.Socket & { connected?: boolean }) | null;
	dataServer: net.Server | null;
	closeServer(): void;
	end(): void;
	setupServer(): Promise<net.Server>;
}

const PASSIVE_CONNECT_TIMEOUT = 30 * 1000;
let passivePatched = false;

function sameAddress(a: string | undefined, b: string | undefined): boolean {
	const normalize = (address: string | undefined) => (address ?? '').replace(/^::ffff:/i, '');
	return normalize(a) === normalize(b);
}

/**
 * ftp-srv 4.6.3 starts a 30 s timer whenever a client enters passive mode (PASV/EPSV) and only clears it
 * when the data connection arrives. A client that never connects (aborted transfer, failed TLS handshake on
 * the data port, test that sends a raw EPSV) leaves that timer running, which keeps jest alive for 30 s after
 * the server is closed. This is ftp-srv's own setupServer with the timer unref'd and cleared on close;
 * everything else (reply codes, TLS on data connections, address check) is unchanged.
 */
/** The parts of ftp-srv's connection that its AUTH command touches. */
interface AuthConnectionInternals {
	commandSocket: net.Socket;
	secure: boolean;
	server: { options: { tls?: tls.TlsOptions | false } };
}

let authPatched = false;
const serverContexts = new WeakMap<tls.TlsOptions, tls.SecureContext>();

/**
 * ftp-srv (src/commands/registration/auth.js) wraps the control connection in TLS only once its `234` reply has been
 * flushed and a secure context built. A client that starts its handshake as soon as it reads `234` (the node does,
 * with its TLS context made in advance) has its ClientHello parsed as an FTP command in that gap, and gets a plain
 * text reply instead of a ServerHello ("wrong version number"). This AUTH TLS replies and wraps in the same tick, as
 * real servers do; other AUTH arguments still go to ftp-srv's handler.
 */
function patchAuthTls(): void {
	if (authPatched) return;
	authPatched = true;
	const registry = require('ftp-srv/src/commands/registry') as Record<
		string,
		{ handler: (this: AuthConnectionInternals, args: { command?: { arg?: string } }) => unknown }
	>;
	const original = registry.AUTH.handler;
	registry.AUTH.handler = function handleAuth(this: AuthConnectionInternals, args) {
		const options = this.server.options.tls;
		if ((args.command?.arg ?? '').toUpperCase() !== 'TLS' || !options || this.secure)
			return original.call(this, args);
		let secureContext = serverContexts.get(options);
		if (!secureContext) {
			secureContext = tls.createSecureContext(options);
			serverContexts.set(options, secureContext);
		}
		const plain = this.commandSocket;
		plain.write('234 Honored\r\n');
		const secureSocket = new tls.TLSSocket(plain, { isServer: true, secureContext });
		// As ftp-srv does: the connection keeps listening on the plain socket, which re-emits the secure one's events.
		for (const event of ['data', 'timeout', 'end', 'close', 'drain', 'error']) {
			secureSocket.on(event, (...eventArgs: unknown[]) => plain.emit(event, ...eventArgs));
		}
		this.commandSocket = secureSocket;
		this.secure = true;
		return undefined;
	};
}

function patchPassiveConnector(): void {
	if (passivePatched) return;
	passivePatched = true;
	const Passive = require('ftp-srv/src/connector/passive') as {
		prototype: PassiveConnectorInternals;
	};
	Passive.prototype.setupServer = function setupServer(
		this: PassiveConnectorInternals,
	): Promise<net.Server> {
		this.closeServer();
		return Promise.resolve(this.server.getNextPasvPort()).then((port) => {
			this.dataSocket = null;
			let idleServerTimeout: NodeJS.Timeout | undefined;

			const connectionHandler = (socket: net.Socket & { connected?: boolean }) => {
				if (!sameAddress(this.connection.commandSocket.remoteAddress, socket.remoteAddress)) {
					socket.destroy();
					void this.connection
						.reply(550, 'Remote addresses do not match')
						.then(() => this.connection.close());
					return;
				}
				clearTimeout(idleServerTimeout);
				this.dataSocket = socket;
				socket.on('error', (error: Error) =>
					this.server?.emit('client-error', {
						connection: this.connection,
						context: 'dataSocket',
						error,
					}),
				);
				socket.once('close', () => this.closeServer());
				if (!this.connection.secure) socket.connected = true;
			};

			const secure = this.connection.secure;
			const serverOptions = {
				...(secure && this.server.options.tls ? this.server.options.tls : {}),
				pauseOnConnect: true,
			};
			const dataServer = secure
				? tls.createServer(serverOptions, connectionHandler)
				: net.createServer(serverOptions, connectionHandler);
			this.dataServer = dataServer;
			dataServer.maxConnections = 1;
			dataServer.on('error', (error: Error) =>
				this.server?.emit('client-error', {
					connection: this.connection,
					context: 'dataServer',
					error,
				}),
			);
			dataServer.once('close', () => {
				clearTimeout(idleServerTimeout);
				this.end();
			});
			if (secure) {
				dataServer.on('secureConnection', (socket: tls.TLSSocket & { connected?: boolean }) => {
					socket.connected = true;
				});
			}

			return new Promise<net.Server>((resolve, reject) => {
				dataServer.once('error', reject);
				dataServer.listen(port, this.server.url.hostname, () => {
					dataServer.removeListener('error', reject);
					idleServerTimeout = setTimeout(() => this.closeServer(), PASSIVE_CONNECT_TIMEOUT);
					idleServerTimeout.unref();
					resolve(dataServer);
				});
			});
		});
	};
}

/** Minimal view of ftp-srv internals used to make shutdown prompt and timer-free. */
interface FtpSrvInternals {
	server: net.Server;
	connections: Record<string, { close(code?: number): unknown }>;
	disconnectClient(id: string): Promise<unknown>;
}

/**
 * Starts an FTP server on 127.0.0.1 with a fresh temp folder as its root.
 * The control port and every passive data port are chosen by the operating system (port 0).
 */
export async function startFtpServer(options: StartFtpServerOptions = {}): Promise<TestFtpServer> {
	const security: TestServerSecurity = options.security ?? 'none';
	const allowAnonymous = options.allowAnonymous ?? false;

	const certificate = security === 'none' ? undefined : await testCertificate();
	const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-test-')));
	const root = path.join(base, 'root');
	fs.mkdirSync(root);

	patchPassiveConnector();
	patchAuthTls();
	const before = snapshotProcessListeners();
	let server: FtpSrv;
	try {
		server = new FtpSrv({
			// Port 0: the OS picks a free control port; read it back after listen().
			url: `${security === 'implicit' ? 'ftps' : 'ftp'}://${HOST}:0`,
			// A function, because ftp-srv replaces a plain pasv_url with the client's own address for local clients.
			pasv_url: (options.pasvUrl ? () => options.pasvUrl : HOST) as string,
			// pasv_min = pasv_max = 0 makes ftp-srv listen on port 0 for every passive data
			// connection, so the OS picks a free port each time (ftp-srv replies with the real port).
			pasv_min: 0,
			pasv_max: 0,
			tls: certificate ? { ...options.tls, key: certificate.key, cert: certificate.cert } : false,
			anonymous: allowAnonymous,
			greeting: 'ftp-srv test server',
			log: silentLogger,
		});
	} finally {
		// ftp-srv adds SIGTERM/SIGINT/SIGQUIT handlers that call process.exit(0); they would kill jest.
		removeAddedProcessListeners(before);
	}

	const internals = server as unknown as FtpSrvInternals;
	// ftp-srv's disconnectClient leaves a 1 s timer running per client; this one does the same work without it.
	internals.disconnectClient = async (id: string): Promise<unknown> => {
		const client = internals.connections[id];
		if (!client) return undefined;
		delete internals.connections[id];
		try {
			client.close(0);
		} catch {
			// The socket may already be gone.
		}
		return 'Disconnected';
	};

	server.on('login', ({ connection, username, password }, resolve, reject) => {
		if (
			(username === USERNAME && password === PASSWORD) ||
			(allowAnonymous && username === 'anonymous')
		) {
			// The user's root is the temp folder itself: '/' on FTP is `root` on disk.
			resolve({ fs: new TestFileSystem(connection, { root, cwd: '/' }, options.refuseRename) });
		} else {
			// ftp-srv replies `530 <message>`; never echo the password.
			reject(new Error('Login incorrect.'));
		}
	});

	try {
		await server.listen();
	} catch (error) {
		fs.rmSync(base, { recursive: true, force: true });
		throw error;
	}
	const address = internals.server.address();
	if (!address || typeof address === 'string') {
		await Promise.resolve(server.close());
		fs.rmSync(base, { recursive: true, force: true });
		throw new Error('ftp-srv did not report a TCP address');
	}

	let closing: Promise<void> | undefined;
	const close = (): Promise<void> => {
		if (!closing) {
			closing = (async () => {
				try {
					await Promise.resolve(server.close());
				} finally {
					fs.rmSync(base, { recursive: true, force: true });
				}
			})();
		}
		return closing;
	};

	return {
		host: HOST,
		port: address.port,
		root,
		username: USERNAME,
		password: PASSWORD,
		certificate,
		close,
	};
}
