import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { selectionOptions, selectionRulesOf } from '../descriptions/selectionFields';
import {
	globFilterField,
	walkLimitOptions,
	walkLimitsOf,
	type WalkLimitOptions,
} from '../descriptions/sharedFields';
import {
	DEFAULTS,
	sortEntries,
	walkSelected,
	type IncludeEntries,
	type ListEntry,
	type SortBy,
	type SortDirection,
	type UseSession,
} from '../transport';
import {
	concurrencyOption,
	folderField,
	inVersion,
	LAYOUT_2_VERSIONS,
	optionsField,
	ownField,
	remotePathField,
	retriesOption,
} from './fields';
import { nodeParameter, operationInput } from './operationInput';

const listOptions: INodeProperties[] = [
	globFilterField('entries to return'),
	...selectionOptions,
	{
		displayName: 'Sort By',
		name: 'sortBy',
		type: 'options',
		default: 'name',
		options: [
			{ name: 'Name', value: 'name' },
			{ name: 'Modified At', value: 'modifiedAt' },
			{ name: 'Size', value: 'size' },
		],
		description:
			"Order of the entries (without this option they come in the order the server lists them, each subfolder's contents after it). Entries whose value the server does not tell come last.",
	},
	{
		displayName: 'Sort Direction',
		name: 'sortDirection',
		type: 'options',
		default: 'ascending',
		options: [
			{
				name: 'Ascending',
				value: 'ascending',
				description: 'A to Z, oldest first, smallest first',
			},
			{
				name: 'Descending',
				value: 'descending',
				description: 'Z to A, newest first, largest first',
			},
		],
		description: 'Used with Sort By',
	},
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

/** n8n's convention for operations that return many items; everything by default, as before these fields existed. */
const returnAllFields: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: DEFAULTS.listReturnAll,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show: { operation: ['list'] } },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULTS.listLimit,
		description: 'Max number of results to return',
		displayOptions: { show: { operation: ['list'], returnAll: [false] } },
	},
];

export const description: INodeProperties[] = [
	...inVersion(1, [
		{ ...remotePathField('list', folderToList), default: '/' },
		...returnAllFields,
		optionsField('list', [...listOptions, retriesOption]),
	]),
	...inVersion(LAYOUT_2_VERSIONS, [
		{ ...folderField('list', folderToList), default: '/' },
		ownField('list', retriesOption),
		...returnAllFields,
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
		sortBy?: SortBy;
		sortDirection?: SortDirection;
	};
	const rules = { ...selectionRulesOf(input.options), filter: options.filter };
	let entries: ListEntry[] = (
		await walkSelected(use, input.path, input.pathLabel, rules, {
			include: options.include,
			recursive: options.recursive,
			retries: options.retries ?? DEFAULTS.retries,
			limits: walkLimitsOf(options),
		})
	).selected;
	if (options.sortBy !== undefined)
		entries = sortEntries(entries, options.sortBy, options.sortDirection);
	if (nodeParameter(this, 'returnAll', itemIndex, DEFAULTS.listReturnAll) === false) {
		const limit = nodeParameter(this, 'limit', itemIndex, DEFAULTS.listLimit);
		entries = entries.slice(0, Math.max(1, Math.floor(Number(limit) || DEFAULTS.listLimit)));
	}
	return entries.map((entry) => ({
		json: { ...entry } as IDataObject,
		pairedItem: { item: itemIndex },
	}));
}
