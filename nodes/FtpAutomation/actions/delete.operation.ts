import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	walkLimitOptions,
	walkLimitsOf,
	type WalkLimitOptions,
} from '../descriptions/sharedFields';
import { deleteFile, deleteFolder, type UseSession } from '../transport';
import { concurrencyOption, optionsField, remotePathField } from './fields';

export const description: INodeProperties[] = [
	remotePathField('delete', {
		placeholder: '/inbound/orders.csv',
		description: 'Remote file (or, with the Folder option, folder) to delete',
	}),
	optionsField('delete', [
		{
			displayName: 'Folder',
			name: 'folder',
			type: 'boolean',
			default: false,
			description: 'Whether the path is a folder to delete instead of a file',
		},
		{
			displayName: 'Recursive',
			name: 'recursive',
			type: 'boolean',
			default: false,
			description:
				'Whether to delete the folder with everything in it. Without it only an empty folder is deleted. Links inside are removed themselves, never followed; if the server cannot tell a link from a folder, nothing is deleted and the error says why.',
			displayOptions: { show: { folder: [true] } },
		},
		...walkLimitOptions({ folder: [true], recursive: [true] }).map((option) => ({
			...option,
			displayOptions: { show: { folder: [true], recursive: [true] } },
		})),
		concurrencyOption,
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const path = this.getNodeParameter('path', itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as WalkLimitOptions & {
		folder?: boolean;
		recursive?: boolean;
	};
	const deleted = await use(async (session) => {
		const remotePath = session.resolve(path);
		if (options.folder) {
			await deleteFolder(session, remotePath, options.recursive === true, walkLimitsOf(options));
		} else {
			await deleteFile(session, remotePath);
		}
		return remotePath;
	});
	return [{ json: { path: deleted, deleted: true }, pairedItem: { item: itemIndex } }];
}
