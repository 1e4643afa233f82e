import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import {
	downloadToBinary,
	type AfterDownload,
	type AfterFailure,
	type DownloadToBinaryOptions,
} from '../helpers/downloadToBinary';
import { toNodeError } from '../helpers/nodeError';
import { movedAsideTo } from '../helpers/pickup';
import { DoneFileTracker } from '../helpers/pickupDoneFiles';
import type { ListEntry, UseSession } from '../transport';
import type { DueFile } from './fileChanges';

/** The trigger's download options (Download, After Download, pickup). */
export interface DownloadOptions {
	download?: boolean;
	afterDownload?: AfterDownload;
	moveToFolder?: string;
	claimFolder?: string;
	afterFailure?: AfterFailure;
	failedFolder?: string;
	deleteDoneFile?: boolean;
	/** Passed on to downloadToBinary, which compares the file's hash with the server's. */
	verifyChecksum?: boolean;
}

/** What a manual test run may do: download (and verify), never claim, move, delete or fail a file aside. */
export function withoutSideEffects(options: DownloadOptions): DownloadOptions {
	return {
		...options,
		afterDownload: 'keep',
		claimFolder: '',
		afterFailure: 'leave',
		deleteDoneFile: false,
	};
}

/**
 * Which item deletes each Done File: a marker is deleted only once every file it released and not yet emitted
 * (`pending`: due now, held back by Max Files per Poll or Stable For) was downloaded, so that a folder marker such as
 * `_SUCCESS` still releases the files a later poll emits.
 */
export function doneFileTrackerOf(pending: ListEntry[]): DoneFileTracker {
	return new DoneFileTracker(pending.map((entry) => entry.doneFile));
}

function downloads(event: DueFile['event'], options: DownloadOptions): boolean {
	return options.download === true && (event === 'fileCreated' || event === 'fileUpdated');
}

/**
 * The trigger's items: one per change, with List's fields plus `event` (and the file as binary `data` if asked).
 * `onEmittable` hears of each change whose item is emitted, so that only those count as seen. A file another
 * execution claimed first gives no item and stays unseen. A download that fails stops the poll there (that file is
 * first in line at the next poll) unless After Failure moved the file aside: then the next files go on. Items already
 * made are emitted either way (their files may already be moved or deleted on the server); the poll fails only when
 * it has no item to emit.
 */
export async function toItems(
	context: IPollFunctions,
	use: UseSession,
	changes: DueFile[],
	options: DownloadOptions & { doneFiles?: DoneFileTracker },
	onEmittable: (change: DueFile) => void,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	// The failure that stopped the poll, else the last file moved aside: raised when no item could be made.
	let failure: unknown;
	for (const change of changes) {
		const json: IDataObject = { ...change.entry, event: change.event };
		if (!downloads(change.event, options)) {
			items.push({ json });
			onEmittable(change);
			continue;
		}
		const downloadOptions: DownloadToBinaryOptions = { ...options, listed: { ...change.entry } };
		const downloaded = await use(
			async (session) =>
				await downloadToBinary(context, session, change.entry.path, downloadOptions),
		).then(
			(result) => result,
			(error: unknown) => ({ error }),
		);
		if ('error' in downloaded) {
			failure = downloaded.error;
			const movedAside = movedAsideTo(downloaded.error) !== undefined;
			if (items.length === 0 && !movedAside) break;
			context.logger.warn(
				`FTP Automation Trigger: ${movedAside ? 'going on after' : `emitting ${items.length} file(s); "${change.entry.path}" follows at the next poll after`}: ${toNodeError(context.getNode(), downloaded.error).message}`,
			);
			if (movedAside) continue;
			break;
		}
		if (downloaded.binary === undefined) continue;
		items.push({ json: { ...json, ...downloaded.json }, binary: { data: downloaded.binary } });
		onEmittable(change);
	}
	if (items.length === 0 && failure !== undefined) throw toNodeError(context.getNode(), failure);
	return items;
}
