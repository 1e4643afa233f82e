import type { INodeProperties } from 'n8n-workflow';

import { DEFAULTS } from '../transport';
import type { FtpOperation } from './types';

/** Fields of the action node's operations. */

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
