import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { lookup } from 'mime-types';
import { posix } from 'node:path';

import type { UseSession } from '../transport';
import {
	concurrencyOption,
	optionsField,
	remotePathField,
	retriesOption,
	shownFor,
} from './descriptions';

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
	optionsField('download', [
		{
			displayName: 'After Download',
			name: 'afterDownload',
			type: 'options',
			default: 'keep',
			options: [
				{ name: 'Keep the File', value: 'keep' },
				{
					name: 'Delete the File',
					value: 'delete',
					description: 'Delete it from the server once n8n has stored the download',
				},
				{
					name: 'Move the File',
					value: 'moveTo',
					description:
						'Move it into another folder once n8n has stored the download (e.g. an archive)',
				},
			],
			description:
				'What to do with the remote file after a complete, verified download; nothing is done if the download fails',
		},
		{
			displayName: 'Move to Folder',
			name: 'moveToFolder',
			type: 'string',
			default: '',
			placeholder: '/inbound/processed',
			description:
				'Folder to move the downloaded file into (created if missing); an existing file of the same name there is replaced',
			displayOptions: { show: { afterDownload: ['moveTo'] } },
		},
		concurrencyOption,
		retriesOption,
	]),
];

interface DownloadOptions {
	afterDownload?: 'keep' | 'delete' | 'moveTo';
	moveToFolder?: string;
	retries?: number;
}

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const options = this.getNodeParameter('options', itemIndex, {}) as DownloadOptions;
	return await use(async (session) => {
		const path = session.resolve(this.getNodeParameter('path', itemIndex));
		const archiveFolder =
			options.afterDownload === 'moveTo'
				? session.resolve(options.moveToFolder, 'Move to Folder')
				: undefined;
		const fileName = posix.basename(path);
		const mimeType = lookup(fileName) || 'application/octet-stream';
		// The data connection streams straight into n8n's binary store: no temporary file, no whole-file buffer.
		const { result: binary, size } = await session.download(
			path,
			async (stream) => await this.helpers.prepareBinaryData(stream, fileName, mimeType),
			{ retries: options.retries ?? 2 },
		);
		// Only now is the file safe in n8n's store, so only now may it leave its folder on the server.
		const json: IDataObject = { path, size };
		if (options.afterDownload === 'delete') {
			await session.deleteFile(path);
			json.deleted = true;
		} else if (archiveFolder !== undefined) {
			const movedTo = posix.join(archiveFolder, fileName);
			await session.rename(path, movedTo, { createDirectories: true });
			json.movedTo = movedTo;
		}
		return [{ json, binary: { [binaryPropertyName]: binary }, pairedItem: { item: itemIndex } }];
	});
}
