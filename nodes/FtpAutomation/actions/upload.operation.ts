import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { Readable } from 'node:stream';

import { binaryInputStream } from '../helpers/binaryInput';
import type { FtpSession } from '../transport';
import { optionsField, remotePathField, shownFor } from './descriptions';

export const description: INodeProperties[] = [
	remotePathField('upload', {
		placeholder: '/outbound/report.csv',
		description: 'Remote file to write, including its name. An existing file is replaced.',
	}),
	{
		displayName: 'Binary File',
		name: 'binaryData',
		type: 'boolean',
		default: true,
		description:
			'Whether to upload a file from a binary field of the input item; turn off to upload text',
		displayOptions: shownFor('upload'),
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to upload',
		displayOptions: shownFor('upload', { binaryData: [true] }),
	},
	{
		displayName: 'File Content',
		name: 'fileContent',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'Text to write to the file (UTF-8)',
		displayOptions: shownFor('upload', { binaryData: [false] }),
	},
	optionsField('upload', [
		{
			displayName: 'Create Directories',
			name: 'createDirectories',
			type: 'boolean',
			default: true,
			description: 'Whether to create missing folders on the way to the file',
		},
	]),
];

export async function execute(
	this: IExecuteFunctions,
	session: FtpSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const path = session.resolve(this.getNodeParameter('path', itemIndex));
	const options = this.getNodeParameter('options', itemIndex, {}) as {
		createDirectories?: boolean;
	};
	const source = this.getNodeParameter('binaryData', itemIndex)
		? await binaryInputStream.call(
				this,
				itemIndex,
				this.getNodeParameter('binaryPropertyName', itemIndex) as string,
			)
		: Readable.from(Buffer.from(this.getNodeParameter('fileContent', itemIndex) as string, 'utf8'));
	const result = await session.upload(source, path, {
		createDirectories: options.createDirectories ?? true,
	});
	return [{ json: { ...result }, pairedItem: { item: itemIndex } }];
}
