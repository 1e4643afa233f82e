import { ConnectionLog, MAX_ERROR_MESSAGE_CHARS, shortened } from './connectionLog';
import type {
	ChecksumAlgorithm,
	FolderListing,
	Protocol,
	RemoteConnection,
	RemoteStat,
	ServerCapabilities,
	ServerFacts,
} from './contract';
import { DEFAULTS } from './defaults';
import {
	failureOf,
	isRetryable,
	RemoteFailure,
	type FailureContext,
	type FailureStep,
} from './failures';
import { cannotSetModifiedAt } from './integrity/modifiedTimes';
import { ancestorsAndSelf, checkPath, resolvePath } from './paths';
import { protocolFor, type ConnectionSettings } from './protocols';
import { withRetries } from './retry';

export interface SessionOptions {
	/** Receives every (already redacted) log line, e.g. n8n's logger at debug level. */
	onLogLine?: (line: string) => void;
	/** Prefixes this connection's log lines, to tell apart the connections of a pool. */
	label?: string;
	/** The wait before the first retry of failed work; every further wait doubles. */
	retryDelayMs?: number;
}

/** A failure's context, or a function that builds it when the work has failed (to say how far the work got). */
export type ContextOf = FailureContext | (() => FailureContext);

/**
 * One logged-in connection as the engine uses it, whatever the protocol: it takes paths as the user typed them and
 * rejects unsafe ones before anything is sent, opens a new connection when the last one dropped, explains every
 * failure (cause, fix, the tail of its redacted log) and retries transient ones (`run`). Everything above it (the
 * pool, the verified download, the safe upload, the walk) speaks only to this class.
 */
export class RemoteSession {
	readonly log: ConnectionLog;
	private connection: RemoteConnection | undefined;
	private readonly onLogLine: ((line: string) => void) | undefined;
	private readonly retryDelayMs: number;
	/** Set by close(), e.g. when the execution is cancelled. */
	private closedOnPurpose = false;
	/** Folders known to exist, so that uploads into one folder do not create it again for every item. */
	private readonly knownFolders = new Set<string>(['/']);

	private constructor(
		private readonly protocol: Protocol<ConnectionSettings>,
		private readonly settings: ConnectionSettings,
		options: SessionOptions,
	) {
		this.log = new ConnectionLog(protocol.secretsOf(settings), options.label);
		this.onLogLine = options.onLogLine;
		this.retryDelayMs = options.retryDelayMs ?? DEFAULTS.retryDelayMs;
	}

	/**
	 * Connects and logs in, step by step, so that a failure names the step that failed. `protocol` is the one the
	 * settings are for; tests pass an in-memory one.
	 */
	static async open(
		settings: ConnectionSettings,
		options: SessionOptions = {},
		protocol: Protocol<ConnectionSettings> = protocolFor(settings),
	): Promise<RemoteSession> {
		const session = new RemoteSession(protocol, settings, options);
		await session.live();
		return session;
	}

	/** Adds a line to the connection log and passes it (redacted) to n8n's logger. */
	note(message: string): void {
		for (const line of this.log.add(message)) this.onLogLine?.(line);
	}

	private get current(): RemoteConnection {
		if (this.connection === undefined) throw new Error('The session was never connected');
		return this.connection;
	}

	/** The folder the server puts the user in after login: where relative paths start. */
	get homeDirectory(): string {
		return this.current.homeDirectory;
	}

	get capabilities(): ServerCapabilities {
		return this.current.capabilities;
	}

	get facts(): ServerFacts {
		return this.current.facts;
	}

	/** Closes the connection for good: work still running fails, and is neither retried nor reconnected. */
	close(): void {
		this.closedOnPurpose = true;
		this.connection?.close();
	}

	/** The connection, or a new one if the last one dropped (after a timeout, a reset, a server's 421). */
	private async live(): Promise<RemoteConnection> {
		if (this.connection !== undefined && !this.connection.closed) return this.connection;
		if (this.closedOnPurpose) {
			throw new RemoteFailure(
				'command',
				'The connection was closed because the execution was cancelled',
				'Run the workflow again to finish the work.',
			);
		}
		if (this.connection !== undefined) {
			this.note('The previous connection was closed; reconnecting');
			this.knownFolders.clear();
			this.knownFolders.add('/');
		}
		const connection = await this.protocol
			.open(this.settings, (line) => this.note(line))
			.catch(async (error: unknown) => await Promise.reject(this.explain(error, 'connect')));
		this.connection = connection;
		// What the credential test's summary says (n8n's credential dialog never shows it), for this log's readers.
		const { security, notes } = connection.facts;
		this.note(
			`Session ready: ${security}, working directory ${connection.homeDirectory}. ${notes.join(' ')}`.trim(),
		);
		return connection;
	}

	/** Absolute remote path for user input; throws before anything is sent if the input is unsafe. */
	resolve(path: unknown, label = 'Path'): string {
		const checked = checkPath(path, label);
		this.current.checkPath(checked, label);
		return resolvePath(checked, this.homeDirectory);
	}

	context(step: FailureStep, extra: Partial<FailureContext> = {}): FailureContext {
		return { step, ...this.protocol.contextOf(this.settings), ...extra };
	}

	/** The failure as users see it: cause and fix in plain words, redacted, with the tail of the connection log. */
	explain(error: unknown, context: FailureContext | FailureStep): RemoteFailure {
		const full = typeof context === 'string' ? this.context(context) : context;
		const failure = error instanceof RemoteFailure ? error : this.protocol.explain(error, full);
		return failure.with({
			// A server's reply is quoted in the message: a hostile one can be megabytes long.
			message: shortened(this.log.redact(failure.message), MAX_ERROR_MESSAGE_CHARS),
			hint: shortened(this.log.redact(failure.hint), MAX_ERROR_MESSAGE_CHARS),
			connectionLog: this.log.tail(),
			retryable: !this.closedOnPurpose && isRetryable(error, this.protocol.isTransient),
		});
	}

	/**
	 * Runs protocol work on a live connection and explains its failure; with `retries`, tries transient failures
	 * again with growing waits (the work is called anew each time, on a new connection if the last one dropped).
	 */
	async run<T>(
		context: ContextOf,
		work: (connection: RemoteConnection) => Promise<T>,
		retries = 0,
	): Promise<T> {
		const contextNow = typeof context === 'function' ? context : () => context;
		// Most commands are tried once (e.g. an MDTM for each of thousands of listed files): no retry machinery.
		if (retries <= 0) {
			return await work(await this.live()).catch(
				async (error: unknown) => await Promise.reject(this.explain(error, contextNow())),
			);
		}
		let attempts = 0;
		/** What the last attempt failed with, as the protocol said it: the log of a retry quotes it. */
		let cause: unknown;
		return await withRetries(
			{ retries, firstDelayMs: this.retryDelayMs },
			async (attemptNumber) => {
				attempts = attemptNumber;
				return await work(await this.live()).catch(async (error: unknown) => {
					cause = error;
					return await Promise.reject(this.explain(error, contextNow()));
				});
			},
			(_failure, attemptNumber, delayMs) =>
				this.note(
					`Attempt ${attemptNumber} of ${retries + 1} to ${contextNow().action ?? 'run the command'} failed (${cause instanceof Error ? cause.message : String(cause)}); retrying in ${delayMs} ms`,
				),
			(failure) => failure instanceof RemoteFailure && failure.retryable,
		).catch(async (failure: RemoteFailure) =>
			attempts > 1
				? await Promise.reject(
						failure.with({ message: `${failure.message} (tried ${attempts} times)` }),
					)
				: await Promise.reject(failure),
		);
	}

	/** One command's work, without retries: `run` for the common case. */
	async command<T>(
		action: string,
		path: string,
		work: (connection: RemoteConnection) => Promise<T>,
	): Promise<T> {
		return await this.run(this.context('command', { action, path }), work);
	}

	/** What is at `path` (undefined if nothing); remembers folders, which later creations can skip. */
	async stat(path: string, action = 'check what is at'): Promise<RemoteStat | undefined> {
		const found = await this.command(
			action,
			path,
			async (connection) => await connection.stat(path),
		);
		if (found?.type === 'directory') this.knownFolders.add(path);
		return found;
	}

	async isFolder(path: string, action = 'check the folder'): Promise<boolean> {
		const folder = await this.command(action, path, async (c) => await c.isFolder(path));
		if (folder) this.knownFolders.add(path);
		return folder;
	}

	/** The absolute path of a folder the user named; fails with an explanation if it does not exist. */
	async existingFolder(path: unknown): Promise<string> {
		const folder = this.resolve(path);
		// A listing of a missing folder is an empty success on some servers (vsftpd): ask first.
		if (!(await this.isFolder(folder, 'list the folder'))) {
			throw this.explain(
				new RemoteFailure(
					'command',
					`The folder "${folder}" does not exist or cannot be opened`,
					`Check the path; relative paths start at the login folder (${this.homeDirectory}).`,
					{ replyCode: 550 },
				),
				'command',
			);
		}
		return folder;
	}

	/** One folder's entries; `folder` must be an absolute, checked path. */
	async listFolder(
		folder: string,
		options: { retries?: number; maxEntries?: number } = {},
	): Promise<FolderListing> {
		const maxEntries = options.maxEntries ?? DEFAULTS.maxEntriesPerFolder;
		return await this.run(
			this.context('command', { action: 'list the folder', path: folder }),
			async (connection) => await connection.list(folder, { maxEntries }),
			options.retries ?? 0,
		);
	}

	/** A file's exact modification time, for servers whose listings give only a rounded one; null if not said. */
	async modifiedAt(path: string): Promise<string | null> {
		return await this.command(
			'read the modification time of',
			path,
			async (connection) => await connection.modifiedAt(path),
		);
	}

	/** The hash functions the server computes (asked of the server where the login did not tell). */
	async checksumsOffered(): Promise<readonly ChecksumAlgorithm[]> {
		return await this.command(
			'ask which checksums the server computes',
			this.homeDirectory,
			async (connection) =>
				(await connection.checksumsOffered?.()) ?? connection.capabilities.checksums ?? [],
		);
	}

	/** The server's hash of a file (lowercase hex); only asked when the server offers `algorithm`. */
	async checksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		return await this.command(`compute the ${algorithm} checksum of`, path, async (connection) => {
			if (connection.checksum === undefined)
				throw new RemoteFailure('command', 'This protocol cannot compute checksums', '');
			return await connection.checksum(path, algorithm);
		});
	}

	/** Sets a file's modification time (ISO 8601); fails with an explanation where the server cannot. */
	async setModifiedAt(path: string, isoTime: string): Promise<void> {
		await this.command('set the modification time of', path, async (connection) => {
			if (connection.setModifiedAt === undefined || connection.capabilities.setModifiedAt !== true)
				throw cannotSetModifiedAt(path);
			await connection.setModifiedAt(path, isoTime);
		});
	}

	/** Where the server says the folder `path` really is; undefined when it cannot be entered or said. */
	async realPathOf(path: string): Promise<string | undefined> {
		return await this.command(
			'check where the folder really is',
			path,
			async (connection) => await connection.realPath(path),
		);
	}

	/** Creates `path` and any missing parents; succeeds if it already exists. Returns whether it was created. */
	async ensureFolder(path: string): Promise<boolean> {
		if (this.knownFolders.has(path)) return false;
		let created = false;
		for (const folder of ancestorsAndSelf(path)) {
			// Asked first because some servers answer the creation of an existing folder with success.
			if (this.knownFolders.has(folder) || (await this.isFolder(folder))) continue;
			const failure = await failureOf(
				this.command('create the folder', folder, async (c) => await c.makeFolder(folder)),
			);
			// Another connection of the pool may create the same folder at the same moment.
			if (failure !== undefined && !(await this.isFolder(folder))) throw failure;
			this.knownFolders.add(folder);
			created = folder === path;
		}
		return created;
	}

	/** Creates one folder (its parent must exist); succeeds if it already exists. Returns whether it was created. */
	async makeFolder(folder: string): Promise<boolean> {
		if (await this.isFolder(folder)) return false;
		await this.command('create the folder', folder, async (c) => await c.makeFolder(folder));
		this.knownFolders.add(folder);
		return true;
	}

	async removeFile(path: string, action = 'delete the file'): Promise<void> {
		await this.command(action, path, async (connection) => await connection.removeFile(path));
	}

	async removeFolder(path: string): Promise<void> {
		await this.command(
			'delete the folder',
			path,
			async (connection) => await connection.removeFolder(path),
		);
		this.forgetFolder(path);
	}

	async rename(from: string, to: string, action = 'rename', about = from): Promise<void> {
		await this.command(action, about, async (connection) => await connection.rename(from, to));
		this.forgetFolder(from);
	}

	private forgetFolder(folder: string): void {
		for (const known of [...this.knownFolders]) {
			if (known === folder || known.startsWith(`${folder}/`)) this.knownFolders.delete(known);
		}
	}
}
