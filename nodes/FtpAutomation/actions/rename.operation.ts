import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { UseSession } from '../transport';
import { optionsField, remotePathField } from './descriptions';

export const description: INodeProperties[] = [
	remotePathField('rename', {
		name: 'oldPath',
		displayName: 'Old Path',
		placeholder: '/inbound/orders.csv',
		description: 'Remote file or folder to rename or move',
	}),
	remotePathField('rename', {
		name: 'newPath',
		displayName: 'New Path',
		placeholder: '/archive/2026/orders.csv',
		description: 'New name, or a path in another folder to move it there',
	}),
	optionsField('rename', [
		{
			displayName: 'Create Directories',
			name: 'createDirectories',
			type: 'boolean',
			default: false,
			description: 'Whether to create missing folders on the way to the new path',
		},
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as {
		createDirectories?: boolean;
	};
	const result = await use(
		async (session) =>
			await session.rename(
				this.getNodeParameter('oldPath', itemIndex),
				this.getNodeParameter('newPath', itemIndex),
				{ createDirectories: options.createDirectories === true },
			),
	);
	return [{ json: { ...result }, pairedItem: { item: itemIndex } }];
}
