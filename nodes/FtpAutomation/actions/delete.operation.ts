import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	walkLimitOptions,
	walkLimitsOf,
	type WalkLimitOptions,
} from '../descriptions/sharedFields';
import { deleteFile, deleteFolder, type UseSession } from '../transport';
import {
	concurrencyOption,
	folderField,
	inVersion,
	LAYOUT_2_VERSIONS,
	optionsField,
	ownField,
	remotePathField,
	shownFor,
} from './fields';
import { operationInput } from './operationInput';

const recursiveOption: INodeProperties = {
	displayName: 'Recursive',
	name: 'recursive',
	type: 'boolean',
	default: false,
	description:
		'Whether to delete the folder with everything in it. Without it only an empty folder is deleted. Links inside are removed themselves, never followed; if the server cannot tell a link from a folder, nothing is deleted and the error says why.',
};

/** The walk's limits apply to a recursive Delete only; `shownWhen` says where Folder and Recursive are. */
function walkLimitsShownWhen(shownWhen: Record<string, Array<string | boolean>>) {
	return walkLimitOptions(shownWhen).map((option) => ({
		...option,
		displayOptions: { show: shownWhen },
	}));
}

export const description: INodeProperties[] = [
	...inVersion(1, [
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
			{ ...recursiveOption, displayOptions: { show: { folder: [true] } } },
			...walkLimitsShownWhen({ folder: [true], recursive: [true] }),
			concurrencyOption,
		]),
	]),
	...inVersion(LAYOUT_2_VERSIONS, [
		{
			displayName: 'Delete',
			name: 'deleteTarget',
			type: 'options',
			default: 'file',
			options: [
				{ name: 'File', value: 'file' },
				{
					name: 'Folder',
					value: 'folder',
					description: 'Only an empty one, unless Recursive is on',
				},
			],
			displayOptions: shownFor('delete'),
		},
		remotePathField('delete', {
			placeholder: '/inbound/orders.csv',
			description: 'Remote file to delete',
			shownWhen: { deleteTarget: ['file'] },
		}),
		folderField('delete', {
			placeholder: '/inbound/2026-11',
			description: 'Remote folder to delete',
			shownWhen: { deleteTarget: ['folder'] },
		}),
		ownField('delete', recursiveOption, { deleteTarget: ['folder'] }),
		optionsField('delete', [
			...walkLimitsShownWhen({ '/deleteTarget': ['folder'], '/recursive': [true] }),
			concurrencyOption,
		]),
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { path, pathLabel, options: rawOptions } = operationInput(this, itemIndex, 'delete');
	const options = rawOptions as WalkLimitOptions & {
		folder?: boolean;
		recursive?: boolean;
	};
	const deleted = await use(async (session) => {
		const remotePath = session.resolve(path, pathLabel);
		if (options.folder) {
			await deleteFolder(session, remotePath, options.recursive === true, walkLimitsOf(options));
		} else {
			await deleteFile(session, remotePath);
		}
		return remotePath;
	});
	return [{ json: { path: deleted, deleted: true }, pairedItem: { item: itemIndex } }];
}
