import type { INodeProperties } from 'n8n-workflow';

import type { WalkLimits } from '../transport';

import type { FtpOperation } from './types';

/** Shows a field only for one operation (and optionally only when other fields have given values). */
export function shownFor(
	operation: FtpOperation,
	also: Record<string, Array<string | boolean>> = {},
): INodeProperties['displayOptions'] {
	return { show: { operation: [operation], ...also } };
}

/** A required remote path field: `path`, or `oldPath`/`newPath` for Rename. */
export function remotePathField(
	operation: FtpOperation,
	field: {
		name?: string;
		displayName?: string;
		placeholder: string;
		description: string;
	},
): INodeProperties {
	return {
		displayName: field.displayName ?? 'Path',
		name: field.name ?? 'path',
		type: 'string',
		default: '',
		required: true,
		placeholder: field.placeholder,
		description: field.description,
		displayOptions: shownFor(operation),
	};
}

/** Offered by every operation: the connection log of each item's part of the work, in its output. */
export const includeConnectionLogOption: INodeProperties = {
	displayName: 'Include Connection Log',
	name: 'includeConnectionLog',
	type: 'boolean',
	default: false,
	description:
		"Whether to add `connectionLog` to each output item: the timestamped, redacted conversation with the server for that item's part of the work (the first item's also shows connecting and logging in)",
};

/** The operation's `options` collection; every operation also offers Include Connection Log. */
export function optionsField(operation: FtpOperation, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: shownFor(operation),
		options: [...options, includeConnectionLogOption],
	};
}

/** The most connections an execution opens to one server: more rarely helps and many servers refuse them. */
export const MAX_CONCURRENCY = 16;

/** Offered where many items can run at once: Download, Upload, Delete and (for its subfolders) List. */
export const concurrencyOption: INodeProperties = {
	displayName: 'Concurrency',
	name: 'concurrency',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
	default: 1,
	description:
		'How many connections to open to the server and use at once, each reused for many items. Results keep the order of the input items. Servers often limit connections per user (vsftpd: max_per_ip); if one more is refused, the node continues with those it has.',
};

/** Offered by operations that can safely be tried again: Download, Upload and List. */
export const retriesOption: INodeProperties = {
	displayName: 'Retries',
	name: 'retries',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: 10 },
	default: 2,
	description:
		'How often to try again after a temporary failure (dropped connection, timeout, or a reply like 421, 425, 426, 450, 451), waiting 0.5 s, then 1 s, 2 s, ... A download resumes where it stopped if the server supports it. Permanent failures (wrong password, file not found, permission denied) are never retried.',
};

/** Download's and the trigger's After Download: what happens to the remote file once n8n holds it. */
export const afterDownloadOptions: INodeProperties[] = [
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
];

/** List's and the trigger's Filter: a glob against the path relative to the folder. */
export function globFilterField(entries: string, note = ''): INodeProperties {
	return {
		displayName: 'Filter',
		name: 'filter',
		type: 'string',
		default: '',
		placeholder: '*.csv',
		description: [
			`Glob pattern for the ${entries}, e.g. *.csv or **/2026-*.csv. Matched against the path relative to the folder; a pattern without / matches names at any depth.`,
			note,
		].join(''),
	};
}

/** The limits of a listing or recursive walk, as the options hold them (Time Limit in seconds). */
export interface WalkLimitOptions {
	maxEntriesPerFolder?: number;
	maxFolders?: number;
	timeLimit?: number;
}

export function walkLimitsOf(options: WalkLimitOptions): Partial<WalkLimits> {
	return {
		maxEntriesPerFolder: options.maxEntriesPerFolder,
		maxFolders: options.maxFolders,
		timeLimitMs: options.timeLimit === undefined ? undefined : options.timeLimit * 1000,
	};
}

/**
 * Limits that keep a broken or hostile server (an endless listing, a tree that never ends) from filling n8n's
 * memory or running forever; each fails with an explained error. `recursiveShown` shows the walk's limits only when
 * the walk is recursive. The defaults are DEFAULT_WALK_LIMITS written out, as n8n's lint wants literals;
 * test/unit/walkLimits.test.ts keeps them equal.
 */
export function walkLimitOptions(recursiveShown: Record<string, boolean[]>): INodeProperties[] {
	return [
		{
			displayName: 'Max Entries per Folder',
			name: 'maxEntriesPerFolder',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 100000,
			description:
				"Fail if one folder's listing holds more entries than this, before they are read into memory (about 1 KB each)",
		},
		{
			displayName: 'Max Folders',
			name: 'maxFolders',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description: 'Fail if the recursive walk would list more folders than this',
			displayOptions: { show: recursiveShown },
		},
		{
			displayName: 'Time Limit (Seconds)',
			name: 'timeLimit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 300,
			description: 'Fail if listing all the folders of the recursive walk takes longer than this',
			displayOptions: { show: recursiveShown },
		},
	];
}
