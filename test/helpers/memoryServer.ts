/**
 * The in-memory server behind memoryConnection.ts: its file system, its raw errors and the faults a test can
 * script, how it sends a file, and how the in-memory protocol explains its errors (simply, as ftp/ftpFailures.ts
 * does).
 */
import { once } from 'node:events';
import { posix } from 'node:path';
import type { Writable } from 'node:stream';

import {
	RemoteFailure,
	TransientFailure,
	type FailureContext,
	type Refusal,
} from '../../nodes/FtpAutomation/transport/failures';

/** How much the fake server sends per write to the download's destination. */
export const CHUNK_BYTES = 64 * 1024;

/** A server's refusal, like basic-ftp's FTPError: the reply code, and the reply as the message. */
export class ReplyError extends Error {
	constructor(
		readonly code: number,
		text: string,
	) {
		super(`${code} ${text}`);
		this.name = 'ReplyError';
	}
}

/** A connection that broke under a transfer, as Node reports it. */
export class DroppedError extends Error {
	readonly code = 'ECONNRESET';
	constructor(what: string) {
		super(`${what}: read ECONNRESET (data socket)`);
		this.name = 'DroppedError';
	}
}

export interface ReadFault {
	/** Which read of the path fails: 1 for the first. */
	attempt: number;
	/** Bytes sent in that read before the fault. */
	afterBytes: number;
	/** drop: the connection breaks (transient); reply: the server refuses with `code`; truncate: ends early, no error. */
	kind: 'drop' | 'reply' | 'truncate';
	code?: number;
}

export interface WriteFault {
	/** Which write (of any path) fails: 1 for the first. */
	attempt: number;
	/** Bytes that reach the server before the fault. */
	afterBytes: number;
	/** drop: the connection breaks (transient); reply: the server refuses with `code` (e.g. 552 no space). */
	kind: 'drop' | 'reply';
	code?: number;
	/** The server keeps what arrived (as most do); false: it deletes the file (replace) or leaves it as it was (append). */
	keepPartial?: boolean;
}

export interface Faults {
	reads: ReadFault[];
	/** A read from an offset above 0 is refused (the server cannot resume). */
	resumeRefused: boolean;
	/** What `size` and `stat` announce for a path instead of its real length. */
	announcedSize: Map<string, number>;
	writes: WriteFault[];
	/** `size` of the file the listed writes (1-based) wrote reports its length plus `delta`. */
	sizeAfterWrite?: { writes: number[] | 'every'; delta: number };
	/** What a rename onto an existing file does: replace it, or be refused with this reply (renameReplaces false). */
	renameOntoExisting: 'replaces' | 550 | 553;
	/** The `time`-th rename from a path matching `from` fails with `code`. */
	renameFailures: Array<{ from: RegExp; time: number; code: number }>;
	/** Deleting a file whose path matches is refused. */
	removeFileFails?: RegExp;
}

export interface Call {
	op: string;
	path: string;
	offset?: number;
	to?: string;
	mode?: 'replace' | 'append';
	/** Which connection received it: 1 for the first opened. */
	connection: number;
}

/** Folders and files by absolute path; home is '/'. */
export class MemoryFileSystem {
	readonly files = new Map<string, Buffer>();
	readonly folders = new Set<string>(['/']);

	/** Puts a file, creating its folders. */
	put(path: string, content: Buffer | string): void {
		this.makeFolders(posix.dirname(path));
		this.files.set(path, Buffer.from(content));
	}

	makeFolders(path: string): void {
		for (let folder = path; !this.folders.has(folder); folder = posix.dirname(folder))
			this.folders.add(folder);
	}

	/** Every file's path, sorted. */
	paths(): string[] {
		return [...this.files.keys()].sort();
	}

	childrenOf(folder: string): string[] {
		return [...this.folders, ...this.files.keys()].filter(
			(path) => path !== '/' && posix.dirname(path) === folder,
		);
	}
}

const TRANSIENT_REPLIES = new Set([421, 425, 426, 450, 451]);

/** As isTransientFtpError, simply: a temporary refusal or a connection that broke. */
export function isTransientMemoryError(error: unknown): boolean {
	if (error instanceof ReplyError) return TRANSIENT_REPLIES.has(error.code);
	return error instanceof DroppedError;
}

function refusalOf(code: number): Refusal | undefined {
	if (code === 550 || code === 530 || code === 450) return 'missingOrDenied';
	return code === 553 ? 'badName' : undefined;
}

/** As ftp/ftpFailures.ts explains, simply: the reply quoted with its refusal, or a dropped connection. */
export function explainMemoryError(error: unknown, context: FailureContext): RemoteFailure {
	const doing = `${context.action ?? 'run the command'}${context.path ? ` "${context.path}"` : ''}`;
	const text = error instanceof Error ? error.message : String(error);
	const code = error instanceof ReplyError ? error.code : undefined;
	// A refusal after data has flowed is an interruption, whatever the reply says.
	const midTransfer = code !== undefined && (context.bytesTransferred ?? 0) > 0;
	const message = midTransfer
		? `The data connection was dropped in the middle of the transfer while trying to ${doing} after ${context.bytesTransferred} bytes (server replied: ${text})`
		: code !== undefined
			? `The server refused to ${doing}: ${text}`
			: error instanceof DroppedError
				? `The connection was closed unexpectedly while trying to ${doing} (${text})`
				: `Failed to ${doing}: ${text}`;
	return new RemoteFailure(context.step, message, 'Try again, or check the path.', {
		replyCode: code,
		retryable: isTransientMemoryError(error) || error instanceof TransientFailure,
		refusal: code === undefined || midTransfer ? undefined : refusalOf(code),
	});
}

/** Waits until `destination` takes more; fails if it is destroyed meanwhile. */
async function drained(destination: Writable): Promise<void> {
	const stop = new AbortController();
	const events = ['drain', 'close'].map(
		async (event) => await once(destination, event, { signal: stop.signal }),
	);
	if (!destination.destroyed) await Promise.race(events).finally(() => stop.abort());
	if (destination.destroyed) throw new Error('The destination was destroyed');
}

/** Writes `data` in chunks, one per turn of the event loop as a socket would, with back-pressure; never ends it. */
export async function send(data: Buffer, destination: Writable, onWait: () => void): Promise<void> {
	let written: Promise<void> = Promise.resolve();
	for (let at = 0; at < data.length; at += CHUNK_BYTES) {
		await new Promise((resolve) => setImmediate(resolve));
		if (destination.destroyed) throw new Error('The destination was destroyed');
		let more = true;
		written = new Promise<void>((resolve, reject) => {
			more = destination.write(data.subarray(at, at + CHUNK_BYTES), (error) =>
				error ? reject(error) : resolve(),
			);
		});
		written.catch(() => undefined);
		if (!more) {
			onWait();
			await drained(destination);
		}
	}
	// Resolves once the destination has taken every byte: "all arrived", as the contract says.
	await written;
}
