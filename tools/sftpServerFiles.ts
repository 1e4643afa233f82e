/**
 * The SFTP v3 request handlers of the in-process test server (tools/sftpServer.ts): they serve a folder on disk as "/".
 *
 * - Paths are normalised with path.posix against the home directory, so `..` never climbs above "/"; every path is
 *   also checked after resolving symbolic links on disk, so a link (or a dangling link) that points outside the root
 *   is refused with PERMISSION_DENIED instead of being followed.
 * - Absolute SYMLINK targets are stored as paths under the root and READLINK gives them back as SFTP paths.
 * - Requests run concurrently (READ/WRITE are pread/pwrite at their offsets), so replies may come out of request
 *   order, which SFTP allows; writes to a handle opened with APPEND are serialised to keep their order.
 * - fs errors: ENOENT/ENOTDIR → NO_SUCH_FILE, EACCES/EPERM → PERMISSION_DENIED, others → FAILURE with Node's message
 *   (local paths replaced by SFTP paths).
 */
import type { EventEmitter } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const STATUS = {
	OK: 0,
	EOF: 1,
	NO_SUCH_FILE: 2,
	PERMISSION_DENIED: 3,
	FAILURE: 4,
	BAD_MESSAGE: 5,
	OP_UNSUPPORTED: 8,
} as const;

const OPEN_MODE = { READ: 0x1, WRITE: 0x2, APPEND: 0x4, CREAT: 0x8, TRUNC: 0x10, EXCL: 0x20 };
/** As OpenSSH's sftp-server: longer READs get a short read (a whole message must fit in 256 KiB). */
const MAX_READ = 256 * 1024 - 1024;
const READDIR_BATCH = 100;

export interface SftpAttrs {
	mode?: number;
	uid?: number;
	gid?: number;
	size?: number;
	atime?: number;
	mtime?: number;
}

/** The server side of ssh2's SFTP stream (lib/protocol/SFTP.js), as far as it is used here. */
export interface SftpServerStream extends EventEmitter {
	status(reqid: number, code: number, message?: string): void;
	handle(reqid: number, handle: Buffer): void;
	data(reqid: number, data: Buffer): void;
	name(reqid: number, names: Array<{ filename: string; longname: string; attrs: SftpAttrs }>): void;
	attrs(reqid: number, attrs: SftpAttrs): void;
	/** Closes the channel. */
	end(): void;
	/** True when the client's identification string starts with OpenSSH or dropbear. */
	_isOpenSSH?: boolean;
}

/** One request as the server received it: `path` is the path (or the handle's path), `target` the second path. */
export interface SftpRequest {
	op: string;
	path?: string;
	target?: string;
}

export interface TestSftpFaults {
	dropAfterReadBytes?: number;
	stallAfterReadBytes?: number;
	failWrites?: { status: 'failure' | 'permissionDenied'; message: string };
	maxConnections?: number;
}

/** What a session needs from its server and its connection. */
export interface SessionContext {
	root: string;
	home: string;
	posixRename: boolean;
	/** True when the server announces itself as OpenSSH, so that ssh2 clients swap SYMLINK's arguments. */
	serverIsOpenSsh: boolean;
	faults: TestSftpFaults;
	record(request: SftpRequest): void;
	/** Accounts file bytes about to be sent; says how many may be sent and what to do afterwards. */
	accountRead(bytes: number): { send: number; then?: 'drop' | 'stall' };
	/** Closes the whole connection (dropAfterReadBytes). */
	drop(): void;
}

type Handle =
	| {
			kind: 'file';
			path: string;
			file: fs.promises.FileHandle;
			append: boolean;
			queue: Promise<unknown>;
	  }
	| {
			kind: 'dir';
			path: string;
			local: string;
			dir: fs.Dir;
			specials: string[];
			queue: Promise<unknown>;
	  };

interface AttrTarget {
	truncate(size: number): Promise<void>;
	chmod(mode: number): Promise<void>;
	utimes(atime: number, mtime: number): Promise<void>;
	chown(uid: number, gid: number): Promise<void>;
	stat(): Promise<fs.Stats>;
}

class SftpError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

function toAttrs(stats: fs.Stats): SftpAttrs {
	return {
		mode: stats.mode,
		uid: stats.uid,
		gid: stats.gid,
		size: stats.size,
		atime: Math.floor(stats.atimeMs / 1000),
		mtime: Math.floor(stats.mtimeMs / 1000),
	};
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const currentUser = (() => {
	try {
		return os.userInfo();
	} catch {
		return undefined;
	}
})();

function permissionString(mode: number): string {
	// File type from the S_IFMT bits (0o010000 FIFO … 0o140000 socket), then rwx for user, group and others.
	let text = '?pc?d?b?-?l?s???'[(mode & fs.constants.S_IFMT) >> 12];
	for (const shift of [6, 3, 0]) {
		const bits = (mode >> shift) & 7;
		text += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
	}
	return text;
}

/** An `ls -l` line as OpenSSH's sftp-server writes it (dates in UTC here). */
export function longname(name: string, stats: fs.Stats): string {
	const date = stats.mtime;
	const sixMonths = (365 * 24 * 60 * 60 * 1000) / 2;
	const recent = Date.now() - sixMonths < date.getTime() && date.getTime() <= Date.now();
	const day = String(date.getUTCDate()).padStart(2, ' ');
	const clock = recent
		? `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`
		: ` ${date.getUTCFullYear()}`;
	const user =
		currentUser && stats.uid === currentUser.uid ? currentUser.username : String(stats.uid);
	return `${permissionString(stats.mode)} ${String(stats.nlink).padStart(3)} ${user.padEnd(8)} ${String(
		stats.gid,
	).padEnd(
		8,
	)} ${String(stats.size).padStart(8)} ${MONTHS[date.getUTCMonth()]} ${day} ${clock} ${name}`;
}

/** Reads `string` fields (uint32 length + bytes) from an EXTENDED request's data. */
function readStrings(data: Buffer | undefined, count: number): Buffer[] {
	const out: Buffer[] = [];
	let p = 0;
	for (let i = 0; i < count; i++) {
		if (!data || p + 4 > data.length) throw new SftpError(STATUS.BAD_MESSAGE, 'Bad message');
		const length = data.readUInt32BE(p);
		if (p + 4 + length > data.length) throw new SftpError(STATUS.BAD_MESSAGE, 'Bad message');
		out.push(data.subarray(p + 4, p + 4 + length));
		p += 4 + length;
	}
	return out;
}

/** Serves one SFTP session (one `sftp` subsystem channel) from `context.root`. Returns a function closing its handles. */
export function serveSftpSession(
	sftp: SftpServerStream,
	context: SessionContext,
): () => Promise<void> {
	const { root } = context;
	const handles = new Map<number, Handle>();
	let nextHandle = 1;
	let closed = false;
	let stalled = false;

	const sftpPath = (requested: string): string =>
		path.posix.resolve(context.home, requested || '.');
	const localOf = (virtual: string): string => path.join(root, virtual);
	const inside = (local: string): boolean => local === root || local.startsWith(root + path.sep);
	/** Local paths in Node's error messages become SFTP paths. */
	const hideRoot = (message: string): string =>
		message
			.split(root + path.sep)
			.join('/')
			.split(root)
			.join('/');

	/** Refuses `local` when it, or the deepest existing folder above it, resolves to a place outside the root. */
	async function checkInside(local: string, depth = 0): Promise<void> {
		if (depth > 40) throw new SftpError(STATUS.FAILURE, 'Too many levels of symbolic links');
		let probe = local;
		for (;;) {
			try {
				const real = await fs.promises.realpath(probe);
				if (!inside(real)) throw new SftpError(STATUS.PERMISSION_DENIED, 'Permission denied');
				return;
			} catch (error) {
				if (error instanceof SftpError) throw error;
				const code = (error as NodeJS.ErrnoException).code;
				if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
			}
			// A dangling link: check where it points before anything follows it (e.g. OPEN with CREAT).
			const link = await fs.promises.readlink(probe).catch(() => undefined);
			if (link !== undefined)
				return checkInside(path.resolve(path.dirname(probe), link), depth + 1);
			const parent = path.dirname(probe);
			if (parent === probe) return;
			probe = parent;
		}
	}

	/**
	 * The local path of an SFTP path; `follow` says whether the last component may be a link to follow, 'change'
	 * that the entry itself is removed, renamed or made (never the root itself).
	 */
	async function local(requested: string, follow: boolean | 'change'): Promise<string> {
		const virtual = sftpPath(requested);
		if (follow === 'change' && virtual === '/') {
			throw new SftpError(STATUS.PERMISSION_DENIED, 'Permission denied');
		}
		const target = localOf(virtual);
		await checkInside(follow === true || target === root ? target : path.dirname(target));
		return target;
	}

	function handleOf<K extends Handle['kind']>(
		handle: Buffer,
		kind: K,
	): Extract<Handle, { kind: K }> {
		const entry = handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined;
		if (entry?.kind !== kind) throw new SftpError(STATUS.FAILURE, 'Invalid handle');
		return entry as Extract<Handle, { kind: K }>;
	}

	function addHandle(reqid: number, entry: Handle): void {
		if (closed) {
			void (entry.kind === 'file' ? entry.file.close() : entry.dir.close()).catch(() => undefined);
			return;
		}
		const id = nextHandle++;
		handles.set(id, entry);
		const buffer = Buffer.alloc(4);
		buffer.writeUInt32BE(id, 0);
		sftp.handle(reqid, buffer);
	}

	/** Runs `work` after the handle's earlier queued work (APPEND writes, READDIR batches). */
	function queued<T>(entry: Handle, work: () => Promise<T>): Promise<T> {
		const result = entry.queue.then(work, work);
		entry.queue = result.catch(() => undefined);
		return result;
	}

	function fail(reqid: number, error: unknown): void {
		if (closed) return;
		if (error instanceof SftpError) return sftp.status(reqid, error.status, error.message);
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT' || code === 'ENOTDIR')
			sftp.status(reqid, STATUS.NO_SUCH_FILE, 'No such file');
		else if (code === 'EACCES' || code === 'EPERM')
			sftp.status(reqid, STATUS.PERMISSION_DENIED, 'Permission denied');
		else sftp.status(reqid, STATUS.FAILURE, hideRoot((error as Error).message ?? String(error)));
	}

	/** Registers a request handler: records the request, runs it, and answers its failure with a STATUS. */
	function on<A extends unknown[]>(
		op: string,
		describe: (args: NoInfer<A>) => string | undefined | Omit<SftpRequest, 'op'> | SftpRequest,
		run: (reqid: number, ...args: A) => Promise<void>,
	): void {
		sftp.on(op, (reqid: number, ...args: A) => {
			const described = describe(args);
			context.record(
				typeof described === 'object' ? { op, ...described } : { op, path: described },
			);
			inFlight++;
			run(reqid, ...args)
				.catch((error: unknown) => fail(reqid, error))
				.finally(() => --inFlight === 0 && whenIdle?.());
		});
	}
	// The client's EOF (OpenSSH's sftp on exit): answer what is in flight, then close the channel as sftp-server does
	// (ssh2 leaves an SFTP channel open after EOF, and the client would wait for its close forever).
	let inFlight = 0;
	let whenIdle: (() => void) | undefined;
	sftp.once('end', () => (inFlight === 0 ? sftp.end() : (whenIdle = () => sftp.end())));
	const ok = (reqid: number) => sftp.status(reqid, STATUS.OK, 'Success');
	const pathArg = (args: readonly unknown[]) => args[0] as string;
	const handlePath = (args: readonly unknown[]) => {
		const handle = args[0] as Buffer;
		return handle.length === 4 ? handles.get(handle.readUInt32BE(0))?.path : undefined;
	};

	/** SETSTAT/FSETSTAT on a FileHandle, or on a path through the same methods. */
	async function setAttrs(target: AttrTarget, attrs: SftpAttrs): Promise<void> {
		if (attrs.size !== undefined) await target.truncate(attrs.size);
		if (attrs.mode !== undefined) await target.chmod(attrs.mode & 0o7777);
		const now = await target.stat();
		if (attrs.atime !== undefined || attrs.mtime !== undefined) {
			await target.utimes(attrs.atime ?? now.atimeMs / 1000, attrs.mtime ?? now.mtimeMs / 1000);
		}
		if (attrs.uid !== undefined && attrs.gid !== undefined) {
			if (now.uid !== attrs.uid || now.gid !== attrs.gid) await target.chown(attrs.uid, attrs.gid);
		}
	}

	on('REALPATH', pathArg, async (reqid: number, requested: string) => {
		let resolved = sftpPath(requested);
		const real = await fs.promises.realpath(localOf(resolved)).catch(() => undefined);
		if (real && inside(real)) resolved = '/' + path.relative(root, real).split(path.sep).join('/');
		sftp.name(reqid, [{ filename: resolved, longname: resolved, attrs: {} }]);
	});
	on('STAT', pathArg, async (reqid: number, p: string) => {
		sftp.attrs(reqid, toAttrs(await fs.promises.stat(await local(p, true))));
	});
	on('LSTAT', pathArg, async (reqid: number, p: string) => {
		sftp.attrs(reqid, toAttrs(await fs.promises.lstat(await local(p, false))));
	});
	on('FSTAT', handlePath, async (reqid: number, handle: Buffer) => {
		sftp.attrs(reqid, toAttrs(await handleOf(handle, 'file').file.stat()));
	});

	on('OPEN', pathArg, async (reqid: number, p: string, pflags: number, attrs: SftpAttrs) => {
		const c = fs.constants;
		const read = (pflags & OPEN_MODE.READ) !== 0;
		const write = (pflags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND)) !== 0;
		let flags = read && write ? c.O_RDWR : write ? c.O_WRONLY : c.O_RDONLY;
		if (pflags & OPEN_MODE.APPEND) flags |= c.O_APPEND;
		if (pflags & OPEN_MODE.CREAT) flags |= c.O_CREAT;
		if (pflags & OPEN_MODE.TRUNC) flags |= c.O_TRUNC;
		if (pflags & OPEN_MODE.EXCL) flags |= c.O_EXCL;
		const file = await fs.promises.open(
			await local(p, true),
			flags,
			(attrs.mode ?? 0o666) & 0o7777,
		);
		const append = (pflags & OPEN_MODE.APPEND) !== 0;
		addHandle(reqid, { kind: 'file', path: sftpPath(p), file, append, queue: Promise.resolve() });
	});

	on('READ', handlePath, async (reqid: number, handle: Buffer, offset: number, length: number) => {
		const entry = handleOf(handle, 'file');
		if (stalled) return; // stallAfterReadBytes: READs are never answered on this connection.
		const buffer = Buffer.allocUnsafe(Math.min(length, MAX_READ));
		const { bytesRead } = await entry.file.read(buffer, 0, buffer.length, offset);
		if (closed) return;
		if (bytesRead === 0) return sftp.status(reqid, STATUS.EOF, 'End of file');
		const { send, then } = context.accountRead(bytesRead);
		if (then === 'stall') stalled = true;
		if (send > 0) sftp.data(reqid, buffer.subarray(0, send));
		if (then === 'drop') context.drop();
	});

	on(
		'WRITE',
		handlePath,
		async (reqid: number, handle: Buffer, offset: number, received: Buffer) => {
			const entry = handleOf(handle, 'file');
			const refuse = context.faults.failWrites;
			if (refuse) {
				const status =
					refuse.status === 'permissionDenied' ? STATUS.PERMISSION_DENIED : STATUS.FAILURE;
				return sftp.status(reqid, status, refuse.message);
			}
			// ssh2 hands over a view of its packet buffer: copy it before waiting on the disk.
			const data = Buffer.from(received);
			const writeAll = async (position: number | null) => {
				for (let done = 0; done < data.length; ) {
					const at = position === null ? null : position + done;
					const { bytesWritten } = await entry.file.write(data, done, data.length - done, at);
					done += bytesWritten;
				}
			};
			await (entry.append ? queued(entry, () => writeAll(null)) : writeAll(offset));
			ok(reqid);
		},
	);

	on('CLOSE', handlePath, async (reqid: number, handle: Buffer) => {
		const id = handle.length === 4 ? handle.readUInt32BE(0) : -1;
		const entry = handles.get(id);
		if (!entry) throw new SftpError(STATUS.FAILURE, 'Invalid handle');
		handles.delete(id);
		await queued(entry, () => (entry.kind === 'file' ? entry.file.close() : entry.dir.close()));
		ok(reqid);
	});

	on('OPENDIR', pathArg, async (reqid: number, p: string) => {
		const dirPath = await local(p, true);
		const dir = await fs.promises.opendir(dirPath, { bufferSize: READDIR_BATCH });
		const entry: Handle = {
			kind: 'dir',
			path: sftpPath(p),
			local: dirPath,
			dir,
			specials: ['.', '..'],
			queue: Promise.resolve(),
		};
		addHandle(reqid, entry);
	});

	on('READDIR', handlePath, async (reqid: number, handle: Buffer) => {
		const entry = handleOf(handle, 'dir');
		const names = await queued(entry, async () => {
			const batch: Array<{ filename: string; longname: string; attrs: SftpAttrs }> = [];
			while (batch.length < READDIR_BATCH) {
				const special = entry.specials.shift();
				let stats: fs.Stats | undefined;
				let name: string;
				if (special !== undefined) {
					name = special;
					const parent = entry.local === root ? root : path.dirname(entry.local);
					stats = await fs.promises.stat(special === '.' ? entry.local : parent);
				} else {
					const dirent = await entry.dir.read();
					if (!dirent) break;
					name = dirent.name;
					// An entry removed since the folder was read is left out.
					stats = await fs.promises.lstat(path.join(entry.local, name)).catch(() => undefined);
				}
				if (stats)
					batch.push({ filename: name, longname: longname(name, stats), attrs: toAttrs(stats) });
			}
			return batch;
		});
		if (names.length === 0) sftp.status(reqid, STATUS.EOF, 'End of file');
		else sftp.name(reqid, names);
	});

	on('REMOVE', pathArg, async (reqid: number, p: string) => {
		await fs.promises.unlink(await local(p, 'change'));
		ok(reqid);
	});
	on('RMDIR', pathArg, async (reqid: number, p: string) => {
		await fs.promises.rmdir(await local(p, 'change'));
		ok(reqid);
	});
	on('MKDIR', pathArg, async (reqid: number, p: string, attrs: SftpAttrs) => {
		await fs.promises.mkdir(await local(p, false), (attrs.mode ?? 0o777) & 0o7777);
		ok(reqid);
	});

	on(
		'RENAME',
		([from, to]) => ({ path: from, target: to }),
		async (reqid: number, from: string, to: string) => {
			const source = await local(from, 'change');
			const target = await local(to, 'change');
			// SFTP v3 (draft-02 6.5): renaming onto an existing name fails, as OpenSSH's sftp-server does.
			if (
				await fs.promises.lstat(target).then(
					() => true,
					() => false,
				)
			) {
				throw new SftpError(STATUS.FAILURE, 'Failure: target exists');
			}
			await fs.promises.rename(source, target);
			ok(reqid);
		},
	);

	on('SETSTAT', pathArg, async (reqid: number, p: string, attrs: SftpAttrs) => {
		const target = await local(p, true);
		const f = fs.promises;
		await setAttrs(
			{
				truncate: (size) => f.truncate(target, size),
				chmod: (mode) => f.chmod(target, mode),
				utimes: (atime, mtime) => f.utimes(target, atime, mtime),
				chown: (uid, gid) => f.chown(target, uid, gid),
				stat: () => f.stat(target),
			},
			attrs,
		);
		ok(reqid);
	});
	on('FSETSTAT', handlePath, async (reqid: number, handle: Buffer, attrs: SftpAttrs) => {
		await setAttrs(handleOf(handle, 'file').file, attrs);
		ok(reqid);
	});

	on('READLINK', pathArg, async (reqid: number, p: string) => {
		let target = await fs.promises.readlink(await local(p, false));
		if (path.isAbsolute(target) && inside(target)) {
			target = '/' + path.relative(root, target).split(path.sep).join('/');
		}
		sftp.name(reqid, [{ filename: target, longname: target, attrs: {} }]);
	});
	on(
		'SYMLINK',
		([from, to]) => ({ path: from, target: to }),
		async (reqid: number, linkPath: string, targetPath: string) => {
			// An ssh2 client that takes this server for OpenSSH swaps the two, as OpenSSH's own client does.
			if (context.serverIsOpenSsh && !sftp._isOpenSSH)
				[linkPath, targetPath] = [targetPath, linkPath];
			const target = targetPath.startsWith('/')
				? localOf(path.posix.normalize(targetPath))
				: targetPath;
			await fs.promises.symlink(target, await local(linkPath, 'change'));
			ok(reqid);
		},
	);

	const describeExtended = (name: string, data?: Buffer): SftpRequest => {
		if (name !== 'posix-rename@openssh.com') return { op: name };
		try {
			const [from, to] = readStrings(data, 2).map((field) => field.toString());
			return { op: name, path: from, target: to };
		} catch {
			return { op: name };
		}
	};
	on(
		'EXTENDED',
		([name, data]) => describeExtended(name, data),
		async (reqid: number, name: string, data?: Buffer) => {
			if (name === 'posix-rename@openssh.com' && context.posixRename) {
				const [from, to] = readStrings(data, 2).map((field) => field.toString());
				await fs.promises.rename(await local(from, 'change'), await local(to, 'change'));
				return ok(reqid);
			}
			if (name === 'fsync@openssh.com') {
				await handleOf(readStrings(data, 1)[0], 'file').file.sync();
				return ok(reqid);
			}
			sftp.status(reqid, STATUS.OP_UNSUPPORTED, `Unsupported extended request ${name}`);
		},
	);

	return async () => {
		closed = true;
		const open = [...handles.values()];
		handles.clear();
		await Promise.all(
			open.map((entry) =>
				(entry.kind === 'file' ? entry.file.close() : entry.dir.close()).catch(() => undefined),
			),
		);
	};
}
