import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { UseSession } from '../transport';
import { optionsField, remotePathField } from './descriptions';

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
			default: true,
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
	const result = await use(
		async (session) =>
			await session.createFolder(
				this.getNodeParameter('path', itemIndex),
				options.recursive ?? true,
			),
	);
	return [{ json: { ...result }, pairedItem: { item: itemIndex } }];
}
