import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { createFolder, DEFAULTS, type UseSession } from '../transport';
import { optionsField, remotePathField } from './fields';

export const description: INodeProperties[] = [
	remotePathField('createFolder', {
		placeholder: '/archive/2026/11',
		description: 'Folder to create. Succeeds if it already exists.',
	}),
	optionsField('createFolder', [
		{
			displayName: 'Recursive',
			name: 'recursive',
			type: 'boolean',
			default: DEFAULTS.createFolderRecursive,
			description: 'Whether to create missing parent folders too',
		},
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as { recursive?: boolean };
	const path = this.getNodeParameter('path', itemIndex);
	const result = await use(async (session) => {
		const folder = session.resolve(path);
		const recursive = options.recursive ?? DEFAULTS.createFolderRecursive;
		return { path: folder, created: await createFolder(session, folder, recursive) };
	});
	return [{ json: result, pairedItem: { item: itemIndex } }];
}
