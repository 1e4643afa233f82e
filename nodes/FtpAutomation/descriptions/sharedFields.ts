import type { INodeProperties } from 'n8n-workflow';

import { DEFAULTS, type WalkLimits } from '../transport';

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
			'What to do with the remote file after a complete, verified download (with a Claim Folder: the claimed file); nothing is done if the download fails',
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

/**
 * After Download inside an Options collection (the trigger, and version 1 of the action node), where n8n shows Move
 * to Folder only once the user adds it from the collection's list: the description says so.
 */
export const afterDownloadInOptions: INodeProperties[] = afterDownloadOptions.map((option) =>
	option.name === 'afterDownload'
		? {
				...option,
				description: `${option.description}. "Move the File" also needs Move to Folder, added with "Add option".`,
			}
		: option,
);

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
 * the walk is recursive.
 */
export function walkLimitOptions(
	recursiveShown: Record<string, Array<string | boolean>>,
): INodeProperties[] {
	return [
		{
			displayName: 'Max Entries per Folder',
			name: 'maxEntriesPerFolder',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULTS.maxEntriesPerFolder,
			description:
				"Fail if one folder's listing holds more entries than this, before they are read into memory (about 1 KB each)",
		},
		{
			displayName: 'Max Folders',
			name: 'maxFolders',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULTS.maxFolders,
			description: 'Fail if the recursive walk would list more folders than this',
			displayOptions: { show: recursiveShown },
		},
		{
			displayName: 'Time Limit (Seconds)',
			name: 'timeLimit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULTS.walkTimeLimitSeconds,
			description: 'Fail if listing all the folders of the recursive walk takes longer than this',
			displayOptions: { show: recursiveShown },
		},
	];
}

/**
 * Which protocol both nodes speak; the credential shown follows it (as n8n's built-in FTP node does). FTP is the
 * default, so workflows saved before SFTP existed run unchanged.
 */
export const protocolField: INodeProperties = {
	displayName: 'Protocol',
	name: 'protocol',
	type: 'options',
	default: 'ftp',
	options: [
		{
			name: 'FTP / FTPS',
			value: 'ftp',
			description: 'FTP, with or without TLS (explicit or implicit FTPS)',
		},
		{ name: 'SFTP', value: 'sftp', description: 'File transfer over SSH' },
	],
	description: 'SFTP runs over SSH (usually port 22); FTPS is FTP with TLS (ports 21 or 990)',
};
