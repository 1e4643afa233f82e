import { lookup } from 'mime-types';
import type { IBinaryData, IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';

import { claimFile, modifiedAtOf, moveAsideAfterFailure } from './pickup';
import { withDoneFile, type DoneFileTracker } from './pickupDoneFiles';
import {
	DEFAULTS,
	deleteFile,
	downloadFile,
	hasControlCharacter,
	movePath,
	RemoteFailure,
	type RemoteSession,
	planDownloadChecksum,
	type ChecksumPlan,
	type VerifiedChecksum,
} from '../transport';
import { checksumOutput } from '../descriptions/integrityFields';

export type AfterDownload = 'keep' | 'delete' | 'moveTo';
export type AfterFailure = 'leave' | 'moveTo';

export interface DownloadToBinaryOptions {
	afterDownload?: AfterDownload;
	/** The folder for `afterDownload: 'moveTo'`, as the user typed it. */
	moveToFolder?: unknown;
	retries?: number;
	/** n8n's binary data store (default: as the environment of this n8n process sets it up). */
	store?: BinaryStore;
	/**
	 * What a listing said about the file (List's output item, the trigger's entry): its size spares asking for it, its
	 * exact modifiedAt too, and its doneFile names the marker Delete Done File deletes.
	 */
	listed?: IDataObject;
	/** Claim Folder, as the user typed it: the file is renamed into it before the download (see helpers/pickup.ts). */
	claimFolder?: unknown;
	afterFailure?: AfterFailure;
	/** The folder for `afterFailure: 'moveTo'`, as the user typed it. */
	failedFolder?: unknown;
	/** Delete the marker the listed item's `doneFile` names, once the file was downloaded (and After Download done). */
	deleteDoneFile?: boolean;
	/**
	 * Output the file's modifiedAt (asked from the server when the listed item does not give it): node version 3's
	 * Download; earlier versions keep the output their saved workflows map.
	 */
	outputModifiedAt?: boolean;
	/** Compare a hash computed while streaming with the server's or a sidecar file's (see transport/integrity/). */
	verifyChecksum?: boolean;
	/**
	 * Which item deletes a marker several items name (a folder marker): one tracker for all the items of a run.
	 * Without it, every item deletes the marker it names.
	 */
	doneFiles?: DoneFileTracker;
}

/** One downloaded file as an output item: no binary when another execution claimed the file first. */
export interface DownloadedItem {
	json: IDataObject;
	binary?: IBinaryData;
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

/**
 * The failure of a file larger than the store takes: what happened, and both ways out. `leftInPlace` false: After
 * Failure moves the file, and says so itself.
 */
export function tooLargeForStore(
	remotePath: string,
	store: Required<BinaryStore>,
	leftInPlace = true,
): RemoteFailure {
	return new RemoteFailure(
		'transfer',
		`"${remotePath}" is larger than ${mebibytes(store.maxFileBytes)}, the most n8n keeps per file in its database (binary data mode "database", the default in queue mode): the download was stopped there${leftInPlace ? ' and the file left where it is on the server' : ''}`,
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
	// A download that failed ends its stream by destroying it, without an error: the store must hear of it too, or
	// it waits for the rest of the file for ever (and the download with it).
	source.on('close', () => {
		if (!source.readableEnded) cap.destroy(new Error('the download was abandoned'));
	});
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

/** Set when n8n's store failed for a reason of its own (not the limit): no reason to blame the file. */
interface StoreFailure {
	failed: boolean;
}

/**
 * Streams one file into n8n's store; failures name the store's limit when that is what stopped it. `listedSize`:
 * what a listing said of the file (also when it was claimed since: a rename keeps the file).
 */
async function intoStore(
	context: IExecuteFunctions | IPollFunctions,
	session: RemoteSession,
	remotePath: string,
	options: DownloadToBinaryOptions & {
		listedSize: number | undefined;
		checksumPlan: ChecksumPlan | undefined;
	},
	storeFailure: StoreFailure,
): Promise<{ result: IBinaryData; size: number; checksum?: VerifiedChecksum }> {
	const fileName = binaryFileName(remotePath);
	const mimeType = lookup(fileName) || 'application/octet-stream';
	const store = options.store ?? environmentStore();
	const maxFileBytes = store.maxFileBytes;
	let exceeded = false;
	return await downloadFile(
		session,
		remotePath,
		async (stream) =>
			await context.helpers
				.prepareBinaryData(
					maxFileBytes === undefined
						? stream
						: capped(stream, maxFileBytes, () => (exceeded = true)),
					fileName,
					mimeType,
				)
				.catch(async (error: unknown) => {
					// A download that failed destroys the stream without an error before the store gives up on it;
					// a store that fails on its own (a full disk) does so with the stream still open, or errored.
					const abandoned = stream.destroyed && stream.errored === null && !stream.readableEnded;
					storeFailure.failed = !exceeded && !abandoned;
					return await Promise.reject(error);
				}),
		{
			retries: options.retries ?? DEFAULTS.retries,
			listedSize: options.listedSize,
			verifyChecksum: options.checksumPlan ?? options.verifyChecksum === true,
		},
	).catch(async (error: unknown) => {
		if (!exceeded || maxFileBytes === undefined) return await Promise.reject(error);
		return await Promise.reject(
			tooLargeForStore(
				remotePath,
				{
					maxFileBytes,
					limitVariable: store.limitVariable ?? 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE',
				},
				options.afterFailure !== 'moveTo',
			),
		);
	});
}

/**
 * Streams a remote file into n8n's binary store (no temporary file, no whole-file buffer), then, once n8n holds the
 * whole verified file, deletes it on the server or moves it into another folder if asked. Returns the output item's
 * JSON (`path`, `size`, `modifiedAt`, and `deleted: true` or `movedTo`) and the binary data. Shared by the Download
 * operation and the trigger.
 *
 * Pickup (helpers/pickup.ts): with a Claim Folder the file is first renamed into it, and a file another execution
 * claimed first comes back as `{ path, claimed: false }` without binary data; After Download then acts on the claimed
 * path. With After Failure "moveTo" a file whose download failed is moved into the Failed Folder and the error says
 * where (`movedAsideTo(error)`). With Delete Done File the listed item's marker is deleted after a success.
 */
export async function downloadToBinary(
	context: IExecuteFunctions | IPollFunctions,
	session: RemoteSession,
	path: unknown,
	options: DownloadToBinaryOptions = {},
): Promise<DownloadedItem> {
	const remotePath = session.resolve(path);
	return await withDoneFile(
		session,
		options,
		async () => await pickUp(context, session, remotePath, options),
	);
}

/** Claim, download, After Download; After Failure when the download failed. */
async function pickUp(
	context: IExecuteFunctions | IPollFunctions,
	session: RemoteSession,
	remotePath: string,
	options: DownloadToBinaryOptions,
): Promise<DownloadedItem> {
	// Every folder is checked before anything is renamed or downloaded, so that a wrong one changes nothing.
	const archiveFolder =
		options.afterDownload === 'moveTo'
			? session.resolve(options.moveToFolder, 'Move to Folder')
			: undefined;
	const failedFolder =
		options.afterFailure === 'moveTo'
			? session.resolve(options.failedFolder, 'Failed Folder')
			: undefined;
	const claimFolder =
		typeof options.claimFolder === 'string' && options.claimFolder.trim() !== ''
			? session.resolve(options.claimFolder, 'Claim Folder')
			: undefined;
	// Planned before a claim moves the file: a sidecar lies beside the file as listed, and a server that cannot compute
	// checksums is said before anything moved.
	const checksumPlan =
		options.verifyChecksum === true ? await planDownloadChecksum(session, remotePath) : undefined;
	const json: IDataObject = { path: remotePath };
	let downloadPath = remotePath;
	if (claimFolder !== undefined) {
		const claim = await claimFile(session, remotePath, claimFolder);
		if (!claim.claimed) return { json: { path: remotePath, claimed: false } };
		json.claimed = true;
		json.claimedPath = claim.claimedPath;
		downloadPath = claim.claimedPath;
	}
	const storeFailure: StoreFailure = { failed: false };
	const {
		result: binary,
		size,
		checksum,
	} = await intoStore(
		context,
		session,
		downloadPath,
		{ ...options, listedSize: listedSizeOf(options.listed, remotePath), checksumPlan },
		storeFailure,
	).catch(async (error: unknown) =>
		failedFolder === undefined || storeFailure.failed
			? await Promise.reject(error)
			: await Promise.reject(
					await moveAsideAfterFailure(session, downloadPath, failedFolder, error),
				),
	);
	json.size = size;
	Object.assign(json, checksumOutput(checksum));
	// Left out when the server does not say (as a missing size would be): no output field claims a time nobody knows.
	const modifiedAt = options.outputModifiedAt
		? await modifiedAtOf(session, options.listed, remotePath, downloadPath)
		: null;
	if (modifiedAt !== null) json.modifiedAt = modifiedAt;
	// Only now is the file safe in n8n's store, so only now may it leave its folder on the server.
	if (options.afterDownload === 'delete') {
		await deleteFile(session, downloadPath);
		json.deleted = true;
	} else if (archiveFolder !== undefined) {
		const movedTo = posix.join(archiveFolder, posix.basename(remotePath));
		await movePath(session, downloadPath, movedTo, { createDirectories: true });
		json.movedTo = movedTo;
	}
	return { json, binary };
}
