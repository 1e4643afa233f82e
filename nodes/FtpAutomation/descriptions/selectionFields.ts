import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { DEFAULTS, type SelectionRules } from '../transport';

/**
 * The selection options of List and the trigger (Exclude, age, size, Done File), defined once: both nodes put them in
 * their Options collection next to Filter, and read them back with `selectionRulesOf`.
 */
export const selectionOptions: INodeProperties[] = [
	{
		displayName: 'Exclude',
		name: 'exclude',
		type: 'string',
		default: '',
		placeholder: '*.tmp, **/archive/**',
		description:
			'Glob patterns of entries to leave out, separated by commas or new lines (a comma inside {…} belongs to its pattern, as in *.{tmp,part}). Same rules as Filter: matched against the path relative to the folder; a pattern without / matches names at any depth.',
	},
	{
		displayName: 'Min Age (Seconds)',
		name: 'minAge',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULTS.selectionMinAgeSeconds,
		description:
			"Leave out entries modified less than this many seconds ago, e.g. files still being written by a server that keeps their time current. Age is measured with n8n's clock (no protocol tells the server's time without writing a file), so keep some margin if the clocks differ. Entries whose modification time the server does not tell are left out.",
	},
	{
		displayName: 'Max Age (Seconds)',
		name: 'maxAge',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULTS.selectionMaxAgeSeconds,
		description:
			"Leave out entries modified more than this many seconds ago. Age is measured with n8n's clock. Entries whose modification time the server does not tell are left out.",
	},
	{
		displayName: 'Min Size (Bytes)',
		name: 'minSize',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULTS.selectionMinSizeBytes,
		description:
			'Leave out files smaller than this (1 leaves out empty files). Files whose size the server does not tell are left out; folders are not affected.',
	},
	{
		displayName: 'Max Size (Bytes)',
		name: 'maxSize',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULTS.selectionMaxSizeBytes,
		description:
			'Leave out files larger than this (100 MB by default). Files whose size the server does not tell are left out; folders are not affected.',
	},
	{
		displayName: 'Done File',
		name: 'doneFile',
		type: 'string',
		default: DEFAULTS.selectionDoneFile,
		placeholder: '{name}.done',
		description:
			"Select a file only once a marker file exists beside it in the same folder, so that half-written files are never picked up. {name} is the file's name (x.csv), {base} the name without its last extension (x), e.g. {name}.done, {base}.ok, {name}.ready. A name without them, such as _SUCCESS, is a folder marker: once it exists, every file of its folder is selected. Selected files get a field doneFile with the marker's path.",
	},
	{
		displayName: 'Hide Done Files',
		name: 'hideDoneFiles',
		type: 'boolean',
		default: DEFAULTS.selectionHideDoneFiles,
		description:
			'Whether to leave the marker files named by Done File out of the output (those of files not yet there too). Only used with Done File.',
	},
];

/** The names of the selection options, e.g. to tell whether any of them is in use. */
export const SELECTION_OPTION_NAMES = selectionOptions.map((option) => option.name);

function numberOption(value: unknown): number | undefined {
	return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
}

function stringOption(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

/** The selection rules the options hold: a rule applies only when its option was added. */
export function selectionRulesOf(options: IDataObject): SelectionRules {
	return {
		filter: stringOption(options.filter),
		exclude: stringOption(options.exclude),
		minAge: numberOption(options.minAge),
		maxAge: numberOption(options.maxAge),
		minSize: numberOption(options.minSize),
		maxSize: numberOption(options.maxSize),
		doneFile: stringOption(options.doneFile),
		hideDoneFiles: typeof options.hideDoneFiles === 'boolean' ? options.hideDoneFiles : undefined,
	};
}
