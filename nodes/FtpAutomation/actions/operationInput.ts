import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { FtpOperation } from './types';

/**
 * The one place that knows where each version of the node keeps an operation's input. Version 1 keeps every setting
 * in the Options collection and the remote path in `path`; version 2 shows the settings that change what the
 * operation does as fields of their own, and a folder in `folder`. Both become the same `options` object, so the
 * operations run the same code whatever version a workflow was saved with.
 */

/** Settings of version 1's Options collection that version 2 shows as top-level fields (same names and values). */
export const OWN_FIELDS_IN_VERSION_2: Record<FtpOperation, readonly string[]> = {
	list: ['retries'],
	download: ['afterDownload', 'moveToFolder', 'retries'],
	upload: ['ifExists', 'atomicUpload', 'createDirectories', 'retries'],
	delete: ['recursive'],
	rename: ['createDirectories'],
	createFolder: ['recursive'],
};

/** Operations whose remote path names a folder; version 2 keeps it in `folder` (Delete: when deleting a folder). */
const FOLDER_OPERATIONS = new Set<FtpOperation>(['list', 'createFolder']);

export interface OperationInput {
	/** The remote file or folder the operation works on, as the user typed it (Rename reads its own two paths). */
	path: unknown;
	/** The name of the field that holds it, for errors about it. */
	pathLabel: 'Path' | 'Folder';
	/** Version 1's Options collection, with what version 2 shows as fields of their own added. */
	options: IDataObject;
}

/** Absent from a node's parameters when its field is hidden (n8n-core throws on `undefined`). */
const HIDDEN = null;

export function operationInput(
	context: IExecuteFunctions,
	itemIndex: number,
	operation: FtpOperation,
): OperationInput {
	const options = { ...(context.getNodeParameter('options', itemIndex, {}) as IDataObject) };
	if (context.getNode().typeVersion < 2) {
		return { path: context.getNodeParameter('path', itemIndex, ''), pathLabel: 'Path', options };
	}
	for (const name of OWN_FIELDS_IN_VERSION_2[operation]) {
		const value = context.getNodeParameter(name, itemIndex, HIDDEN) as unknown;
		if (value !== HIDDEN) options[name] = value as IDataObject[string];
	}
	if (operation === 'delete') {
		options.folder = context.getNodeParameter('deleteTarget', itemIndex) === 'folder';
	}
	const inFolderField = FOLDER_OPERATIONS.has(operation) || options.folder === true;
	return {
		path: context.getNodeParameter(inFolderField ? 'folder' : 'path', itemIndex, ''),
		pathLabel: inFolderField ? 'Folder' : 'Path',
		options,
	};
}
