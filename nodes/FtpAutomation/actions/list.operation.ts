import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { FtpSession, IncludeEntries } from '../transport';
import { optionsField, remotePathField } from './descriptions';

export const description: INodeProperties[] = [
	{
		...remotePathField('list', {
			placeholder: '/inbound',
			description:
				'Folder to list. A relative path starts at the folder the server puts you in after login.',
		}),
		default: '/',
	},
	optionsField('list', [
		{
			displayName: 'Filter',
			name: 'filter',
			type: 'string',
			default: '',
			placeholder: '*.csv',
			description:
				'Glob pattern for the entries to return, e.g. *.csv or **/2026-*.csv. Matched against the path relative to the listed folder; a pattern without / matches names at any depth.',
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
	]),
];

export async function execute(
	this: IExecuteFunctions,
	session: FtpSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const path = this.getNodeParameter('path', itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as {
		filter?: string;
		include?: IncludeEntries;
		recursive?: boolean;
	};
	const entries = await session.list(path, options);
	return entries.map((entry) => ({
		json: { ...entry } as IDataObject,
		pairedItem: { item: itemIndex },
	}));
}
