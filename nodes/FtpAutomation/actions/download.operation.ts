import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { lookup } from 'mime-types';
import { posix } from 'node:path';

import type { FtpSession } from '../transport';
import { optionsField, remotePathField, shownFor } from './descriptions';

export const description: INodeProperties[] = [
	remotePathField('download', {
		placeholder: '/inbound/orders.csv',
		description: 'Remote file to download',
	}),
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		displayOptions: shownFor('download'),
	},
	optionsField('download', []),
];

export async function execute(
	this: IExecuteFunctions,
	session: FtpSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const path = session.resolve(this.getNodeParameter('path', itemIndex));
	const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const fileName = posix.basename(path);
	const mimeType = lookup(fileName) || 'application/octet-stream';
	// The data connection streams straight into n8n's binary store: no temporary file, no whole-file buffer.
	const { result: binary, size } = await session.download(
		path,
		async (stream) => await this.helpers.prepareBinaryData(stream, fileName, mimeType),
	);
	return [
		{
			json: { path, size },
			binary: { [binaryPropertyName]: binary },
			pairedItem: { item: itemIndex },
		},
	];
}
