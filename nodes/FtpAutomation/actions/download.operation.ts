import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { downloadToBinary, type DownloadToBinaryOptions } from '../helpers/downloadToBinary';
import { DoneFileTracker } from '../helpers/pickupDoneFiles';
import { verifyChecksumOption } from '../descriptions/integrityFields';
import { pickupOptions } from '../descriptions/pickupFields';
import { afterDownloadInOptions, afterDownloadOptions } from '../descriptions/sharedFields';
import type { UseSession } from '../transport';
import {
	concurrencyOption,
	inVersion,
	LAYOUT_2_VERSIONS,
	optionsField,
	ownField,
	remotePathField,
	retriesOption,
	shownFor,
} from './fields';
import { nodeParameter, nodeVersion, operationInput } from './operationInput';

const fileToDownload = {
	placeholder: '/inbound/orders.csv',
	description: 'Remote file to download',
};

const outputField: INodeProperties = {
	displayName: 'Put Output File in Field',
	name: 'binaryPropertyName',
	type: 'string',
	default: 'data',
	required: true,
	hint: 'The name of the output binary field to put the file in',
	displayOptions: shownFor('download'),
};

export const description: INodeProperties[] = [
	...inVersion(1, [
		remotePathField('download', fileToDownload),
		outputField,
		optionsField('download', [
			...afterDownloadInOptions,
			concurrencyOption,
			retriesOption,
			...pickupOptions,
			verifyChecksumOption,
		]),
	]),
	...inVersion(LAYOUT_2_VERSIONS, [
		remotePathField('download', fileToDownload),
		outputField,
		...afterDownloadOptions.map((option) => ownField('download', option)),
		ownField('download', retriesOption),
		optionsField('download', [concurrencyOption, ...pickupOptions, verifyChecksumOption]),
	]),
];

/**
 * Per execution: which item deletes a Done File several input items name (Delete Done File), counted over all the
 * input items of the run.
 */
const doneFilesOfRun = new WeakMap<IExecuteFunctions, DoneFileTracker>();

function doneFilesOf(context: IExecuteFunctions): DoneFileTracker {
	let tracker = doneFilesOfRun.get(context);
	if (tracker === undefined) {
		tracker = new DoneFileTracker(context.getInputData().map((item) => item.json.doneFile));
		doneFilesOfRun.set(context, tracker);
	}
	return tracker;
}

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const binaryPropertyName = nodeParameter(this, 'binaryPropertyName', itemIndex) as string;
	const { path, options } = operationInput(this, itemIndex, 'download');
	const listed = this.getInputData()[itemIndex]?.json;
	const { json, binary } = await use(
		async (session) =>
			await downloadToBinary(this, session, path, {
				...(options as DownloadToBinaryOptions),
				listed,
				outputModifiedAt: nodeVersion(this) >= 3,
				doneFiles: options.deleteDoneFile === true ? doneFilesOf(this) : undefined,
			}),
	);
	// A file another execution claimed first: its item says so, without binary data.
	if (binary === undefined) return [{ json, pairedItem: { item: itemIndex } }];
	return [{ json, binary: { [binaryPropertyName]: binary }, pairedItem: { item: itemIndex } }];
}
