import type { INodeProperties } from 'n8n-workflow';

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

/** The operation's `options` collection. */
export function optionsField(operation: FtpOperation, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: shownFor(operation),
		options,
	};
}
