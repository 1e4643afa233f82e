import type { Client, FileInfo } from 'basic-ftp';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { posix } from 'node:path';
import {
	PassThrough,
	pipeline,
	Transform,
	Writable,
	type Readable,
	type TransformCallback,
} from 'node:stream';

import { TLSSocket } from 'node:tls';

import { enforcePin, pinMismatch } from './certificatePin';
import { fetchPresentedCertificate } from './certificateProbe';
import { ConnectionLog, MAX_ERROR_MESSAGE_CHARS, shortened } from './connectionLog';
import {
	createClient,
	endingAfterHandshake,
	handshakeOf,
	watchDataConnections,
} from './dataConnection';
import { useTlsWithin } from './deadline';
import {
	explainFailure,
	FtpFailure,
	isCertificateRejection,
	isMissingOrDenied,
	type FailureContext,
	type FtpStep,
} from './errors';
import { deleteFolderTree } from './folderDelete';
import { oneAtATime, walkFolders, type ListOptions } from './folderWalk';
import type { ListEntry } from './listing';
import { parseListing, type ParsedListing } from './listingText';
import { ancestorsAndSelf, checkPath, parentOf, pathOfPwdReply, resolvePath } from './paths';
import { deliverWholeLines } from './replyLines';
import { DEFAULT_RETRY_DELAY_MS, isTransient, TransientFailure, withRetries } from './retry';
import { secretsOf, tlsConnectOptions, type ConnectionSettings } from './settings';
import { describeCertificate, describeEndpoints, describeTls } from './tlsFacts';
import { DEFAULT_WALK_LIMITS, listingByteLimit, type WalkLimits } from './walkLimits';
import { guardCommandBytes } from './wireEncoding';

/** basic-ftp's own log lines during a LIST; anything else it logs then is the listing text itself. */
const LIST_PROTOCOL_LINE =
	/^([<>] |Downloading from |Trying to find|Optimal transfer|Active mode|Passive mode|PORT was refused|Invalid filename)/;

function isListingText(message: string): boolean {
	return !LIST_PROTOCOL_LINE.test(message);
}

export interface SessionOptions {
	/** Receives every (already redacted) log line, e.g. n8n's logger at debug level. */
	onLogLine?: (line: string) => void;
	/** Prefixes this connection's log lines, to tell apart the connections of a pool. */
	label?: string;
	/** The wait before the first retry of a failed transfer; every further wait doubles. */
	retryDelayMs?: number;
}

/** What an upload does when the target file already exists. */
export type IfExists = 'overwrite' | 'skip' | 'error' | 'append';

export interface UploadOptions {
	createDirectories?: boolean;
	/** Write to a temporary name in the target folder, then rename onto the target (default true). */
	atomic?: boolean;
	ifExists?: IfExists;
	/** Further attempts after a transient failure. */
	retries?: number;
}

export interface UploadResult {
	path: string;
	/** Bytes sent; for a skipped upload, the size of the file already there. */
	size: number;
	skipped?: boolean;
	appended?: boolean;
}

/**
 * How much a download may buffer between the data connection and n8n's store. n8n writes a stream to disk chunk by
 * chunk, taking whatever is buffered each time; with Node's default 16 KiB a TLS download arrives in 16 KiB records
 * and is written in as many small writes, at about half the speed (measured: 1 GiB over FTPS, 159 MB/s with 16 KiB,
 * 372 MB/s with 1 MiB). Memory stays bounded: at most this much per running transfer.
 */
export const TRANSFER_BUFFER_BYTES = 1024 * 1024;

/** One folder's listing, as listFolder returns it. */
export interface FolderListing {
	entries: FileInfo[];
	/** The folder's own MLSD `unique` fact, when the server sends one (its identity, for loop detection). */
	folderUniqueId?: string;
	/** The MLSD `unique` fact of the folder's real parent: differs from the listed parent's for a link. */
	parentUniqueId?: string;
}

/** basic-ftp reads this before every listing; the cast reaches an option its types mark protected. */
function setListingByteLimit(client: Client, bytes: number): void {
	(client as unknown as { options: { maxListingBytes: number } }).options.maxListingBytes = bytes;
}

/** Replies to a command the server does not implement (or not with that argument). */
function isNotImplemented(code: unknown): boolean {
	return code === 500 || code === 501 || code === 502 || code === 504;
}

/** A hidden name beside `path` that no reader mistakes for the finished file. */
function temporaryNameFor(path: string, suffix: 'part' | 'old' = 'part'): string {
	const name = posix.basename(path).slice(0, 180);
	return posix.join(parentOf(path), `.${name}.${randomBytes(4).toString('hex')}.${suffix}`);
}

/**
 * The destination of one download attempt: passes bytes on to `target` (the stream n8n stores) with back-pressure,
 * and never ends it, so that a resumed attempt can continue the same stream.
 */
class ForwardingSink extends Writable {
	bytes = 0;

	constructor(
		private readonly target: Writable,
		private readonly onBytes: (count: number) => void,
	) {
		super({ highWaterMark: TRANSFER_BUFFER_BYTES });
	}

	override _write(
		chunk: Buffer,
		_encoding: BufferEncoding,
		callback: (error?: Error) => void,
	): void {
		if (this.target.destroyed) {
			callback(new Error('the downloaded data could not be stored'));
			return;
		}
		this.bytes += chunk.length;
		this.onBytes(chunk.length);
		if (this.target.write(chunk)) {
			callback();
			return;
		}
		const settle = () => {
			this.target.off('drain', settle);
			this.target.off('close', settle);
			callback(
				this.target.destroyed ? new Error('the downloaded data could not be stored') : undefined,
			);
		};
		this.target.on('drain', settle);
		this.target.on('close', settle);
	}

	override _final(callback: (error?: Error) => void): void {
		callback();
	}
}

/** Counts the bytes that flow through it, so transfers can report their size without buffering. */
class ByteCounter extends Transform {
	bytes = 0;

	private markFirstByte: () => void = () => undefined;

	/** Settles when the first byte arrives (never, for an empty file). */
	readonly firstByte = new Promise<void>((resolve) => {
		this.markFirstByte = resolve;
	});

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		this.markFirstByte();
		callback(null, chunk);
	}
}

/**
 * One logged-in FTP connection, reused for all items of a node execution. Every method takes paths as the
 * user typed them, rejects unsafe ones before anything is sent, and throws only FtpFailure.
 */
export class FtpSession {
	readonly log: ConnectionLog;
	private readonly client: Client;
	private loginDirectory = '/';
	private banner = '';
	private listing = false;
	/** What the listing being received is of, for the parser that basic-ftp calls with its text. */
	private listingRequest = { directory: '/', maxEntries: DEFAULT_WALK_LIMITS.maxEntriesPerFolder };
	private lastListing: ParsedListing = { entries: [], skipped: [], badFacts: [] };
	private readonly onLogLine: ((line: string) => void) | undefined;
	private readonly retryDelayMs: number;
	private serverListsWithMlsd = false;
	/** Set by close(), e.g. when the execution is cancelled. */
	private closedOnPurpose = false;
	/** The server's FEAT reply: feature name → its parameters. */
	private features = new Map<string, string>();
	/** Folders known to exist, so that uploads into one folder do not repeat MKD for every item. */
	private readonly knownDirectories = new Set<string>(['/']);
	/** The TLS handshake of each data connection; uploads end only after it (see endingAfterHandshake). */
	private readonly dataHandshakes = new WeakMap<Socket, Promise<void>>();

	private constructor(
		private readonly settings: ConnectionSettings,
		options: SessionOptions,
	) {
		this.log = new ConnectionLog(secretsOf(settings), options.label);
		this.client = createClient(settings);
		guardCommandBytes(this.client.ftp);
		deliverWholeLines(this.client.ftp);
		this.client.parseList = (text: string) => {
			const { directory, maxEntries } = this.listingRequest;
			this.lastListing = parseListing(text, directory, maxEntries);
			return this.lastListing.entries;
		};
		this.client.ftp.verbose = true;
		this.onLogLine = options.onLogLine;
		this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
		const pin = settings.pinnedFingerprint;
		watchDataConnections(this.client, (socket) => {
			this.dataHandshakes.set(socket, handshakeOf(socket));
			this.describeDataConnection(socket);
			if (pin !== undefined) enforcePin(socket, pin);
		});
		this.client.ftp.log = (message: string) => {
			// A folder listing is data, not conversation: the log keeps its size, not every name in it.
			if (this.listing && isListingText(message)) {
				const lines = message.split(/\r?\n/).filter((line) => line.trim() !== '').length;
				this.note(`Listing received: ${lines} lines`);
				return;
			}
			// basic-ftp names the data connection's TLS version before its handshake, i.e. the highest one offered;
			// the negotiated one is logged when the handshake ends ("Data connection TLS: ...").
			this.note(message.replace(/^((?:Downloading from|Uploading to) \S+) \(TLS[^)]*\)$/, '$1'));
		};
	}

	/** Adds a line to the connection log and passes it (redacted) to n8n's logger. */
	note(message: string): void {
		for (const line of this.log.add(message)) this.onLogLine?.(line);
	}

	/** Logs where a data connection goes and, once its TLS handshake is done, its version and whether it resumed. */
	private describeDataConnection(socket: Socket): void {
		if (!socket.remoteAddress) return; // active mode's placeholder, replaced when the server connects
		const mode = this.settings.dataConnection === 'active' ? 'active' : 'passive';
		this.note(`Data connection (${mode}): ${describeEndpoints(socket)}`);
		if (socket instanceof TLSSocket) {
			socket.once('secureConnect', () =>
				this.note(
					`Data connection TLS: ${socket.getProtocol() ?? 'unknown version'}, session ${socket.isSessionReused() ? 'resumed' : 'not resumed (new handshake)'}`,
				),
			);
		}
	}

	/**
	 * Runs a TLS handshake; if Node rejects the server's certificate, logs what the certificate says next to what
	 * was expected, so the error's log tail shows both, then fails as before.
	 */
	private async withRejectedCertificateLogged<T>(handshake: () => Promise<T>): Promise<T> {
		return await handshake().catch(async (error: unknown) => {
			if (isCertificateRejection(error)) await this.logRejectedCertificate();
			return await Promise.reject(error as Error);
		});
	}

	private async logRejectedCertificate(): Promise<void> {
		const { host, tls } = this.settings;
		this.note(
			`Expected a certificate for ${tls?.servername ?? host}, trusted by the public CAs${tls?.ca ? ' or CA Certificate' : ''} and valid now`,
		);
		const presented = await fetchPresentedCertificate(this.settings);
		this.note(
			`The server presented: ${presented ? describeCertificate(presented) : '(could not be fetched)'}`,
		);
	}

	/** Runs a transfer and logs its size and duration. */
	private async timed<T>(what: string, bytes: () => number, work: () => Promise<T>): Promise<T> {
		const started = Date.now();
		const result = await work();
		this.note(`${what}: ${bytes()} bytes in ${Date.now() - started} ms`);
		return result;
	}

	/** Connects, secures and logs in, step by step, so that a failure names the step that failed. */
	static async open(
		settings: ConnectionSettings,
		options: SessionOptions = {},
	): Promise<FtpSession> {
		const session = new FtpSession(settings, options);
		// A refused login (e.g. a server at its connection limit) must not leave the connection open.
		await session.connect().catch((error: unknown) => {
			session.client.close();
			throw error;
		});
		return session;
	}

	get workingDirectory(): string {
		return this.loginDirectory;
	}

	/** The server's greeting (the text of its 220 reply). */
	get serverBanner(): string {
		return this.banner;
	}

	/** The TLS version of the control connection, e.g. `TLSv1.3`; undefined for plain FTP. */
	get tlsVersion(): string | undefined {
		const socket = this.client.ftp.socket;
		return socket instanceof TLSSocket ? (socket.getProtocol() ?? undefined) : undefined;
	}

	/** Whether the server lists folders with MLSD (exact types, sizes and times) rather than LIST. */
	get supportsMlsd(): boolean {
		return this.serverListsWithMlsd;
	}

	/** Closes the connection for good: work still running fails, and is neither retried nor reconnected. */
	close(): void {
		this.closedOnPurpose = true;
		this.client.close();
	}

	/** Absolute remote path for user input; throws before anything is sent if the input is unsafe. */
	resolve(path: unknown, label?: string): string {
		return resolvePath(checkPath(path, label, this.settings.encoding), this.loginDirectory);
	}

	private context(step: FtpStep, extra: Partial<FailureContext> = {}): FailureContext {
		const { host, port, security, timeoutMs, dataConnection } = this.settings;
		return { step, host, port, security, timeoutMs, dataConnection, ...extra };
	}

	/** Runs one piece of protocol work and turns any failure into a redacted FtpFailure. */
	private async attempt<T>(context: FailureContext, work: () => Promise<T>): Promise<T> {
		try {
			return await work();
		} catch (error) {
			throw this.explain(error, context);
		}
	}

	/**
	 * Runs `work` until it succeeds or fails for good (see retry.ts); logs every retry and explains the last failure.
	 * `context` is read when the work has failed, so that it can report how far the work got.
	 */
	private async retrying<T>(
		context: () => FailureContext,
		retries: number,
		work: (attemptNumber: number) => Promise<T>,
	): Promise<T> {
		let attempts = 0;
		const attempt = async (attemptNumber: number): Promise<T> => {
			attempts = attemptNumber;
			return await work(attemptNumber).catch(async (error: unknown) => {
				if (!this.closedOnPurpose) return await Promise.reject(error as Error);
				const failure = this.explain(error, context());
				failure.transient = false;
				return await Promise.reject(failure);
			});
		};
		return await withRetries(
			{ retries, firstDelayMs: this.retryDelayMs },
			attempt,
			(failure, attemptNumber, delayMs) =>
				this.note(
					`Attempt ${attemptNumber} of ${retries + 1} to ${context().action ?? 'run the command'} failed (${failure instanceof Error ? failure.message : String(failure)}); retrying in ${delayMs} ms`,
				),
		).catch(async (error: unknown) => {
			const failure = this.explain(error, context());
			if (attempts > 1) failure.message += ` (tried ${attempts} times)`;
			return await Promise.reject(failure);
		});
	}

	/** The failure as users see it: cause and fix in plain words, redacted, with the tail of the connection log. */
	private explain(error: unknown, context: FailureContext): FtpFailure {
		const failure = explainFailure(error, context);
		// A server's reply is quoted in the message: a hostile one can be megabytes long.
		const redacted = new FtpFailure(
			failure.step,
			shortened(this.log.redact(failure.message), MAX_ERROR_MESSAGE_CHARS),
			shortened(this.log.redact(failure.hint), MAX_ERROR_MESSAGE_CHARS),
			failure.replyCode,
		);
		redacted.connectionLog = this.log.tail();
		redacted.transient = isTransient(error);
		return redacted;
	}

	private async connect(): Promise<void> {
		const { host, port, security, user, password } = this.settings;
		this.note(
			`Connecting to ${host}:${port} (${security === 'none' ? 'plain FTP' : security === 'explicit' ? 'explicit FTPS' : 'implicit FTPS'})`,
		);
		const started = Date.now();
		// TLS options are made inside the attempts: a client key or certificate that cannot be used is explained.
		const welcome = await this.attempt(this.context('connect'), async () =>
			security === 'implicit'
				? await this.withRejectedCertificateLogged(
						async () =>
							await this.client.connectImplicitTLS(host, port, tlsConnectOptions(this.settings)),
					)
				: await this.client.connect(host, port),
		);
		this.note(
			`Connected: ${describeEndpoints(this.client.ftp.socket)}, greeting after ${Date.now() - started} ms`,
		);
		this.banner = welcome.message.replace(/^220[ -]?/, '').trim();
		if (security === 'explicit')
			await this.attempt(
				this.context('tls'),
				async () =>
					await this.withRejectedCertificateLogged(
						async () =>
							await useTlsWithin(
								this.client,
								tlsConnectOptions(this.settings) ?? {},
								this.settings.timeoutMs,
							),
					),
			);
		const control = this.client.ftp.socket;
		const pin = this.settings.pinnedFingerprint;
		if (control instanceof TLSSocket) {
			this.note(`TLS: ${describeTls(control)}`);
			this.note(`Server certificate: ${describeCertificate(control.getPeerCertificate())}`);
			// Before login: the password must not reach a server that is not the pinned one.
			const mismatch = pin === undefined ? undefined : pinMismatch(control, pin);
			if (mismatch) {
				this.client.close();
				throw this.explain(mismatch, this.context('tls'));
			}
		}
		const utf8 = this.settings.encoding === 'utf8';
		await this.attempt(this.context('login'), async () => {
			// Before login so that non-ASCII user names work on servers that honour it.
			if (utf8) await this.client.sendIgnoringError('OPTS UTF8 ON');
			await this.client.login(user, password);
		});
		await this.attempt(
			this.context('login', { action: 'prepare the session after login' }),
			async () => {
				// basic-ftp's useDefaultSettings, keeping the FEAT reply (SIZE, REST) and sending OPTS UTF8 ON only
				// for UTF-8: it would switch some servers to UTF-8 names while this connection speaks Latin-1.
				const features = await this.client.features();
				this.features = features;
				this.client.availableListCommands = features.has('MLST')
					? ['MLSD', 'LIST -a', 'LIST']
					: ['LIST -a', 'LIST'];
				await this.client.send('TYPE I');
				await this.client.sendIgnoringError('STRU F');
				if (utf8) await this.client.sendIgnoringError('OPTS UTF8 ON');
				if (features.has('MLST')) {
					await this.client.sendIgnoringError(
						'OPTS MLST type;size;modify;unique;unix.mode;unix.owner;unix.group;unix.ownername;unix.groupname;',
					);
				}
				if (this.client.ftp.hasTLS) {
					await this.client.sendIgnoringError('PBSZ 0');
					await this.client.sendIgnoringError('PROT P');
				}
				this.serverListsWithMlsd = this.client.availableListCommands.some((command) =>
					command.startsWith('MLSD'),
				);
			},
		);
		this.loginDirectory = await this.attempt(
			this.context('directory', { action: 'read the working directory (PWD)' }),
			async () => await this.client.pwd(),
		);
	}

	/** After a timeout or a dropped connection basic-ftp closes the client; later items get a fresh one. */
	private async reconnectIfClosed(): Promise<void> {
		if (!this.client.closed) return;
		if (this.closedOnPurpose) {
			throw new FtpFailure(
				'command',
				'The connection was closed because the execution was cancelled',
				'Run the workflow again to finish the work.',
			);
		}
		this.note('The previous connection was closed; reconnecting');
		this.knownDirectories.clear();
		this.knownDirectories.add('/');
		await this.connect();
	}

	private async command<T>(context: FailureContext, work: () => Promise<T>): Promise<T> {
		await this.reconnectIfClosed();
		return await this.attempt(context, work);
	}

	/** Runs a command and returns its failure instead of throwing it, for callers that explain some failures better. */
	private async failureOf(
		context: FailureContext,
		work: () => Promise<unknown>,
	): Promise<FtpFailure | undefined> {
		return await this.command(context, work).then(
			() => undefined,
			(failure: FtpFailure) => failure,
		);
	}

	/** True if `path` is a folder we can enter; leaves the working directory as it was. */
	private async isDirectory(path: string): Promise<boolean> {
		if (this.client.closed) return false;
		const entered = await this.client.sendIgnoringError(`CWD ${path}`);
		if (entered.code >= 300) return false;
		this.knownDirectories.add(path);
		await this.client.sendIgnoringError(`CWD ${this.loginDirectory}`);
		return true;
	}

	/**
	 * Where the server says the folder `path` really is: its PWD after CWD. Servers that resolve links name the
	 * link's target there; others repeat the path. Undefined when the folder cannot be entered or the reply names
	 * no absolute path.
	 */
	async realPathOf(path: string): Promise<string | undefined> {
		return await this.command(
			this.context('command', { action: 'check where the folder really is', path }),
			async () => {
				const entered = await this.client.sendIgnoringError(`CWD ${path}`);
				if (entered.code >= 300) return undefined;
				try {
					const reply = await this.client.sendIgnoringError('PWD');
					return reply.code === 257 ? pathOfPwdReply(reply.message) : undefined;
				} finally {
					await this.client.sendIgnoringError(`CWD ${this.loginDirectory}`);
				}
			},
		);
	}

	/** Lists `path` (and its subfolders if recursive) over this one connection. */
	async list(path: unknown, options: ListOptions = {}): Promise<ListEntry[]> {
		return await walkFolders(oneAtATime(this), path, options);
	}

	/** The absolute path of a folder the user named; fails with an explanation if it does not exist. */
	async existingFolder(path: unknown): Promise<string> {
		const folder = this.resolve(path);
		await this.command(
			this.context('command', { action: 'list the folder', path: folder }),
			async () => {
				// LIST of a missing folder is an empty success on some servers (vsftpd): ask first.
				if (!(await this.isDirectory(folder))) {
					throw new FtpFailure(
						'command',
						`The folder "${folder}" does not exist or cannot be opened`,
						'Check the path; relative paths start at the login folder (' +
							this.loginDirectory +
							').',
						550,
					);
				}
			},
		);
		return folder;
	}

	/**
	 * One folder's entries; `directory` must be an absolute, checked path. Only entries whose names are plain names
	 * in it are kept (see listingText.ts); what was left out is logged.
	 */
	async listFolder(
		directory: string,
		options: { retries?: number; maxEntries?: number } = {},
	): Promise<FolderListing> {
		const context = this.context('command', { action: 'list the folder', path: directory });
		const maxEntries = options.maxEntries ?? DEFAULT_WALK_LIMITS.maxEntriesPerFolder;
		const parsed = await this.retrying(
			() => context,
			options.retries ?? 0,
			async () => {
				await this.reconnectIfClosed();
				this.listing = true;
				this.listingRequest = { directory, maxEntries };
				setListingByteLimit(this.client, listingByteLimit(maxEntries));
				try {
					await this.client.list(directory).catch(async (error: unknown) => {
						if (!/maximum bytes exceeded/i.test((error as Error).message))
							return await Promise.reject(error as Error);
						// The server is still sending: its late reply must not answer the next command.
						this.dropControlConnectionAfter(error);
						return await Promise.reject(
							new FtpFailure(
								'command',
								`The listing of "${directory}" is larger than ${Math.round(listingByteLimit(maxEntries) / 2 ** 20)} MiB, too large for ${maxEntries} entries`,
								'Raise Max Entries per Folder in the options if the folder really is that large, or list a smaller folder. A server that sends an endless listing is broken.',
							),
						);
					});
					return this.lastListing;
				} finally {
					this.listing = false;
				}
			},
		);
		if (parsed.skipped.length > 0) {
			this.note(
				`Left out ${parsed.skipped.length} ${parsed.skipped.length === 1 ? 'entry' : 'entries'} of "${directory}" whose name is not a plain name in it (a path, . or .., or control characters): ${parsed.skipped.slice(0, 5).join(', ')}${parsed.skipped.length > 5 ? ', …' : ''}`,
			);
		}
		if (parsed.badFacts.length > 0) {
			this.note(
				`Ignored ${parsed.badFacts.length} MLSD ${parsed.badFacts.length === 1 ? 'fact' : 'facts'} of "${directory}" that make no sense (that field is null): ${parsed.badFacts.slice(0, 5).join(', ')}${parsed.badFacts.length > 5 ? ', …' : ''}`,
			);
		}
		return {
			entries: parsed.entries,
			folderUniqueId: parsed.folderUniqueId,
			parentUniqueId: parsed.parentUniqueId,
		};
	}

	/** MDTM, for servers whose LIST gives only a rounded local date; null when the server does not say. */
	async modificationTime(path: string): Promise<string | null> {
		try {
			const date = await this.client.lastMod(path);
			return Number.isNaN(date.getTime()) ? null : date.toISOString();
		} catch (error) {
			if (this.client.closed)
				throw this.explain(
					error,
					this.context('command', { action: 'read the modification time of', path }),
				);
			return null;
		}
	}

	/** The size the server reports for a file (SIZE), or undefined if it does not say. */
	private async remoteSize(path: string): Promise<number | undefined> {
		if (!this.features.has('SIZE')) return undefined;
		const size = await this.client
			.size(path)
			.catch(async (error: unknown) =>
				this.client.closed ? await Promise.reject(error as Error) : undefined,
			);
		return this.plausibleSize(path, size);
	}

	/** A size from a SIZE reply, unless it makes no sense (negative, beyond 2^53): then unknown, and logged. */
	private plausibleSize(path: string, size: number | undefined): number | undefined {
		if (size === undefined || (Number.isSafeInteger(size) && size >= 0)) return size;
		this.note(
			`Ignored the size the server reported for "${path}" (${size}): it is not a possible size`,
		);
		return undefined;
	}

	/**
	 * Streams a remote file into `consume` (e.g. n8n's prepareBinaryData) without buffering it; returns what
	 * `consume` returned and the number of bytes received. The byte count is checked against SIZE where the
	 * server supports it. After a transient failure the download is tried again; once bytes have arrived, it
	 * resumes where it stopped (REST), so `consume` sees one uninterrupted stream of the whole file.
	 */
	async download<T>(
		path: unknown,
		consume: (stream: Readable) => Promise<T>,
		options: { retries?: number } = {},
	): Promise<{ result: T; size: number }> {
		const remotePath = this.resolve(path);
		const output = new PassThrough({ highWaterMark: TRANSFER_BUFFER_BYTES });
		// Failures are reported by the promises below; this only keeps an early one from crashing the process.
		output.on('error', () => undefined);
		let received = 0;
		let expectedSize: number | undefined;
		let sizeAsked = false;
		let consumed: Promise<T> | undefined;
		let storeFailure: unknown;
		/** Set when the download has failed: the stream is ended on purpose, and `consume` failing then is expected. */
		let abandoned = false;
		// `consume` starts once data flows (or an empty file has arrived whole), so a refused download leaves no
		// empty file in n8n's binary store.
		const startConsuming = (): Promise<T> =>
			(consumed ??= consume(output).catch(async (error: unknown) => {
				if (!abandoned) storeFailure ??= error;
				output.destroy();
				return await Promise.reject(error as Error);
			}));
		const context = (): FailureContext =>
			this.context('transfer', {
				action: 'download',
				path: remotePath,
				bytesTransferred: received,
			});

		let failure = await this.retrying(context, options.retries ?? 0, async () => {
			// n8n could not store what arrived (e.g. a full disk): trying again would not help.
			if (storeFailure !== undefined)
				throw new FtpFailure('transfer', 'n8n could not store the data', '');
			await this.reconnectIfClosed();
			// Asked once, before the first byte: a resumed attempt continues the same file.
			if (!sizeAsked) {
				expectedSize = await this.remoteSize(remotePath);
				sizeAsked = true;
			}
			const resumeAt = received;
			const sink = new ForwardingSink(output, (count) => {
				received += count;
				void startConsuming().catch(() => undefined);
			});
			if (resumeAt > 0) this.note(`Resuming the download of "${remotePath}" at byte ${resumeAt}`);
			await this.timed(
				`Downloaded "${remotePath}"${resumeAt > 0 ? ` from byte ${resumeAt}` : ''}`,
				() => sink.bytes,
				async () => await this.client.downloadTo(sink, remotePath, resumeAt),
			).catch(async (error: unknown) => {
				this.dropControlConnectionAfter(error);
				const code = (error as { code?: unknown }).code;
				if (resumeAt > 0 && sink.bytes === 0 && isNotImplemented(code)) {
					throw new FtpFailure(
						'transfer',
						`The download of "${remotePath}" was interrupted after ${resumeAt} bytes, and the server cannot resume it (REST refused: ${(error as Error).message})`,
						'Try again later; with a server that cannot resume, a file has to arrive in one unbroken transfer.',
						code as number,
					);
				}
				return await Promise.reject(error as Error);
			});
			if (expectedSize !== undefined && received < expectedSize) {
				throw new TransientFailure(
					`the transfer ended after ${received} of the ${expectedSize} bytes the server announced (SIZE)`,
				);
			}
		}).then(
			() => undefined,
			(error: unknown) => error,
		);
		if (failure === undefined && expectedSize !== undefined && received > expectedSize) {
			failure = this.explain(
				new FtpFailure(
					'transfer',
					`"${remotePath}" changed during the download: the server announced ${expectedSize} bytes (SIZE), ${received} arrived`,
					'The file is probably still being written. Download it once it is complete (e.g. when its size stays the same between two listings).',
				),
				context(),
			);
		}
		if (failure !== undefined) {
			abandoned = true;
			output.destroy();
			await consumed?.catch(() => undefined);
			if (storeFailure !== undefined) {
				throw this.explain(storeFailure, { ...context(), action: 'store the downloaded data of' });
			}
			if (
				received === 0 &&
				isMissingOrDenied((failure as FtpFailure).replyCode) &&
				(await this.isDirectory(remotePath))
			) {
				throw new FtpFailure(
					'input',
					`"${remotePath}" is a folder, not a file`,
					'Use the List operation to find the files in it, then download each file.',
				);
			}
			throw failure;
		}
		output.end();
		const result = await startConsuming().catch((error: unknown) => {
			throw this.explain(error, { ...context(), action: 'store the downloaded data of' });
		});
		return { result, size: received };
	}

	/** The size of the file at `path`, or null if there is none; fails if a folder is there. */
	private async existingFileSize(path: string): Promise<number | null> {
		// Asked first: some servers (ftp-srv) answer SIZE of a folder with a size.
		if (await this.isDirectory(path)) {
			throw new FtpFailure(
				'input',
				`"${path}" is a folder, not a file`,
				'Give the path of a file to write, including its name.',
			);
		}
		let size: number | undefined;
		const failure = await this.failureOf(
			this.context('command', { action: 'check whether the target exists', path }),
			async () => {
				size = this.plausibleSize(path, await this.client.size(path));
			},
		);
		if (failure === undefined && size !== undefined) return size;
		if (failure !== undefined && this.client.closed) throw failure;
		// A refusal that says "no such file" means there is none; anything else is no answer at all.
		if (failure?.replyCode !== undefined && !isNotImplemented(failure.replyCode)) return null;
		// No usable SIZE: look for the name in its folder's listing.
		const name = posix.basename(path);
		const entry = (await this.listFolder(parentOf(path))).entries.find(
			(info) => info.name === name,
		);
		return entry ? entry.size : null;
	}

	/**
	 * After a transfer failed without a reply from the server (a dropped or stalled data connection), the server's
	 * reply to it may still arrive, and basic-ftp would take it for the answer to our next command. A new control
	 * connection starts clean.
	 */
	private dropControlConnectionAfter(error: unknown): void {
		if (typeof (error as { code?: unknown }).code === 'number' || this.client.closed) return;
		this.note(
			'Closing the control connection: a late reply to the failed transfer must not answer the next command',
		);
		this.client.close();
	}

	/** Sends `source` to `remotePath` with STOR (or APPE); returns the number of bytes sent. */
	private async store(
		source: Readable,
		remotePath: string,
		command: 'STOR' | 'APPE',
	): Promise<number> {
		const counter = new ByteCounter();
		// A source that fails (e.g. a binary file missing from n8n's store) fails the upload through `counter`.
		pipeline(source, counter, () => undefined);
		const upload = endingAfterHandshake(counter, async () => await this.currentDataHandshake());
		try {
			await this.timed(
				`${command === 'APPE' ? 'Appended to' : 'Uploaded'} "${remotePath}"`,
				() => counter.bytes,
				async () =>
					command === 'APPE'
						? await this.client.appendFrom(upload, remotePath)
						: await this.client.uploadFrom(upload, remotePath),
			);
		} catch (error) {
			this.dropControlConnectionAfter(error);
			return await Promise.reject(error as Error);
		} finally {
			// If the server refused before reading, this releases the source (e.g. an open file in n8n's store).
			counter.destroy();
		}
		return counter.bytes;
	}

	/** Fails (transiently: a new attempt may succeed) if the server holds a different size than expected. */
	private async verifyStoredSize(remotePath: string, expected: number): Promise<void> {
		const stored = await this.remoteSize(remotePath);
		if (stored !== undefined && stored !== expected) {
			throw new TransientFailure(
				`the server holds ${stored} bytes of "${remotePath}" after the upload, ${expected} were sent`,
			);
		}
	}

	/** Deletes a file we wrote and no longer want (a temporary upload); a failure is logged, not thrown. */
	private async removeQuietly(remotePath: string): Promise<void> {
		try {
			await this.reconnectIfClosed();
			await this.client.remove(remotePath, true);
			this.note(`Removed the incomplete upload "${remotePath}"`);
		} catch (error) {
			this.note(
				`Could not remove the incomplete upload "${remotePath}": ${(error as Error).message}`,
			);
		}
	}

	/**
	 * Uploads what `openSource` streams to `path`. By default the bytes go to a hidden temporary name in the target
	 * folder, and only a complete upload (confirmed by the server and, where SIZE works, of the right size) is renamed
	 * onto the target; a failed one is deleted, so the target never holds a partial file. `openSource` is called
	 * once per attempt.
	 */
	async upload(
		openSource: () => Promise<Readable>,
		path: unknown,
		options: UploadOptions = {},
	): Promise<UploadResult> {
		const remotePath = this.resolve(path);
		const ifExists = options.ifExists ?? 'overwrite';
		const retries = options.retries ?? 0;
		if (options.createDirectories) await this.ensureDirectory(parentOf(remotePath));
		const existingSize = ifExists === 'overwrite' ? null : await this.existingFileSize(remotePath);
		if (existingSize !== null && ifExists === 'skip') {
			this.note(
				`"${remotePath}" exists (${existingSize} bytes): not uploaded (If File Exists: Skip)`,
			);
			return { path: remotePath, size: existingSize, skipped: true };
		}
		if (existingSize !== null && ifExists === 'error') {
			throw new FtpFailure(
				'input',
				`"${remotePath}" already exists on the server (${existingSize} bytes)`,
				'Set If File Exists to Overwrite, Skip or Append, or upload under another name.',
			);
		}
		if (ifExists === 'append')
			return await this.append(openSource, remotePath, existingSize ?? 0, retries);

		const atomic = options.atomic ?? true;
		const target = atomic ? temporaryNameFor(remotePath) : remotePath;
		const context = (): FailureContext =>
			this.context('transfer', { action: 'upload', path: remotePath });
		let sent = 0;
		await this.retrying(context, retries, async () => {
			await this.reconnectIfClosed();
			await (async () => {
				sent = await this.store(await openSource(), target, 'STOR');
				await this.verifyStoredSize(target, sent);
			})().catch(async (error: unknown) => {
				// Also before a retry: some servers (ProFTPD without AllowOverwrite) refuse to STOR over a file.
				if (atomic) await this.removeQuietly(target);
				return await Promise.reject(error as Error);
			});
		});
		if (atomic) {
			await this.moveOnto(target, remotePath);
			this.note(
				`Stored "${remotePath}": ${sent} bytes${this.features.has('SIZE') ? ', size confirmed by the server,' : ''} written as "${target}", then renamed`,
			);
		}
		return { path: remotePath, size: sent };
	}

	/** Renames a finished temporary upload onto `target`, replacing a file that is there. */
	private async moveOnto(temporary: string, target: string): Promise<void> {
		const context = this.context('command', {
			action: 'rename the uploaded temporary file onto',
			path: target,
		});
		const rename = async (from: string, to: string) =>
			await this.failureOf(context, async () => await this.client.rename(from, to));
		let failure = await rename(temporary, target);
		if (
			failure &&
			!this.client.closed &&
			(isMissingOrDenied(failure.replyCode) || failure.replyCode === 553)
		) {
			// Some servers (ProFTPD without AllowOverwrite, pure-ftpd) do not rename onto an existing file. The old
			// file is moved aside, not deleted, until the new one is in place: if the rename was refused for another
			// reason, the old file is put back and nothing is lost.
			const aside = temporaryNameFor(target, 'old');
			if ((await rename(target, aside)) === undefined) {
				failure = await rename(temporary, target);
				if (failure === undefined) {
					this.note(
						`Replaced the existing "${target}": moved it aside, renamed the upload onto it`,
					);
					await this.removeQuietly(aside);
				} else if ((await rename(aside, target)) !== undefined) {
					this.note(`The previous "${target}" could not be put back; it is kept as "${aside}"`);
				}
			}
		}
		if (failure) {
			await this.removeQuietly(temporary);
			throw failure;
		}
	}

	/**
	 * Appends to `remotePath` with APPE (no temporary file: the bytes belong at the end of the existing file). A retry
	 * happens only while the server's file is unchanged, so that no byte is ever appended twice.
	 */
	private async append(
		openSource: () => Promise<Readable>,
		remotePath: string,
		sizeBefore: number,
		retries: number,
	): Promise<UploadResult> {
		const context = (): FailureContext =>
			this.context('transfer', { action: 'append to', path: remotePath });
		let sent = 0;
		await this.retrying(context, retries, async () => {
			await this.reconnectIfClosed();
			sent = await this.store(await openSource(), remotePath, 'APPE').catch(
				async (error: unknown) => {
					const sizeNow = await this.existingFileSize(remotePath).then(
						(size) => size ?? 0,
						() => undefined,
					);
					return await Promise.reject(
						sizeNow === sizeBefore
							? (error as Error)
							: new FtpFailure(
									'transfer',
									`The append to "${remotePath}" was interrupted after the server had stored part of it: the file has ${sizeNow ?? 'an unknown number of'} bytes now, ${sizeBefore} before (${(error as Error).message})`,
									'Check the end of the file on the server before appending again; retrying could append the same bytes twice.',
								),
					);
				},
			);
			const sizeNow = await this.remoteSize(remotePath);
			if (sizeNow !== undefined && sizeNow !== sizeBefore + sent) {
				throw new FtpFailure(
					'transfer',
					`After appending ${sent} bytes to "${remotePath}" (${sizeBefore} bytes before), the server holds ${sizeNow} bytes`,
					'Another program may be writing to the same file at the same time.',
				);
			}
		});
		return { path: remotePath, size: sent, appended: true };
	}

	private async currentDataHandshake(): Promise<void> {
		const socket = this.client.ftp.dataSocket;
		await (socket ? this.dataHandshakes.get(socket) : undefined);
	}

	/** Creates `path` and any missing parents; succeeds if it already exists. Returns whether it was created. */
	async ensureDirectory(path: string): Promise<boolean> {
		if (this.knownDirectories.has(path)) return false;
		return await this.command(
			this.context('command', { action: 'create the folder', path }),
			async () => {
				let created = false;
				for (const directory of ancestorsAndSelf(path)) {
					// Asked first because some servers answer MKD of an existing folder with success.
					if (this.knownDirectories.has(directory) || (await this.isDirectory(directory))) continue;
					// Another connection of the pool may create the same folder at the same moment.
					const made = await this.client.sendIgnoringError(`MKD ${directory}`);
					if (made.code >= 400 && !(await this.isDirectory(directory)))
						await this.client.send(`MKD ${directory}`);
					this.knownDirectories.add(directory);
					created = directory === path;
				}
				return created;
			},
		);
	}

	/** Creates one folder (its parent must exist unless `recursive`); succeeds if it already exists. */
	async createFolder(
		path: unknown,
		recursive: boolean,
	): Promise<{ path: string; created: boolean }> {
		const folder = this.resolve(path);
		if (recursive) return { path: folder, created: await this.ensureDirectory(folder) };
		return await this.command(
			this.context('command', { action: 'create the folder', path: folder }),
			async () => {
				if (await this.isDirectory(folder)) return { path: folder, created: false };
				await this.client.send(`MKD ${folder}`);
				this.knownDirectories.add(folder);
				return { path: folder, created: true };
			},
		);
	}

	async deleteFile(path: unknown): Promise<{ path: string }> {
		const remotePath = this.resolve(path);
		const failure = await this.failureOf(
			this.context('command', { action: 'delete the file', path: remotePath }),
			async () => await this.client.remove(remotePath),
		);
		if (isMissingOrDenied(failure?.replyCode) && (await this.isDirectory(remotePath))) {
			throw new FtpFailure(
				'input',
				`"${remotePath}" is a folder, not a file`,
				'To delete a folder, turn on the Folder option (and Recursive to delete what it contains).',
			);
		}
		if (failure) throw failure;
		return { path: remotePath };
	}

	/**
	 * Deletes a folder; with `recursive`, everything in it too, never leaving it (see folderDelete.ts). `limits` bound
	 * the walk through it.
	 */
	async deleteFolder(
		path: unknown,
		recursive: boolean,
		limits: Partial<WalkLimits> = {},
	): Promise<{ path: string }> {
		const folder = this.resolve(path);
		if (recursive && (folder === '/' || folder === this.loginDirectory)) {
			throw new FtpFailure(
				'input',
				`Refusing to delete "${folder}" recursively: it is ${folder === '/' ? 'the root folder' : 'the login folder'} of this FTP account`,
				'Delete the subfolders you mean one by one, or give the exact folder path.',
			);
		}
		if (recursive) {
			await deleteFolderTree(this, folder, limits);
			this.forgetDirectory(folder);
			return { path: folder };
		}
		const failure = await this.failureOf(
			this.context('command', { action: 'delete the folder', path: folder }),
			async () => await this.client.removeEmptyDir(folder),
		);
		if (failure && isMissingOrDenied(failure.replyCode) && (await this.isDirectory(folder))) {
			throw new FtpFailure(
				'command',
				`The folder "${folder}" cannot be deleted: it is probably not empty (${failure.message})`,
				'Turn on the Recursive option to delete the folder with everything in it.',
				550,
			);
		}
		if (failure) throw failure;
		this.forgetDirectory(folder);
		return { path: folder };
	}

	/** DELE of one entry a walk found: a file, or a link itself (never what it points to). */
	async removeEntry(path: string, what: 'file' | 'link'): Promise<void> {
		await this.command(
			this.context('command', {
				action: what === 'link' ? 'delete the link' : 'delete the file',
				path,
			}),
			async () => await this.client.remove(path),
		);
	}

	/** RMD of one folder a walk emptied. */
	async removeEmptyFolder(path: string): Promise<void> {
		await this.command(
			this.context('command', { action: 'delete the folder', path }),
			async () => await this.client.removeEmptyDir(path),
		);
		this.forgetDirectory(path);
	}

	private forgetDirectory(folder: string): void {
		for (const known of [...this.knownDirectories]) {
			if (known === folder || known.startsWith(`${folder}/`)) this.knownDirectories.delete(known);
		}
	}

	async rename(
		oldPath: unknown,
		newPath: unknown,
		options: { createDirectories?: boolean } = {},
	): Promise<{ oldPath: string; newPath: string }> {
		const from = this.resolve(oldPath, 'Old Path');
		const to = this.resolve(newPath, 'New Path');
		if (options.createDirectories) await this.ensureDirectory(parentOf(to));
		await this.command(
			this.context('command', { action: 'rename', path: from }),
			async () => await this.client.rename(from, to),
		);
		this.forgetDirectory(from);
		return { oldPath: from, newPath: to };
	}
}
