import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { createFolder, DEFAULTS, type UseSession } from '../transport';
import {
	folderField,
	inVersion,
	LAYOUT_2_VERSIONS,
	optionsField,
	ownField,
	remotePathField,
} from './fields';
import { operationInput } from './operationInput';

const folderToCreate = {
	placeholder: '/archive/2026/11',
	description: 'Folder to create. Succeeds if it already exists.',
};

const recursiveOption: INodeProperties = {
	displayName: 'Recursive',
	name: 'recursive',
	type: 'boolean',
	default: DEFAULTS.createFolderRecursive,
	description: 'Whether to create missing parent folders too',
};

export const description: INodeProperties[] = [
	...inVersion(1, [
		remotePathField('createFolder', folderToCreate),
		optionsField('createFolder', [recursiveOption]),
	]),
	...inVersion(LAYOUT_2_VERSIONS, [
		folderField('createFolder', folderToCreate),
		ownField('createFolder', { ...recursiveOption, displayName: 'Create Parent Folders' }),
		optionsField('createFolder', []),
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { path, pathLabel, options: rawOptions } = operationInput(this, itemIndex, 'createFolder');
	const options = rawOptions as { recursive?: boolean };
	const result = await use(async (session) => {
		const folder = session.resolve(path, pathLabel);
		const recursive = options.recursive ?? DEFAULTS.createFolderRecursive;
		return { path: folder, created: await createFolder(session, folder, recursive) };
	});
	return [{ json: result, pairedItem: { item: itemIndex } }];
}
