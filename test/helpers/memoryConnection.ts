/**
 * An in-memory remote file system behind the engine's contract (transport/contract.ts): the verified download and
 * the safe upload run against it without a server or a socket. Faults are scripted per test (`protocol.faults`), and
 * every call a connection receives is recorded (`protocol.calls`) so that tests can assert exactly what was sent.
 * Raw errors look like FTP's (a reply code, or a reset socket) and are explained simply, as ftp/ftpFailures.ts does.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable, type Writable } from 'node:stream';

import type {
	ChecksumAlgorithm,
	FolderListing,
	Protocol,
	RemoteConnection,
	RemoteStat,
	ServerCapabilities,
	ServerFacts,
} from '../../nodes/FtpAutomation/transport/contract';
import {
	RemoteFailure,
	ResumeRefused,
	type FailureContext,
} from '../../nodes/FtpAutomation/transport/failures';
import { StreamHash } from '../../nodes/FtpAutomation/transport/integrity';
import type { ConnectionSettings } from '../../nodes/FtpAutomation/transport/protocols';
import { RemoteSession, type SessionOptions } from '../../nodes/FtpAutomation/transport/session';
import {
	CHUNK_BYTES,
	DroppedError,
	explainMemoryError,
	isTransientMemoryError,
	MemoryFileSystem,
	ReplyError,
	send,
	type Call,
	type Faults,
} from './memoryServer';

export { CHUNK_BYTES, DroppedError, MemoryFileSystem, ReplyError, type Call, type Faults };

const NO_DETAILS = {
	modifiedAt: null,
	listedTime: '',
	permissions: null,
	owner: null,
	group: null,
};

/** One connection to the in-memory server; its calls are recorded on the protocol. */
export class MemoryConnection implements RemoteConnection {
	readonly homeDirectory = '/';
	closed = false;
	readonly facts: ServerFacts = { security: 'in memory', greeting: 'Memory', notes: [] };

	constructor(
		private readonly server: MemoryProtocol,
		readonly number: number,
	) {}

	get capabilities(): ServerCapabilities {
		return {
			resume: true,
			size: true,
			exactTimes: true,
			renameReplaces: this.server.faults.renameOntoExisting === 'replaces',
			checksums: this.server.checksums,
			setModifiedAt: this.server.setsModifiedAt,
		};
	}

	async checksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		this.call('checksum', path);
		const scripted = this.server.checksumReplies.get(path) ?? this.server.checksumReply?.(path);
		if (scripted !== undefined) return scripted;
		const content = this.fs.files.get(path);
		if (content === undefined) throw new ReplyError(550, 'No such file.');
		const hash = new StreamHash(algorithm);
		hash.update(content);
		return hash.digest();
	}

	async setModifiedAt(path: string, isoTime: string): Promise<void> {
		this.call('setModifiedAt', path);
		if (!this.fs.files.has(path)) throw new ReplyError(550, 'No such file.');
		this.server.modifiedTimes.set(path, isoTime);
	}

	private get fs(): MemoryFileSystem {
		return this.server.fs;
	}

	/** Records the call and returns how often it was made (1 for the first); a closed connection answers nothing. */
	private call(op: string, path: string, extra: Partial<Call> = {}): number {
		this.server.calls.push({ op, path, ...extra, connection: this.number });
		if (this.closed) throw new DroppedError(`${op} on a closed connection`);
		return this.server.calls.filter((call) => call.op === op && call.path === path).length;
	}

	checkPath(): void {}

	async list(folder: string): Promise<FolderListing> {
		this.call('list', folder);
		if (!this.fs.folders.has(folder)) throw new ReplyError(550, 'No such directory.');
		return {
			entries: this.fs.childrenOf(folder).map((path) => ({
				name: posix.basename(path),
				type: this.fs.folders.has(path) ? 'directory' : 'file',
				size: this.fs.files.get(path)?.length ?? null,
				...NO_DETAILS,
			})),
		};
	}

	/** What `size` and `stat` say of a file: its length, unless a fault makes the server lie. */
	private announced(path: string, content: Buffer): number {
		const lie = this.server.faults.sizeAfterWrite;
		const write = this.server.lastWriteOf.get(path);
		if (lie && write !== undefined && (lie.writes === 'every' || lie.writes.includes(write)))
			return content.length + lie.delta;
		return this.server.faults.announcedSize.get(path) ?? content.length;
	}

	async stat(path: string): Promise<RemoteStat | undefined> {
		this.call('stat', path);
		if (this.fs.folders.has(path)) return { type: 'directory' };
		const content = this.fs.files.get(path);
		return content ? { type: 'file', size: this.announced(path, content) } : undefined;
	}

	async isFolder(path: string): Promise<boolean> {
		this.call('isFolder', path);
		return this.fs.folders.has(path);
	}

	async size(path: string): Promise<number | undefined> {
		this.call('size', path);
		const content = this.fs.files.get(path);
		return content ? this.announced(path, content) : undefined;
	}

	async modifiedAt(path: string): Promise<string | null> {
		this.call('modifiedAt', path);
		return null;
	}

	async realPath(path: string): Promise<string | undefined> {
		this.call('realPath', path);
		return this.fs.folders.has(path) ? path : undefined;
	}

	async read(path: string, destination: Writable, offset: number): Promise<void> {
		const attempt = this.call('read', path, { offset });
		// The sink fails when n8n's store failed; its error reaches us through the write callbacks.
		destination.on('error', () => undefined);
		const content = this.fs.files.get(path);
		if (content === undefined) throw new ReplyError(550, 'Failed to open file.');
		if (offset > 0 && this.server.faults.resumeRefused)
			throw new ResumeRefused('REST refused: 502 Command not implemented.', 502);
		const fault = this.server.faults.reads.find((each) => each.attempt === attempt);
		const rest = content.subarray(offset);
		await send(
			rest.subarray(0, fault ? fault.afterBytes : rest.length),
			destination,
			() => this.server.backPressureWaits++,
		);
		if (fault?.kind === 'drop') {
			this.closed = true;
			throw new DroppedError('Download');
		}
		if (fault?.kind === 'reply') throw new ReplyError(fault.code ?? 550, 'Transfer refused.');
	}

	async write(source: Readable, path: string, mode: 'replace' | 'append'): Promise<number> {
		this.call('write', path, { mode });
		const attempt = this.server.callsOf('write').length;
		const fault = this.server.faults.writes.find((each) => each.attempt === attempt);
		if (this.fs.folders.has(path)) throw new ReplyError(550, 'Is a directory.');
		if (!this.fs.folders.has(posix.dirname(path)))
			throw new ReplyError(553, 'Could not create file.');
		const chunks: Buffer[] = [];
		let bytes = 0;
		for await (const chunk of source as AsyncIterable<Buffer>) {
			const room = fault ? fault.afterBytes - bytes : chunk.length;
			chunks.push(chunk.subarray(0, room));
			bytes += Math.min(room, chunk.length);
			if (fault && bytes >= fault.afterBytes) break;
		}
		source.destroy();
		this.server.lastWriteOf.set(path, attempt);
		const before =
			mode === 'append' ? (this.fs.files.get(path) ?? Buffer.alloc(0)) : Buffer.alloc(0);
		if (fault === undefined || fault.keepPartial !== false)
			this.fs.files.set(path, Buffer.concat([before, ...chunks]));
		else if (mode === 'replace') this.fs.files.delete(path);
		if (fault?.kind === 'drop') {
			this.closed = true;
			throw new DroppedError('Upload');
		}
		if (fault) throw new ReplyError(fault.code ?? 451, 'Transfer aborted.');
		return bytes;
	}

	async rename(from: string, to: string): Promise<void> {
		const time = this.call('rename', from, { to });
		const failure = this.server.faults.renameFailures.find(
			(each) => each.from.test(from) && each.time === time,
		);
		if (failure) throw new ReplyError(failure.code, 'Rename refused.');
		const isFolder = this.fs.folders.has(from);
		if (!isFolder && !this.fs.files.has(from)) throw new ReplyError(550, 'No such file.');
		if (this.fs.folders.has(to) || !this.fs.folders.has(posix.dirname(to)))
			throw new ReplyError(550, 'Rename failed.');
		const onto = this.server.faults.renameOntoExisting;
		if (this.fs.files.has(to) && onto !== 'replaces') throw new ReplyError(onto, 'File exists.');
		if (from === to) return;
		this.fs.files.delete(to);
		const moved = (path: string) =>
			path === from || path.startsWith(`${from}/`) ? to + path.slice(from.length) : path;
		for (const [path, content] of [...this.fs.files]) {
			this.fs.files.delete(path);
			this.fs.files.set(moved(path), content);
		}
		if (!isFolder) return;
		const folders = [...this.fs.folders].map(moved);
		this.fs.folders.clear();
		folders.forEach((folder) => this.fs.folders.add(folder));
	}

	async removeFile(path: string): Promise<void> {
		this.call('removeFile', path);
		if (this.server.faults.removeFileFails?.test(path))
			throw new ReplyError(550, 'Permission denied.');
		if (!this.fs.files.delete(path)) throw new ReplyError(550, 'No such file.');
	}

	async removeFolder(path: string): Promise<void> {
		this.call('removeFolder', path);
		if (!this.fs.folders.has(path) || this.fs.childrenOf(path).length > 0)
			throw new ReplyError(550, 'Remove directory operation failed.');
		this.fs.folders.delete(path);
	}

	async makeFolder(path: string): Promise<void> {
		this.call('makeFolder', path);
		if (this.fs.folders.has(path) || this.fs.files.has(path) || path === '/')
			throw new ReplyError(550, 'File exists.');
		if (!this.fs.folders.has(posix.dirname(path)))
			throw new ReplyError(550, 'Create directory operation failed.');
		this.fs.folders.add(path);
	}

	close(): void {
		this.closed = true;
	}
}

/** A protocol whose connections all share one in-memory file system. */
export class MemoryProtocol implements Protocol<ConnectionSettings> {
	readonly fs = new MemoryFileSystem();
	readonly faults: Faults = {
		reads: [],
		resumeRefused: false,
		announcedSize: new Map(),
		writes: [],
		renameOntoExisting: 'replaces',
		renameFailures: [],
	};
	readonly calls: Call[] = [];
	/** Connections opened. */
	opens = 0;
	/** How often a read waited for its destination to drain. */
	backPressureWaits = 0;
	/** Which write (1-based) last wrote each path. */
	readonly lastWriteOf = new Map<string, number>();
	/** The hashes the server computes (none by default, as most servers). */
	checksums: ChecksumAlgorithm[] = [];
	/** What `checksum` answers for a path instead of its hash (a stale or hostile server). */
	readonly checksumReplies = new Map<string, string>();
	/** The same for paths not known in advance (e.g. an upload's random temporary name). */
	checksumReply?: (path: string) => string | undefined;
	/** Whether `setModifiedAt` is offered, and the times it set (by path; a rename does not carry them). */
	setsModifiedAt = false;
	readonly modifiedTimes = new Map<string, string>();

	async open(
		_settings: ConnectionSettings,
		note: (line: string) => void,
	): Promise<MemoryConnection> {
		const connection = new MemoryConnection(this, ++this.opens);
		note(`Connected to the memory server (connection ${connection.number})`);
		return connection;
	}

	readonly explain = explainMemoryError;
	readonly isTransient = isTransientMemoryError;

	contextOf(settings: ConnectionSettings): Omit<FailureContext, 'step'> {
		return { host: settings.host, port: settings.port };
	}

	secretsOf(settings: ConnectionSettings): string[] {
		return [settings.password];
	}

	/** The recorded calls of one kind, e.g. 'read' or 'rename'. */
	callsOf(op: string): Call[] {
		return this.calls.filter((call) => call.op === op);
	}
}

/** Only what the engine reads of the settings: the in-memory protocol ignores the rest. */
export const MEMORY_SETTINGS = {
	host: 'memory.invalid',
	port: 21,
	password: 'memory-secret',
} as ConnectionSettings;

/** A session on the in-memory server; retries follow at once. */
export async function memorySession(
	protocol: MemoryProtocol,
	options: SessionOptions = {},
): Promise<RemoteSession> {
	return await RemoteSession.open(MEMORY_SETTINGS, { retryDelayMs: 0, ...options }, protocol);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A byte stream of `data` in chunks of `chunkBytes`, as n8n's binary store hands it over. */
export function sourceOf(data: Buffer, chunkBytes = CHUNK_BYTES): Readable {
	const chunks: Buffer[] = [];
	for (let at = 0; at < data.length; at += chunkBytes)
		chunks.push(data.subarray(at, at + chunkBytes));
	return Readable.from(chunks, { objectMode: false });
}

/** The RemoteFailure `work` rejects with (failing the test if it resolves or rejects with anything else). */
export async function remoteFailureOf(work: Promise<unknown>): Promise<RemoteFailure> {
	const error = await work.then(
		() => undefined,
		(failure: unknown) => failure,
	);
	expect(error).toBeInstanceOf(RemoteFailure);
	return error as RemoteFailure;
}
