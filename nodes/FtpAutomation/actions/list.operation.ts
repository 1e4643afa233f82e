import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import {
	globFilterField,
	walkLimitOptions,
	walkLimitsOf,
	type WalkLimitOptions,
} from '../descriptions/sharedFields';
import { DEFAULTS, walkFolders, type IncludeEntries, type UseSession } from '../transport';
import {
	concurrencyOption,
	folderField,
	inVersion,
	optionsField,
	ownField,
	remotePathField,
	retriesOption,
} from './fields';
import { operationInput } from './operationInput';

const listOptions: INodeProperties[] = [
	globFilterField('entries to return'),
	{
		displayName: 'Include',
		name: 'include',
		type: 'options',
		default: 'both',
		options: [
			{ name: 'Files and Folders', value: 'both' },
			{ name: 'Files Only', value: 'files', description: 'Files and symbolic links' },
			{ name: 'Folders Only', value: 'folders' },
		],
	},
	{
		displayName: 'Recursive',
		name: 'recursive',
		type: 'boolean',
		default: false,
		description:
			'Whether to list the contents of subfolders too. Symbolic links are listed but not followed.',
	},
	...walkLimitOptions({ recursive: [true] }),
	{
		...concurrencyOption,
		description:
			'How many connections to open to the server and use at once: with Recursive, that many folders are listed at the same time (and that many input items run at once). Results keep their order. Servers often limit connections per user; if one more is refused, the node continues with those it has.',
	},
];

const folderToList = {
	placeholder: '/inbound',
	description:
		'Folder to list. A relative path starts at the folder the server puts you in after login.',
};

export const description: INodeProperties[] = [
	...inVersion(1, [
		{ ...remotePathField('list', folderToList), default: '/' },
		optionsField('list', [...listOptions, retriesOption]),
	]),
	...inVersion(2, [
		{ ...folderField('list', folderToList), default: '/' },
		ownField('list', retriesOption),
		optionsField('list', listOptions),
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const input = operationInput(this, itemIndex, 'list');
	const options = input.options as WalkLimitOptions & {
		filter?: string;
		include?: IncludeEntries;
		recursive?: boolean;
		retries?: number;
	};
	const entries = await walkFolders(use, input.path, {
		filter: options.filter,
		include: options.include,
		recursive: options.recursive,
		retries: options.retries ?? DEFAULTS.retries,
		limits: walkLimitsOf(options),
	});
	return entries.map((entry) => ({
		json: { ...entry } as IDataObject,
		pairedItem: { item: itemIndex },
	}));
}
