import { lookup } from 'mime-types';
import type { IBinaryData, IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';

import {
	DEFAULTS,
	deleteFile,
	downloadFile,
	hasControlCharacter,
	movePath,
	RemoteFailure,
	type RemoteSession,
} from '../transport';

export type AfterDownload = 'keep' | 'delete' | 'moveTo';

export interface DownloadToBinaryOptions {
	afterDownload?: AfterDownload;
	/** The folder for `afterDownload: 'moveTo'`, as the user typed it. */
	moveToFolder?: unknown;
	retries?: number;
	/** n8n's binary data store (default: as the environment of this n8n process sets it up). */
	store?: BinaryStore;
	/** What a listing said about the file (List's output item, the trigger's entry): its size spares asking for it. */
	listed?: IDataObject;
}

/** What a download must know of n8n's binary data store: the most it takes per file, if it has a limit. */
export interface BinaryStore {
	/** Bytes; undefined when the store streams (to disk or object storage) and has no limit of its own. */
	maxFileBytes?: number;
	/** The variable that sets the limit, for the explanation. */
	limitVariable?: string;
}

const MIB = 1024 * 1024;
/** n8n's defaults for binary data mode `database` (n8n-core's BinaryDataConfig, 1.x and 2.x). */
const DATABASE_MODE_DEFAULT_MAX_MIB = 512;
const DATABASE_MODE_MAX_MIB = 1024;

/**
 * n8n's binary data store as the environment of this process configures it (the node cannot ask n8n: no helper says
 * the mode). In mode `database` (n8n 2's default in queue mode; n8n 1.x only when set) n8n reads each file whole into
 * memory and refuses it only then if it is larger than N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE (MiB): a file of
 * several GiB would take that much memory first. Every other mode streams.
 */
export function binaryStoreOf(env: Record<string, string | undefined>): BinaryStore {
	const mode =
		env.N8N_DEFAULT_BINARY_DATA_MODE ??
		(env.EXECUTIONS_MODE === 'queue' ? 'database' : 'filesystem');
	if (mode !== 'database') return {};
	const configured = Number(env.N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE);
	const maxMiB =
		env.N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE !== undefined && configured > 0
			? Math.min(configured, DATABASE_MODE_MAX_MIB)
			: DATABASE_MODE_DEFAULT_MAX_MIB;
	return {
		maxFileBytes: Math.floor(maxMiB * MIB),
		limitVariable: 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE',
	};
}

function environmentStore(): BinaryStore {
	return binaryStoreOf(process.env);
}

function mebibytes(bytes: number): string {
	return `${Number((bytes / MIB).toFixed(2))} MiB`;
}

/** The failure of a file larger than the store takes: what happened, and both ways out. */
export function tooLargeForStore(remotePath: string, store: Required<BinaryStore>): RemoteFailure {
	return new RemoteFailure(
		'transfer',
		`"${remotePath}" is larger than ${mebibytes(store.maxFileBytes)}, the most n8n keeps per file in its database (binary data mode "database", the default in queue mode): the download was stopped there and the file left where it is on the server`,
		`Raise ${store.limitVariable} (in MiB, at most ${DATABASE_MODE_MAX_MIB}) on the main process and every worker, or keep binary data on disk with N8N_DEFAULT_BINARY_DATA_MODE=filesystem and N8N_BINARY_DATA_STORAGE_PATH on a folder all of them share.`,
	);
}

/** The size `listed` gives for exactly this file, if it gives a usable one. */
export function listedSizeOf(
	listed: IDataObject | undefined,
	remotePath: string,
): number | undefined {
	if (listed?.path !== remotePath || listed.type !== 'file') return undefined;
	const size = listed.size;
	return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

/**
 * Passes at most `maxBytes` on: the byte after them fails the stream, so that n8n's store, which may read the whole
 * stream into memory before it checks the size, never holds more than the limit.
 */
function capped(source: Readable, maxBytes: number, onExceeded: () => void): Readable {
	let passed = 0;
	const cap = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			passed += chunk.length;
			if (passed > maxBytes) {
				onExceeded();
				done(new Error(`more than ${maxBytes} bytes`));
				return;
			}
			done(null, chunk);
		},
	});
	source.on('error', (error) => cap.destroy(error));
	return source.pipe(cap);
}

/**
 * The file name n8n stores: the remote name, with no path separator of either kind and no control character, so
 * that a node writing it to disk (Read/Write Files from Disk, a Windows path) cannot be led into another folder.
 */
export function binaryFileName(remotePath: string): string {
	const name = [...posix.basename(remotePath)]
		.map((character) => (character === '\\' || hasControlCharacter(character) ? '_' : character))
		.join('');
	return name === '' || name === '.' || name === '..' ? 'download' : name;
}

/**
 * Streams a remote file into n8n's binary store (no temporary file, no whole-file buffer), then, once n8n holds the
 * whole verified file, deletes it on the server or moves it into another folder if asked. Returns the output item's
 * JSON (`path`, `size`, and `deleted: true` or `movedTo`) and the binary data. Shared by the Download operation and the
 * trigger.
 */
export async function downloadToBinary(
	context: IExecuteFunctions | IPollFunctions,
	session: RemoteSession,
	path: unknown,
	options: DownloadToBinaryOptions = {},
): Promise<{ json: IDataObject; binary: IBinaryData }> {
	const remotePath = session.resolve(path);
	// Checked before the download, so that a wrong folder does not leave a downloaded file behind.
	const archiveFolder =
		options.afterDownload === 'moveTo'
			? session.resolve(options.moveToFolder, 'Move to Folder')
			: undefined;
	const fileName = binaryFileName(remotePath);
	const mimeType = lookup(fileName) || 'application/octet-stream';
	const store = options.store ?? environmentStore();
	const maxFileBytes = store.maxFileBytes;
	let exceeded = false;
	const { result: binary, size } = await downloadFile(
		session,
		remotePath,
		async (stream) =>
			await context.helpers.prepareBinaryData(
				maxFileBytes === undefined ? stream : capped(stream, maxFileBytes, () => (exceeded = true)),
				fileName,
				mimeType,
			),
		{
			retries: options.retries ?? DEFAULTS.retries,
			listedSize: listedSizeOf(options.listed, remotePath),
		},
	).catch(async (error: unknown) => {
		if (!exceeded || maxFileBytes === undefined) return await Promise.reject(error);
		return await Promise.reject(
			tooLargeForStore(remotePath, {
				maxFileBytes,
				limitVariable: store.limitVariable ?? 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE',
			}),
		);
	});
	// Only now is the file safe in n8n's store, so only now may it leave its folder on the server.
	const json: IDataObject = { path: remotePath, size };
	if (options.afterDownload === 'delete') {
		await deleteFile(session, remotePath);
		json.deleted = true;
	} else if (archiveFolder !== undefined) {
		const movedTo = posix.join(archiveFolder, posix.basename(remotePath));
		await movePath(session, remotePath, movedTo, { createDirectories: true });
		json.movedTo = movedTo;
	}
	return { json, binary };
}
