import type { IBinaryData, IDataObject } from 'n8n-workflow';

import type { RemoteFailure, RemoteSession } from '../transport';

/** How one file's pickup ended, for the Done File that released it. */
export type PickupOutcome = 'downloaded' | 'skipped' | 'failed';

interface MarkerState {
	remaining: number;
	failed: boolean;
	downloaded: boolean;
}

/**
 * Decides which item deletes a Done File that several items name (a folder marker such as `_SUCCESS` releases every
 * file of its folder): the one that finishes last, and only if none of them failed (a failed file must be released
 * again by the same marker) and at least one was downloaded here (files another execution claimed are its to finish).
 * With Concurrency above 1 "last" is the last to finish, not the last in the input; run one after the other it is the
 * last input item. A marker no other item names is deleted by its own item's successful download.
 */
export class DoneFileTracker {
	private readonly markers = new Map<string, MarkerState>();

	/** `named`: the doneFile value of every item of the run (undefined for items without one). */
	constructor(named: Iterable<unknown>) {
		for (const marker of named) {
			if (typeof marker !== 'string' || marker === '') continue;
			const state = this.markers.get(marker);
			if (state) state.remaining++;
			else this.markers.set(marker, { remaining: 1, failed: false, downloaded: false });
		}
	}

	/** Records one item's outcome; true when this item is the one to delete the marker now. */
	finished(marker: string, outcome: PickupOutcome): boolean {
		const state = this.markers.get(marker);
		if (state === undefined || state.remaining <= 0) return outcome === 'downloaded';
		state.remaining--;
		state.failed ||= outcome === 'failed';
		state.downloaded ||= outcome === 'downloaded';
		return state.remaining === 0 && !state.failed && state.downloaded;
	}
}

/**
 * Deletes a Done File; one already gone is fine (another execution, or a person, deleted it). Returns the failure's
 * explanation when it could not be deleted: the file itself was downloaded, so the item is not failed for it.
 */
export async function deleteDoneFile(
	session: RemoteSession,
	marker: string,
): Promise<string | undefined> {
	const failure = await session.removeFile(marker, 'delete the Done File').then(
		() => undefined,
		(error: RemoteFailure) => error,
	);
	if (failure === undefined) return undefined;
	const stillThere = await session.stat(marker).then(
		(found) => found !== undefined,
		() => true,
	);
	if (!stillThere) {
		session.note(`The Done File "${marker}" was already gone`);
		return undefined;
	}
	return `The Done File "${marker}" could not be deleted: ${failure.message}. It still releases its file(s) to the next run; delete it by hand or let the account delete files there.`;
}

/** What withDoneFile needs of the download's options. */
export interface DoneFileOptions {
	listed?: IDataObject;
	deleteDoneFile?: boolean;
	doneFiles?: DoneFileTracker;
}

/** The Done File the listed item names, checked like any path; undefined when it names none. */
function doneFileOf(session: RemoteSession, listed: IDataObject | undefined): string | undefined {
	const named = listed?.doneFile;
	return typeof named === 'string' && named !== ''
		? session.resolve(named, 'Done File')
		: undefined;
}

/**
 * Runs one file's pickup, then, with Delete Done File, deletes the marker the listed item names when this item is
 * the one to (see DoneFileTracker): the output says `doneFileDeleted` (its path), or `doneFileError` when it could
 * not be deleted.
 */
export async function withDoneFile<Item extends { json: IDataObject; binary?: IBinaryData }>(
	session: RemoteSession,
	options: DoneFileOptions,
	pickUp: () => Promise<Item>,
): Promise<Item> {
	const marker = options.deleteDoneFile ? doneFileOf(session, options.listed) : undefined;
	if (marker === undefined) return await pickUp();
	const finished = (outcome: PickupOutcome) =>
		options.doneFiles === undefined
			? outcome === 'downloaded'
			: options.doneFiles.finished(marker, outcome);
	const item = await pickUp().catch(async (error: unknown) => {
		finished('failed');
		return await Promise.reject(error);
	});
	if (finished(item.binary === undefined ? 'skipped' : 'downloaded')) {
		const problem = await deleteDoneFile(session, marker);
		if (problem === undefined) item.json.doneFileDeleted = marker;
		else item.json.doneFileError = problem;
	}
	return item;
}
