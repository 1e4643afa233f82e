import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { downloadToBinary, type DownloadToBinaryOptions } from '../helpers/downloadToBinary';
import { afterDownloadOptions } from '../descriptions/sharedFields';
import type { UseSession } from '../transport';
import {
	concurrencyOption,
	optionsField,
	remotePathField,
	retriesOption,
	shownFor,
} from './fields';

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
	optionsField('download', [...afterDownloadOptions, concurrencyOption, retriesOption]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const binaryPropertyName = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const options = this.getNodeParameter('options', itemIndex, {}) as DownloadToBinaryOptions;
	const path = this.getNodeParameter('path', itemIndex);
	const { json, binary } = await use(
		async (session) => await downloadToBinary(this, session, path, options),
	);
	return [{ json, binary: { [binaryPropertyName]: binary }, pairedItem: { item: itemIndex } }];
}
