import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { DEFAULTS } from '../transport';
import type { FtpOperation } from './types';

/** Fields of the action node's operations. */

/**
 * The node versions with version 2's layout. Version 3 differs only in what Download outputs (the file's modifiedAt):
 * a new output field can break a saved workflow that maps every field (e.g. into a database table's columns), so
 * workflows saved with versions 1 and 2 keep their output.
 */
export const LAYOUT_2_VERSIONS = [2, 3] as const;

/**
 * The same fields, shown only on nodes of the given version (n8n reads `@version` in displayOptions). Version 1
 * keeps the layout saved workflows refer to; version 2 (what a new node gets) shows the settings that change what an
 * operation does as fields of their own, and keeps a folder in `folder` and a file in `path`, so that switching
 * operation does not carry a folder into a file's field (n8n keeps a value while a field of the same name stays).
 */
export function inVersion(
	version: number | readonly number[],
	fields: INodeProperties[],
): INodeProperties[] {
	const versions = typeof version === 'number' ? [version] : [...version];
	return fields.map((field) => ({
		...field,
		displayOptions: {
			...field.displayOptions,
			show: { ...field.displayOptions?.show, '@version': versions },
		},
	}));
}

/** Shows a field only for one operation (and optionally only when other fields have given values). */
export function shownFor(
	operation: FtpOperation,
	also: IDisplayOptions['show'] = {},
): INodeProperties['displayOptions'] {
	return { show: { operation: [operation], ...also } };
}

/** A required remote path field: `path`, or `oldPath`/`newPath` for Rename, or version 2's `folder`. */
export function remotePathField(
	operation: FtpOperation,
	field: {
		name?: string;
		displayName?: string;
		placeholder: string;
		description: string;
		/** Further conditions, e.g. Delete's `deleteTarget`. */
		shownWhen?: Record<string, Array<string | boolean>>;
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
		displayOptions: shownFor(operation, field.shownWhen),
	};
}

/** Version 2's folder field (List, Create Folder, Delete of a folder): its own name, so no file path lands in it. */
export function folderField(
	operation: FtpOperation,
	field: {
		placeholder: string;
		description: string;
		shownWhen?: Record<string, Array<string | boolean>>;
	},
): INodeProperties {
	return remotePathField(operation, { ...field, name: 'folder', displayName: 'Folder' });
}

/** An option of version 1 shown as a field of its own in version 2 (see actions/operationInput.ts). */
export function ownField(
	operation: FtpOperation,
	option: INodeProperties,
	shownWhen: Record<string, Array<string | boolean>> = {},
): INodeProperties {
	return {
		...option,
		displayOptions: shownFor(operation, { ...option.displayOptions?.show, ...shownWhen }),
	};
}

/** Offered by every operation: the connection log of each item's part of the work, in its output. */
export const includeConnectionLogOption: INodeProperties = {
	displayName: 'Include Connection Log',
	name: 'includeConnectionLog',
	type: 'boolean',
	default: false,
	description:
		"Whether to add a field connectionLog to each output item: the timestamped, redacted conversation with the server for that item's part of the work (the first item's also shows connecting and logging in)",
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

/** Offered where many items can run at once: Download, Upload, Delete and (for its subfolders) List. */
export const concurrencyOption: INodeProperties = {
	displayName: 'Concurrency',
	name: 'concurrency',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: DEFAULTS.maxConcurrency },
	default: DEFAULTS.concurrency,
	description:
		'How many connections to open to the server and use at once, each reused for many items. Results keep the order of the input items. Servers often limit connections per user (vsftpd: max_per_ip); if one more is refused, the node continues with those it has.',
};

/** Offered by operations that can safely be tried again: Download, Upload and List. */
export const retriesOption: INodeProperties = {
	displayName: 'Retries',
	name: 'retries',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: 10 },
	default: DEFAULTS.retries,
	description:
		'How often to try again after a temporary failure (dropped connection, timeout, or a reply like 421, 425, 426, 450, 451), waiting 0.5 s, then 1 s, 2 s, ... A download resumes where it stopped if the server supports it. Permanent failures (wrong password, file not found, permission denied) are never retried.',
};
