import type { Readable, Writable } from 'node:stream';

import type { FailureContext, RemoteFailure } from './failures';

/**
 * The contract between the engine (sessions, the pool, retries, verified downloads, safe uploads, the folder walk)
 * and a protocol. A protocol implements "a logged-in connection to a remote file system" and explains its own
 * errors; everything a user relies on is written once above this contract.
 *
 * Paths given to a connection are absolute and already checked. Methods throw the protocol's raw errors; the
 * engine explains them with the protocol's `explain`, so that every message names the operation and the path.
 */
export type RemoteEntryType = 'file' | 'directory' | 'symbolicLink';

/** The hash functions a server may compute over a file (lowercase hex results); CRC32 is the weakest. */
export type ChecksumAlgorithm = 'sha512' | 'sha256' | 'sha1' | 'md5' | 'crc32';

/** One entry of one folder's listing, as any protocol reports it. */
export interface RemoteEntry {
	name: string;
	type: RemoteEntryType;
	/** Null when the server sent no usable size. */
	size: number | null;
	/** Only a time the server stated exactly (ISO 8601), never a guess. */
	modifiedAt: string | null;
	/** The time as listed (also a rounded one), to notice changes between two listings. */
	listedTime: string;
	/** rwxrwxrwx, or null when not reported. */
	permissions: string | null;
	owner: string | null;
	group: string | null;
	/** Where a link points, when the listing says. */
	target?: string;
	/** The server's identity of the entry (FTP MLSD `unique`: device and inode), for telling folders apart. */
	uniqueId?: string;
}

export interface FolderListing {
	entries: RemoteEntry[];
	/** The folder's own identity, when the server sends one. */
	folderUniqueId?: string;
	/** The identity of the folder's real parent: differs from the listed parent's for a link. */
	parentUniqueId?: string;
}

/** What `stat` found at a path. */
export interface RemoteStat {
	type: RemoteEntryType;
	/** Undefined when the server does not say. */
	size?: number;
}

/** What the server supports, learned at login. */
export interface ServerCapabilities {
	/** A read can start at an offset, so an interrupted download resumes. */
	resume: boolean;
	/** `size` answers, so transfers are verified against the server's size. */
	size: boolean;
	/** Listings carry exact modification times; else `modifiedAt` is asked per file. */
	exactTimes: boolean;
	/** A rename onto an existing file replaces it; false when the server may refuse (the engine moves it aside). */
	renameReplaces: boolean;
	/** The hash functions `checksum` offers; absent or empty when the server computes none. */
	checksums?: readonly ChecksumAlgorithm[];
	/** `setModifiedAt` may work (FTP: MFMT, or MDTM with a time where the server takes it that way). */
	setModifiedAt?: boolean;
}

/** What the credential test reports about the server. */
export interface ServerFacts {
	/** e.g. "plain FTP (not encrypted)" or "explicit FTPS (TLSv1.3)". */
	security: string;
	/** The server's greeting, on one line. */
	greeting: string;
	/** e.g. "MLSD: yes"; protocol facts a user may want to know. */
	notes: string[];
}

export interface RemoteConnection {
	readonly capabilities: ServerCapabilities;
	/** The folder the server puts the user in after login: where relative paths start. */
	readonly homeDirectory: string;
	/** True once the connection is gone (dropped, timed out or closed): the engine opens a new one. */
	readonly closed: boolean;
	readonly facts: ServerFacts;

	/** Rejects what this protocol cannot carry in a path (e.g. a character the control encoding lacks). */
	checkPath(path: string, label: string): void;
	list(folder: string, options: { maxEntries: number }): Promise<FolderListing>;
	/** What is at `path`, or undefined if nothing is. */
	stat(path: string): Promise<RemoteStat | undefined>;
	/** Whether `path` is a folder that can be entered (cheaper than `stat` where the protocol allows). */
	isFolder(path: string): Promise<boolean>;
	/**
	 * A file's size, or undefined when the server does not say or cannot (`capabilities.size` false) or says nonsense
	 * (cheap: asked before every download and after every upload).
	 */
	size(path: string): Promise<number | undefined>;
	/** A file's exact modification time (ISO 8601), or null when the server does not say. */
	modifiedAt(path: string): Promise<string | null>;
	/** Where the folder `path` really is, as the server resolves it; undefined when it cannot be entered or said. */
	realPath(path: string): Promise<string | undefined>;
	/** Streams the file from byte `offset` into `destination` (which it does not end); resolves once all arrived. */
	read(path: string, destination: Writable, offset: number): Promise<void>;
	/** Writes `source` to `path`, replacing it, or appending to it; returns the bytes sent. */
	write(source: Readable, path: string, mode: 'replace' | 'append'): Promise<number>;
	rename(from: string, to: string): Promise<void>;
	removeFile(path: string): Promise<void>;
	/** Removes an empty folder. */
	removeFolder(path: string): Promise<void>;
	/** Creates one folder whose parent exists. */
	makeFolder(path: string): Promise<void>;
	/**
	 * The server's hash of the whole file (lowercase hex), with one of `capabilities.checksums`. Rejects with a
	 * RemoteFailure when the server's reply is not a hash of that algorithm (a reply is untrusted input).
	 */
	checksum?(path: string, algorithm: ChecksumAlgorithm): Promise<string>;
	/**
	 * The hash functions `checksum` offers where the login does not tell (an SFTP server that answers check-file
	 * without announcing it): asks the server once, only when a checksum is wanted; then in `capabilities` too.
	 */
	checksumsOffered?(): Promise<readonly ChecksumAlgorithm[]>;
	/** Sets a file's modification time (ISO 8601, whole seconds count); rejects when the server will not. */
	setModifiedAt?(path: string, isoTime: string): Promise<void>;
	/** Closes the connection for good; work still running fails. */
	close(): void;
}

/** A protocol: how to open its connections and how to explain its errors. */
export interface Protocol<Settings> {
	open(settings: Settings, note: (line: string) => void): Promise<RemoteConnection>;
	/** Turns a raw error of this protocol into a failure that names the cause and a fix. */
	explain(error: unknown, context: FailureContext): RemoteFailure;
	/** Whether a raw error of this protocol may go away if the work is tried again. */
	isTransient(error: unknown): boolean;
	/** The parts of the failure context that come from the settings (host, port, ...). */
	contextOf(settings: Settings): Omit<FailureContext, 'step'>;
	/** Values that must never appear in a log line or message. */
	secretsOf(settings: Settings): string[];
}
