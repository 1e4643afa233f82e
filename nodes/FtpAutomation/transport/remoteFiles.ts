import type { Readable } from 'node:stream';

import { failureOf, RemoteFailure } from './failures';
import type { ChecksumPlan } from './integrity';
import { parentOf } from './paths';
import { SafeUpload, type UploadOptions, type UploadResult } from './safeUpload';
import type { RemoteSession } from './session';
import { VerifiedDownload, type DownloadResult } from './verifiedDownload';
import { deleteFolderTree } from './walk/folderDelete';
import type { WalkLimits } from './walk/walkLimits';

/**
 * What the node does to remote files, over any protocol: each function takes absolute paths (resolved with
 * `session.resolve`, which rejects unsafe input) and throws only RemoteFailure.
 */

/**
 * Streams a remote file into `consume`, verified and resumed after transient failures (see VerifiedDownload).
 * `listedSize`: the size a listing just gave for this very path, checked against the server only if it does not match.
 * `verifyChecksum`: the bytes are hashed as they arrive and compared with the server's hash or a sidecar file's
 * (see integrity/); a mismatch fails (not retried) and `consume`'s result is not handed on.
 */
export async function downloadFile<T>(
	session: RemoteSession,
	path: string,
	consume: (stream: Readable) => Promise<T>,
	options: {
		retries?: number;
		listedSize?: number;
		/** A plan: made before the file was claimed (moved), so a sidecar is read beside the file as listed. */
		verifyChecksum?: boolean | ChecksumPlan;
	} = {},
): Promise<DownloadResult<T>> {
	return await new VerifiedDownload(
		session,
		path,
		consume,
		options.listedSize,
		options.verifyChecksum,
	).run(options.retries ?? 0);
}

/** Uploads what `openSource` streams, never leaving a partial file under the target's name (see SafeUpload). */
export async function uploadFile(
	session: RemoteSession,
	openSource: () => Promise<Readable>,
	path: string,
	options: UploadOptions = {},
): Promise<UploadResult> {
	return await new SafeUpload(session, path, openSource, options).run();
}

export async function deleteFile(session: RemoteSession, path: string): Promise<void> {
	const failure = await failureOf(session.removeFile(path));
	if (failure?.refusal === 'missingOrDenied' && (await session.isFolder(path))) {
		throw new RemoteFailure(
			'input',
			`"${path}" is a folder, not a file`,
			'Delete it as a folder (with what it holds, if it is not empty).',
			{ fixInNode: 'deleteFileOfFolder' },
		);
	}
	if (failure) throw failure;
}

/** Deletes a folder; with `recursive`, everything in it too, never leaving it (see walk/folderDelete.ts). */
export async function deleteFolder(
	session: RemoteSession,
	folder: string,
	recursive: boolean,
	limits: Partial<WalkLimits> = {},
): Promise<void> {
	if (recursive && (folder === '/' || folder === session.homeDirectory)) {
		throw new RemoteFailure(
			'input',
			`Refusing to delete "${folder}" recursively: it is ${folder === '/' ? 'the root folder' : 'the login folder'} of this account`,
			'Delete the subfolders you mean one by one, or give the exact folder path.',
		);
	}
	if (recursive) {
		await deleteFolderTree(session, folder, limits);
		return;
	}
	const failure = await failureOf(session.removeFolder(folder));
	if (failure?.refusal === 'missingOrDenied' && (await session.isFolder(folder))) {
		throw new RemoteFailure(
			'command',
			`The folder "${folder}" cannot be deleted: it is probably not empty (${failure.message})`,
			'Delete what it holds first, or delete it with everything in it.',
			{ replyCode: 550, fixInNode: 'folderNotEmpty', connectionLog: failure.connectionLog },
		);
	}
	if (failure) throw failure;
}

export async function movePath(
	session: RemoteSession,
	from: string,
	to: string,
	options: { createDirectories?: boolean } = {},
): Promise<void> {
	if (options.createDirectories) await session.ensureFolder(parentOf(to));
	await session.rename(from, to);
}

/** Creates a folder (and with `recursive` its missing parents); succeeds if it exists. Returns whether it was created. */
export async function createFolder(
	session: RemoteSession,
	folder: string,
	recursive: boolean,
): Promise<boolean> {
	return recursive ? await session.ensureFolder(folder) : await session.makeFolder(folder);
}
