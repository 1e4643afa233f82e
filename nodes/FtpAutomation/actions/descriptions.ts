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
