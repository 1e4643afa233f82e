/**
 * One folder tree for List's selection options (Exclude, age, size, Done File, Sort By, Limit), put on any server
 * whose files the test can write on disk, and what List must output for it. Shared by the integration tests
 * (embedded servers) and the interop tests (vsftpd, ProFTPD, OpenSSH).
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { runFtpNode } from './nodeRun';

/** Writes `content` at `remotePath` (creating folders) and returns the file's path on disk. */
export type WriteOnServer = (remotePath: string, content: string) => Promise<string>;

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

interface PlannedFile {
	/** Relative to the scenario's folder. */
	path: string;
	size: number;
	/** Seconds before the test runs. */
	age: number;
}

const FILES: PlannedFile[] = [
	{ path: 'old.csv', size: 200, age: 2 * HOUR },
	{ path: 'old.csv.done', size: 0, age: 2 * HOUR },
	{ path: 'new.csv', size: 300, age: 0 },
	{ path: 'new.csv.done', size: 0, age: 0 },
	{ path: 'empty.csv', size: 0, age: 2 * HOUR },
	{ path: 'empty.csv.done', size: 0, age: 2 * HOUR },
	{ path: 'big.csv', size: 5000, age: 3 * HOUR },
	{ path: 'big.csv.done', size: 0, age: 3 * HOUR },
	{ path: 'stale.csv', size: 100, age: 3 * DAY },
	{ path: 'stale.csv.done', size: 0, age: 3 * DAY },
	{ path: 'nomarker.csv', size: 100, age: 2 * HOUR },
	{ path: 'part.tmp', size: 100, age: 2 * HOUR },
	{ path: 'part.tmp.done', size: 0, age: 2 * HOUR },
	{ path: 'orphan.csv.done', size: 0, age: 2 * HOUR },
	{ path: 'sub.csv.done', size: 0, age: 2 * HOUR },
	{ path: 'sub/a.csv', size: 50, age: 90 * MINUTE },
	{ path: 'sub/a.csv.done', size: 0, age: 90 * MINUTE },
	// Its marker is in the parent folder ("sub.csv.done" is not "sub/sub.csv.done"): never released.
	{ path: 'sub/sub.csv', size: 70, age: 2 * HOUR },
	{ path: 'batch/x.csv', size: 10, age: 2 * HOUR },
	{ path: 'batch/y.csv', size: 20, age: 2 * HOUR },
	{ path: 'batch/_SUCCESS', size: 0, age: 2 * HOUR },
	{ path: 'pending/z.csv', size: 30, age: 2 * HOUR },
];

/** Puts the tree under `folder` (a remote path) with the planned sizes and modification times. */
export async function putSelectionTree(folder: string, write: WriteOnServer): Promise<void> {
	const now = Date.now() / 1000;
	for (const planned of FILES) {
		const onDisk = await write(path.posix.join(folder, planned.path), 'x'.repeat(planned.size));
		const time = now - planned.age;
		await fsp.utimes(onDisk, time, time);
	}
}

/** What every option of the scenario selects: recursive, files only, the rules of the example. */
export const SELECTION_OPTIONS = {
	recursive: true,
	include: 'files',
	exclude: '*.tmp, batch/**, pending/**',
	minAge: 10 * MINUTE,
	maxAge: DAY,
	minSize: 1,
	maxSize: 4096 * 4,
	doneFile: '{name}.done',
};

/** The relative paths List outputs with SELECTION_OPTIONS, sorted (the walk keeps the server's listing order). */
export const SELECTED = ['big.csv', 'old.csv', 'sub/a.csv'];

/** The same with Hide Done Files off: every marker Exclude leaves in, released or not, sorted. */
export const SELECTED_WITH_MARKERS = [
	'big.csv',
	'big.csv.done',
	'empty.csv.done',
	'new.csv.done',
	'old.csv',
	'old.csv.done',
	'orphan.csv.done',
	'part.tmp.done',
	'stale.csv.done',
	'sub.csv.done',
	'sub/a.csv',
	'sub/a.csv.done',
];

/**
 * The output's paths relative to `folder`, with each item's doneFile likewise relative ('' without one): the walk
 * order is the server's listing order, so callers sort where the order is not what is tested.
 */
export function relativeOutput(
	output: INodeExecutionData[],
	folder: string,
): Array<{ path: string; doneFile: string; size: unknown }> {
	const relative = (value: unknown) =>
		typeof value === 'string' ? path.posix.relative(folder, value) : '';
	return output.map(({ json }) => ({
		path: relative(json.path),
		doneFile: relative(json.doneFile),
		size: json.size,
	}));
}

/** Runs List on a server: parameters in the layout of `typeVersion` (1 unless given). */
export function listOn(
	credentials: ICredentialDataDecryptedObject,
	protocol: 'ftp' | 'sftp',
): (parameters: INodeParameters, typeVersion?: number) => Promise<INodeExecutionData[]> {
	return async (parameters, typeVersion = 1) =>
		await runFtpNode(credentials, { protocol, operation: 'list', ...parameters }, { typeVersion });
}
