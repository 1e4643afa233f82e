import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { FtpSession } from '../transport';

const showFor = { show: { operation: ['createFolder'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Path',
		name: 'path',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/archive/2026/11',
		description: 'Folder to create. Succeeds if it already exists.',
		displayOptions: showFor,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: showFor,
		options: [
			{
				displayName: 'Recursive',
				name: 'recursive',
				type: 'boolean',
				default: true,
				description: 'Whether to create missing parent folders too',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions, session: FtpSession, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as { recursive?: boolean };
	const result = await session.createFolder(this.getNodeParameter('path', itemIndex), options.recursive ?? true);
	return [{ json: { ...result }, pairedItem: { item: itemIndex } }];
}
