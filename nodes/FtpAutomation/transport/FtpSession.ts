import type { Client } from 'basic-ftp';
import type { Socket } from 'node:net';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';

import { TLSSocket } from 'node:tls';

import { enforcePin, pinMismatch } from './certificatePin';
import { fetchPresentedCertificate } from './certificateProbe';
import { ConnectionLog } from './connectionLog';
import {
	createClient,
	endingAfterHandshake,
	handshakeOf,
	watchDataConnections,
} from './dataConnection';
import {
	explainFailure,
	FtpFailure,
	isCertificateRejection,
	isMissingOrDenied,
	type FailureContext,
	type FtpStep,
} from './errors';
import {
	globFilter,
	includes,
	isRealEntry,
	listingFingerprint,
	toListEntry,
	type IncludeEntries,
	type ListEntry,
} from './listing';
import { ancestorsAndSelf, checkPath, parentOf, resolvePath } from './paths';
import { secretsOf, type ConnectionSettings } from './settings';
import { describeCertificate, describeEndpoints, describeTls } from './tlsFacts';

/** basic-ftp's own log lines during a LIST; anything else it logs then is the listing text itself. */
const LIST_PROTOCOL_LINE =
	/^([<>] |Downloading from |Trying to find|Optimal transfer|Active mode|PORT was refused|Invalid filename)/;

function isListingText(message: string): boolean {
	return !LIST_PROTOCOL_LINE.test(message);
}

/** Deeper than any real folder tree; reached only when the server shows a link loop as plain folders. */
const MAX_LIST_DEPTH = 50;

export interface ListOptions {
	recursive?: boolean;
	include?: IncludeEntries;
	filter?: string;
}

export interface SessionOptions {
	/** Receives every (already redacted) log line, e.g. n8n's logger at debug level. */
	onLogLine?: (line: string) => void;
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
	private readonly onLogLine: ((line: string) => void) | undefined;
	private serverListsWithMlsd = false;
	/** Folders known to exist, so that uploads into one folder do not repeat MKD for every item. */
	private readonly knownDirectories = new Set<string>(['/']);
	/** The TLS handshake of each data connection; uploads end only after it (see endingAfterHandshake). */
	private readonly dataHandshakes = new WeakMap<Socket, Promise<void>>();

	private constructor(
		private readonly settings: ConnectionSettings,
		options: SessionOptions,
	) {
		this.log = new ConnectionLog(secretsOf(settings));
		this.client = createClient(settings);
		this.client.ftp.verbose = true;
		this.onLogLine = options.onLogLine;
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
	private note(message: string): void {
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
		await session.connect();
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

	close(): void {
		this.client.close();
	}

	/** Absolute remote path for user input; throws before anything is sent if the input is unsafe. */
	resolve(path: unknown, label?: string): string {
		return resolvePath(checkPath(path, label), this.loginDirectory);
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

	/** The failure as users see it: cause and fix in plain words, redacted, with the tail of the connection log. */
	private explain(error: unknown, context: FailureContext): FtpFailure {
		const failure = explainFailure(error, context);
		const redacted = new FtpFailure(
			failure.step,
			this.log.redact(failure.message),
			this.log.redact(failure.hint),
			failure.replyCode,
		);
		redacted.connectionLog = this.log.tail();
		return redacted;
	}

	private async connect(): Promise<void> {
		const { host, port, security, user, password } = this.settings;
		const tls = this.settings.tls ? { ...this.settings.tls, host } : undefined;
		this.note(
			`Connecting to ${host}:${port} (${security === 'none' ? 'plain FTP' : security === 'explicit' ? 'explicit FTPS' : 'implicit FTPS'})`,
		);
		const started = Date.now();
		const welcome = await this.attempt(this.context('connect'), async () =>
			security === 'implicit'
				? await this.withRejectedCertificateLogged(
						async () => await this.client.connectImplicitTLS(host, port, tls),
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
					await this.withRejectedCertificateLogged(async () => await this.client.useTLS(tls)),
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
				if (utf8) {
					await this.client.useDefaultSettings();
				} else {
					// basic-ftp's useDefaultSettings, minus OPTS UTF8 ON: it would switch some servers to UTF-8
					// names while this connection speaks Latin-1.
					const features = await this.client.features();
					this.client.availableListCommands = features.has('MLST')
						? ['MLSD', 'LIST -a', 'LIST']
						: ['LIST -a', 'LIST'];
					await this.client.send('TYPE I');
					await this.client.sendIgnoringError('STRU F');
					if (features.has('MLST')) {
						await this.client.sendIgnoringError(
							'OPTS MLST type;size;modify;unique;unix.mode;unix.owner;unix.group;unix.ownername;unix.groupname;',
						);
					}
					if (this.client.ftp.hasTLS) {
						await this.client.sendIgnoringError('PBSZ 0');
						await this.client.sendIgnoringError('PROT P');
					}
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

	async list(path: unknown, options: ListOptions = {}): Promise<ListEntry[]> {
		const root = this.resolve(path);
		const matches = globFilter(options.filter);
		const include = options.include ?? 'both';
		const entries: ListEntry[] = [];
		const visited = new Set<string>();
		const context = this.context('command', { action: 'list the folder', path: root });

		await this.command(context, async () => {
			// LIST of a missing folder is an empty success on some servers (vsftpd): ask first.
			if (!(await this.isDirectory(root))) {
				throw new FtpFailure(
					'command',
					`The folder "${root}" does not exist or cannot be opened`,
					'Check the path; relative paths start at the login folder (' + this.loginDirectory + ').',
					550,
				);
			}
		});

		const walk = async (
			directory: string,
			relativeDirectory: string,
			ancestors: string[],
		): Promise<void> => {
			// Symbolic links are listed but never entered, and every folder is entered once.
			if (visited.has(directory)) return;
			visited.add(directory);
			if (ancestors.length > MAX_LIST_DEPTH) {
				throw new FtpFailure(
					'command',
					`The folder "${root}" is nested more than ${MAX_LIST_DEPTH} levels deep at "${directory}"`,
					'A folder link on the server probably points back to one of its parents. List a narrower folder, or turn off Recursive.',
				);
			}
			const infos = (
				await this.command({ ...context, path: directory }, async () => {
					this.listing = true;
					try {
						return await this.client.list(directory);
					} finally {
						this.listing = false;
					}
				})
			).filter(isRealEntry);
			// Some servers (ftp-srv, Windows junctions) show a link to a parent as a plain folder. Its contents
			// are then exactly those of that parent: list it, but do not descend into the same folder again.
			const fingerprint = listingFingerprint(infos);
			if (ancestors.includes(fingerprint)) {
				this.note(
					`Not descending into ${directory}: it lists exactly what one of its parents lists (a folder link?)`,
				);
				return;
			}
			for (const info of infos) {
				const entry = toListEntry(info, directory);
				const relativePath =
					relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
				if (includes(include, entry.type) && matches(relativePath)) {
					if (entry.modifiedAt === null && entry.type === 'file' && !this.serverListsWithMlsd) {
						entry.modifiedAt = await this.modificationTime(entry.path);
					}
					entries.push(entry);
				}
				if (options.recursive && entry.type === 'directory')
					await walk(entry.path, relativePath, [...ancestors, fingerprint]);
			}
		};
		await walk(root, '', []);
		return entries;
	}

	/** MDTM, for servers whose LIST gives only a rounded local date; null when the server does not say. */
	private async modificationTime(path: string): Promise<string | null> {
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

	/**
	 * Streams a remote file into `consume` (e.g. n8n's prepareBinaryData) without buffering it; returns what
	 * `consume` returned and the number of bytes received.
	 */
	async download<T>(
		path: unknown,
		consume: (stream: Readable) => Promise<T>,
	): Promise<{ result: T; size: number }> {
		const remotePath = this.resolve(path);
		const context = this.context('transfer', { action: 'download', path: remotePath });
		await this.reconnectIfClosed();
		const counter = new ByteCounter();
		// The transfer's own promise reports failures; this listener only keeps an error that arrives before
		// `consume` has subscribed from crashing the process as an unhandled 'error' event.
		counter.on('error', () => undefined);
		const transfer = this.timed(
			`Downloaded "${remotePath}"`,
			() => counter.bytes,
			async () => await this.client.downloadTo(counter, remotePath),
		);
		// If the server refuses before any data flows, the stream would never end: end it with the error.
		transfer.catch((error: unknown) =>
			counter.destroy(error instanceof Error ? error : new Error(String(error))),
		);
		// `consume` starts once data flows (or an empty file has arrived whole), so a refused download leaves
		// no empty file in n8n's binary store.
		const consumed = Promise.race([counter.firstByte, transfer]).then(
			async () => await consume(counter),
		);
		const [transferOutcome, consumeOutcome] = await Promise.allSettled([transfer, consumed]);

		if (transferOutcome.status === 'rejected') {
			const reason: unknown = transferOutcome.reason;
			if (
				counter.bytes === 0 &&
				isMissingOrDenied((reason as { code?: unknown }).code) &&
				(await this.isDirectory(remotePath))
			) {
				throw new FtpFailure(
					'input',
					`"${remotePath}" is a folder, not a file`,
					'Use the List operation to find the files in it, then download each file.',
				);
			}
			throw this.explain(reason, { ...context, bytesTransferred: counter.bytes });
		}
		if (consumeOutcome.status === 'rejected') {
			throw this.explain(consumeOutcome.reason, {
				...context,
				action: 'store the downloaded data of',
			});
		}
		return { result: (consumeOutcome as PromiseFulfilledResult<T>).value, size: counter.bytes };
	}

	/** Streams `source` to `path`; returns the number of bytes sent. */
	async upload(
		source: Readable,
		path: unknown,
		options: { createDirectories?: boolean } = {},
	): Promise<{ path: string; size: number }> {
		const remotePath = this.resolve(path);
		if (options.createDirectories) await this.ensureDirectory(parentOf(remotePath));
		const counter = new ByteCounter();
		// A source that fails (e.g. a binary file missing from n8n's store) fails the upload through `counter`.
		pipeline(source, counter, () => undefined);
		try {
			await this.command(
				this.context('transfer', { action: 'upload', path: remotePath }),
				async () =>
					await this.timed(
						`Uploaded "${remotePath}"`,
						() => counter.bytes,
						async () =>
							await this.client.uploadFrom(
								endingAfterHandshake(counter, async () => await this.currentDataHandshake()),
								remotePath,
							),
					),
			);
		} finally {
			// If the server refused before reading, this releases the source (e.g. an open file in n8n's store).
			counter.destroy();
		}
		return { path: remotePath, size: counter.bytes };
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

	async deleteFolder(path: unknown, recursive: boolean): Promise<{ path: string }> {
		const folder = this.resolve(path);
		if (recursive && (folder === '/' || folder === this.loginDirectory)) {
			throw new FtpFailure(
				'input',
				`Refusing to delete "${folder}" recursively: it is ${folder === '/' ? 'the root folder' : 'the login folder'} of this FTP account`,
				'Delete the subfolders you mean one by one, or give the exact folder path.',
			);
		}
		const context = this.context('command', {
			action: recursive ? 'delete the folder and its contents' : 'delete the folder',
			path: folder,
		});
		const failure = await this.failureOf(context, async () =>
			recursive ? await this.client.removeDir(folder) : await this.client.removeEmptyDir(folder),
		);
		if (
			failure &&
			!recursive &&
			isMissingOrDenied(failure.replyCode) &&
			(await this.isDirectory(folder))
		) {
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
