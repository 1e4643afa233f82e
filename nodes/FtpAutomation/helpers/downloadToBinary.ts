import { lookup } from 'mime-types';
import type { IBinaryData, IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { posix } from 'node:path';

import {
	DEFAULTS,
	deleteFile,
	downloadFile,
	hasControlCharacter,
	movePath,
	type RemoteSession,
} from '../transport';

export type AfterDownload = 'keep' | 'delete' | 'moveTo';

export interface DownloadToBinaryOptions {
	afterDownload?: AfterDownload;
	/** The folder for `afterDownload: 'moveTo'`, as the user typed it. */
	moveToFolder?: unknown;
	retries?: number;
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
	const { result: binary, size } = await downloadFile(
		session,
		remotePath,
		async (stream) => await context.helpers.prepareBinaryData(stream, fileName, mimeType),
		{ retries: options.retries ?? DEFAULTS.retries },
	);
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
