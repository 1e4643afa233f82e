import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { FtpOperation } from './types';

/**
 * The one place that knows where each version of the node keeps an operation's input. Version 1 keeps every setting
 * in the Options collection and the remote path in `path`; version 2 shows the settings that change what the
 * operation does as fields of their own, and a folder in `folder`. Both become the same `options` object, so the
 * operations run the same code whatever version a workflow was saved with.
 */

/** Settings of version 1's Options collection that version 2 shows as top-level fields (same names and values). */
export const OWN_FIELDS_IN_VERSION_2: Record<FtpOperation, readonly string[]> = {
	list: ['retries'],
	download: ['afterDownload', 'moveToFolder', 'retries'],
	upload: ['ifExists', 'atomicUpload', 'createDirectories', 'retries'],
	delete: ['recursive'],
	rename: ['createDirectories'],
	createFolder: ['recursive'],
};

/** Operations whose remote path names a folder; version 2 keeps it in `folder` (Delete: when deleting a folder). */
const FOLDER_OPERATIONS = new Set<FtpOperation>(['list', 'createFolder']);

export interface OperationInput {
	/** The remote file or folder the operation works on, as the user typed it (Rename reads its own two paths). */
	path: unknown;
	/** The name of the field that holds it, for errors about it. */
	pathLabel: 'Path' | 'Folder';
	/** Version 1's Options collection, with what version 2 shows as fields of their own added. */
	options: IDataObject;
}

/** Absent from a node's parameters when its field is hidden (n8n-core throws on `undefined`). */
const HIDDEN = null;

/** Marks a parameter whose saved value holds an expression: it is read for every item. */
const PER_ITEM = Symbol('per item');

/**
 * Per execution (its context): the node as saved (n8n's getNode copies it on every call), and what parameters without
 * an expression resolved to. n8n's getNodeParameter resolves, validates and copies on every call, which for thousands
 * of small files costs as much as their transfers; a saved value without an expression resolves the same for every
 * item.
 */
const perExecution = new WeakMap<
	object,
	{ node: ReturnType<IExecuteFunctions['getNode']>; resolved: Map<string, unknown> }
>();

function executionOf(context: IExecuteFunctions) {
	let known = perExecution.get(context);
	if (known === undefined) {
		known = { node: context.getNode(), resolved: new Map() };
		perExecution.set(context, known);
	}
	return known;
}

function holdsExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(holdsExpression);
	if (value !== null && typeof value === 'object')
		return Object.values(value).some(holdsExpression);
	return false;
}

/** The value saved for `name` (a dotted path like `options.concurrency`), as the workflow holds it. */
function savedValue(parameters: unknown, name: string): unknown {
	let value = parameters;
	for (const key of name.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** The version of the node the workflow was saved with. */
export function nodeVersion(context: IExecuteFunctions): number {
	return executionOf(context).node.typeVersion;
}

/**
 * `context.getNodeParameter(name, itemIndex, fallback)`, resolved once for all items when the saved value holds no
 * expression. Callers must not change the value they get: every item gets the same one.
 */
export function nodeParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
	fallback?: unknown,
): unknown {
	const { node, resolved } = executionOf(context);
	const key = fallback === undefined ? name : `${name}\u0000${JSON.stringify(fallback)}`;
	const once = resolved.get(key);
	if (once === PER_ITEM) return context.getNodeParameter(name, itemIndex, fallback);
	if (once !== undefined || resolved.has(key)) return once;
	const value = context.getNodeParameter(name, itemIndex, fallback) as unknown;
	resolved.set(key, holdsExpression(savedValue(node.parameters, name)) ? PER_ITEM : value);
	return value;
}

export function operationInput(
	context: IExecuteFunctions,
	itemIndex: number,
	operation: FtpOperation,
): OperationInput {
	const options = { ...(nodeParameter(context, 'options', itemIndex, {}) as IDataObject) };
	if (nodeVersion(context) < 2) {
		return { path: nodeParameter(context, 'path', itemIndex, ''), pathLabel: 'Path', options };
	}
	for (const name of OWN_FIELDS_IN_VERSION_2[operation]) {
		const value = nodeParameter(context, name, itemIndex, HIDDEN);
		if (value !== HIDDEN) options[name] = value as IDataObject[string];
	}
	if (operation === 'delete') {
		options.folder = nodeParameter(context, 'deleteTarget', itemIndex) === 'folder';
	}
	const inFolderField = FOLDER_OPERATIONS.has(operation) || options.folder === true;
	return {
		path: nodeParameter(context, inFolderField ? 'folder' : 'path', itemIndex, ''),
		pathLabel: inFolderField ? 'Folder' : 'Path',
		options,
	};
}
