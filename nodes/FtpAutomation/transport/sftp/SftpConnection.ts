import type { Readable, Writable } from 'node:stream';
import type { Client, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';

import type {
	ChecksumAlgorithm,
	FolderListing,
	RemoteConnection,
	RemoteStat,
	ServerCapabilities,
	ServerFacts,
} from '../contract';
import { ResumeRefused } from '../failures';
import {
	answersCheckFile,
	CHECK_FILE_ALGORITHMS,
	CHECK_FILE_EXTENSIONS,
	checkFile,
} from './checkFile';
import { openSftp, type HandshakeFacts } from './handshake';
import { toFolderListing } from './listingEntries';
import { SFTP_STATUS, SftpRequests, statusOf } from './requests';
import type { SftpSettings } from './settings';
import { chunkBytesFor, readPipelined, writePipelined } from './transfers';

/** A status that means "nothing there" or "not for you": the path is not a file we can use. */
function isMissingOrDenied(error: unknown): boolean {
	const status = statusOf(error);
	return status === SFTP_STATUS.noSuchFile || status === SFTP_STATUS.permissionDenied;
}

/** How long a request took, for the log. */
function since(started: number): string {
	return `${Date.now() - started} ms`;
}

/** One logged-in SFTP session (ssh2), as the engine's contract describes it. */
export class SftpConnection implements RemoteConnection {
	homeDirectory = '/';
	private readonly requests: SftpRequests;
	/** Whether the server answers check-file: undefined until Verify Checksum asks (once: `checkFileProbe`). */
	private checksFiles: boolean | undefined;
	private checkFileProbe: Promise<boolean> | undefined;

	private constructor(
		private readonly client: Client,
		private readonly sftp: SFTPWrapper,
		private readonly handshake: HandshakeFacts,
		private readonly settings: SftpSettings,
		private readonly note: (line: string) => void,
	) {
		// SftpRequests gives up the connection (and fails what waits on it) when the client ends; the channel alone
		// may end too, and the library reports that as an 'error' event as well.
		this.requests = new SftpRequests(sftp, client, settings.timeoutMs);
		const channelLost = () => this.requests.giveUp(new Error('The SFTP channel was closed'));
		sftp.once('close', channelLost);
		sftp.on('error', channelLost);
	}

	static async open(settings: SftpSettings, note: (line: string) => void): Promise<SftpConnection> {
		const { client, sftp, facts } = await openSftp(settings, note);
		const connection = new SftpConnection(client, sftp, facts, settings, note);
		connection.homeDirectory = await connection.requests
			.send<string>('the login folder (REALPATH ".")', (done) =>
				sftp.realpath('.', (error, path) => done(error, path)),
			)
			.catch(async (error: unknown) => {
				connection.close();
				return await Promise.reject(error as Error);
			});
		const extensions = Object.keys(connection.extensions);
		note(
			`SFTP version ${facts.sftpVersion ?? 'unknown'}, extensions: ${extensions.length > 0 ? extensions.join(', ') : 'none'}; login folder ${connection.homeDirectory}`,
		);
		return connection;
	}

	private get extensions(): Record<string, string> {
		return (this.sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
	}

	get closed(): boolean {
		return this.requests.closed;
	}

	get capabilities(): ServerCapabilities {
		return {
			resume: true,
			size: true,
			exactTimes: true,
			renameReplaces: 'posix-rename@openssh.com' in this.extensions,
			checksums: this.checksFiles === true ? CHECK_FILE_ALGORITHMS : [],
			setModifiedAt: true,
		};
	}

	get facts(): ServerFacts {
		const { identification, hostKey, negotiated, sftpVersion, methodUsed } = this.handshake;
		return {
			security: `SFTP (SSH, ${negotiated ?? 'algorithms unknown'})`,
			greeting: identification ?? '',
			notes: [
				`Host key: ${hostKey ? `${hostKey.type} ${hostKey.fingerprint}` : 'unknown'}${this.settings.acceptAnyHostKey ? ' (not checked: Accept Any Host Key is on)' : ''}.`,
				`Authenticated with ${methodUsed ?? 'none'}.`,
				`SFTP version ${sftpVersion ?? 'unknown'}.`,
			],
		};
	}

	/** Asked only for Verify Checksum, once per connection, where VERSION did not announce check-file. */
	async checksumsOffered(): Promise<readonly ChecksumAlgorithm[]> {
		this.checkFileProbe ??= CHECK_FILE_EXTENSIONS.some((name) => name in this.extensions)
			? Promise.resolve(true)
			: this.logged(
					'CHECK-FILE (is it offered?)',
					this.homeDirectory,
					async () =>
						await this.requests.whileConnected(
							async () =>
								await answersCheckFile(this.client, this.homeDirectory, this.settings.timeoutMs),
						),
				);
		this.checksFiles = await this.checkFileProbe;
		return this.capabilities.checksums ?? [];
	}

	async checksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		return await this.logged(
			`CHECK-FILE ${algorithm}`,
			path,
			async () =>
				await this.requests.whileConnected(
					async () => await checkFile(this.client, path, algorithm),
				),
		);
	}

	/** SETSTAT sets both times: the access time is kept as it is (now, where the server cannot say). */
	async setModifiedAt(path: string, isoTime: string): Promise<void> {
		const stats = await this.statOf(path);
		const mtime = Math.floor(new Date(isoTime).getTime() / 1000);
		const atime = stats?.atime ?? Math.floor(Date.now() / 1000);
		await this.logged('SETSTAT', path, async () => {
			await this.requests.send<void>(`SETSTAT "${path}"`, (done) =>
				this.sftp.utimes(path, atime, mtime, (error) => done(error)),
			);
		});
	}

	close(): void {
		this.requests.giveUp(new Error('The connection was closed'));
	}

	/** SFTP carries any UTF-8 name; only what the engine already rejects (control characters) is refused. */
	checkPath(): void {}

	/** Runs one request and logs it (operation, path, outcome, time), never file content. */
	private async logged<T>(operation: string, path: string, work: () => Promise<T>): Promise<T> {
		const started = Date.now();
		return await work().then(
			(result) => {
				const outcome = result === undefined && operation === 'STAT' ? 'no such file' : 'OK';
				this.note(`${operation} ${path}: ${outcome} (${since(started)})`);
				return result;
			},
			async (error: unknown) => {
				this.note(
					`${operation} ${path}: ${error instanceof Error ? error.message : String(error)} (${since(started)})`,
				);
				return await Promise.reject(error as Error);
			},
		);
	}

	private async statOf(path: string): Promise<Stats | undefined> {
		return await this.logged(
			'STAT',
			path,
			async () =>
				await this.requests
					.send<Stats>(`STAT "${path}"`, (done) =>
						this.sftp.stat(path, (e, stats) => done(e, stats)),
					)
					.catch(async (error: unknown) =>
						statusOf(error) === SFTP_STATUS.noSuchFile ? undefined : await Promise.reject(error),
					),
		);
	}

	async list(folder: string, options: { maxEntries: number }): Promise<FolderListing> {
		return await this.logged('READDIR', folder, async () => {
			const handle = await this.requests.send<Buffer>(`OPENDIR "${folder}"`, (done) =>
				this.sftp.opendir(folder, (error, opened) => done(error, opened)),
			);
			const raw: FileEntryWithStats[] = [];
			try {
				// A listing in batches until EOF; a server that never sends EOF is stopped by the entry limit.
				for (;;) {
					const batch = await this.requests
						.send<
							FileEntryWithStats[]
						>(`READDIR "${folder}"`, (done) => this.sftp.readdir(handle, (error, entries) => done(error, entries)))
						.catch(async (error: unknown) =>
							statusOf(error) === SFTP_STATUS.eof ? undefined : await Promise.reject(error),
						);
					if (batch === undefined || batch.length === 0) break;
					raw.push(...batch);
					if (raw.length > options.maxEntries + 2) break;
				}
			} finally {
				await this.requests.close(handle, folder).catch(() => undefined);
			}
			return await toFolderListing(raw, folder, options.maxEntries, {
				note: this.note,
				readLink: async (path) =>
					await this.requests
						.send<string>(`READLINK "${path}"`, (done) =>
							this.sftp.readlink(path, (error, target) => done(error, target)),
						)
						.catch(() => undefined),
			});
		});
	}

	async stat(path: string): Promise<RemoteStat | undefined> {
		const stats = await this.statOf(path).catch(async (error: unknown) =>
			statusOf(error) === SFTP_STATUS.permissionDenied ? undefined : await Promise.reject(error),
		);
		if (stats === undefined) return undefined;
		if (stats.isDirectory()) return { type: 'directory' };
		return { type: 'file', size: this.plausibleSize(path, stats.size) };
	}

	async isFolder(path: string): Promise<boolean> {
		const stats = await this.statOf(path).catch(async (error: unknown) =>
			isMissingOrDenied(error) ? undefined : await Promise.reject(error),
		);
		return stats?.isDirectory() ?? false;
	}

	async size(path: string): Promise<number | undefined> {
		const stats = await this.statOf(path);
		return stats?.isFile() ? this.plausibleSize(path, stats.size) : undefined;
	}

	private plausibleSize(path: string, size: unknown): number | undefined {
		if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) return size;
		this.note(
			`Ignored the size the server reported for "${path}" (${String(size)}): it is not a possible size`,
		);
		return undefined;
	}

	async modifiedAt(path: string): Promise<string | null> {
		const stats = await this.statOf(path);
		const seconds = stats?.mtime;
		return typeof seconds === 'number' && seconds > 0 && seconds < 2 ** 35
			? new Date(seconds * 1000).toISOString()
			: null;
	}

	async realPath(path: string): Promise<string | undefined> {
		if (!(await this.isFolder(path))) return undefined;
		return await this.requests
			.send<string>(`REALPATH "${path}"`, (done) =>
				this.sftp.realpath(path, (error, resolved) => done(error, resolved)),
			)
			.catch(async (error: unknown) =>
				isMissingOrDenied(error) ? undefined : await Promise.reject(error),
			);
	}

	async read(path: string, destination: Writable, offset: number): Promise<void> {
		const started = Date.now();
		const handle = await this.requests.open(path, 'r');
		let bytes = 0;
		try {
			await readPipelined(
				this.requests,
				handle,
				destination,
				offset,
				(n) => (bytes += n),
				chunkBytesFor((this.sftp as unknown as { _maxReadLen?: number })._maxReadLen),
			).catch(
				async (error: unknown) =>
					await Promise.reject(
						offset > 0 && statusOf(error) === SFTP_STATUS.unsupported
							? new ResumeRefused(
									`Reading from byte ${offset} refused: ${(error as Error).message}`,
								)
							: (error as Error),
					),
			);
		} finally {
			await this.requests.close(handle, path).catch(() => undefined);
			this.note(
				`READ ${path}${offset > 0 ? ` from byte ${offset}` : ''}: ${bytes} bytes (${since(started)})`,
			);
		}
	}

	async write(source: Readable, path: string, mode: 'replace' | 'append'): Promise<number> {
		const started = Date.now();
		const handle = await this.requests
			.open(path, mode === 'append' ? 'a' : 'w')
			.catch(async (error: unknown) => {
				// The source (e.g. an open file in n8n's store) is released when nothing will read it.
				source.destroy();
				return await Promise.reject(error as Error);
			});
		let bytes = 0;
		const written = (async () => {
			// Appending starts at the file's end: some servers ignore the append flag and write where they are told.
			const offset =
				mode === 'append'
					? ((
							await this.requests.send<Stats>(`FSTAT "${path}"`, (done) =>
								this.sftp.fstat(handle, (error, stats) => done(error, stats)),
							)
						).size ?? 0)
					: 0;
			bytes = await writePipelined(this.requests, handle, source, offset);
		})();
		const failure = await written.then(
			() => undefined,
			(error: unknown) => error as Error,
		);
		// Closing reports a failed final write on some servers (e.g. a full disk): its error counts, unless the
		// writing itself failed first (that error says more).
		const closed = await this.requests.close(handle, path).then(
			() => undefined,
			(error: unknown) => error as Error,
		);
		this.note(
			`WRITE ${path} (${mode}): ${bytes} bytes (${since(started)})${failure || closed ? `: ${(failure ?? closed)?.message}` : ''}`,
		);
		if (failure ?? closed) return await Promise.reject(failure ?? closed);
		return bytes;
	}

	async rename(from: string, to: string): Promise<void> {
		const replace = this.capabilities.renameReplaces;
		await this.logged(replace ? 'POSIX-RENAME' : 'RENAME', `${from} → ${to}`, async () =>
			replace
				? await this.requests.send<void>(`RENAME "${from}"`, (done) =>
						this.sftp.ext_openssh_rename(from, to, (error) => done(error)),
					)
				: await this.requests.send<void>(`RENAME "${from}"`, (done) =>
						this.sftp.rename(from, to, (error) => done(error)),
					),
		);
	}

	async removeFile(path: string): Promise<void> {
		await this.logged('REMOVE', path, async () => {
			await this.requests.send<void>(`REMOVE "${path}"`, (done) =>
				this.sftp.unlink(path, (error) => done(error)),
			);
		});
	}

	async removeFolder(path: string): Promise<void> {
		await this.logged('RMDIR', path, async () => {
			await this.requests.send<void>(`RMDIR "${path}"`, (done) =>
				this.sftp.rmdir(path, (error) => done(error)),
			);
		});
	}

	async makeFolder(path: string): Promise<void> {
		await this.logged('MKDIR', path, async () => {
			await this.requests.send<void>(`MKDIR "${path}"`, (done) =>
				this.sftp.mkdir(path, (error) => done(error)),
			);
		});
	}
}
