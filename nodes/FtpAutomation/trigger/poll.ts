import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import type { WalkLimitOptions } from '../descriptions/sharedFields';
import { connectionSettingsOf } from '../helpers/connectionSettings';
import { toNodeError } from '../helpers/nodeError';
import { DEFAULTS, SessionPool, type ListEntry, type UseSession } from '../transport';
import { doneFileTrackerOf, toItems, withoutSideEffects, type DownloadOptions } from './emitItems';
import {
	changesToEmit,
	stateOfExisting,
	versionOf,
	type ChangeEvent,
	type DueFile,
	type WatchedEvent,
	type WatchState,
} from './fileChanges';
import { listWatchedEntries, type Watch, type WatchedEntries } from './watchedEntries';

type TriggerOptions = WalkLimitOptions &
	DownloadOptions &
	IDataObject & {
		emitExisting?: boolean;
		maxFilesPerPoll?: number;
		stableFor?: number;
	};

/** The static data of the node: the state of the one folder it watches, under the key of what it watches. */
interface StoredWatch {
	key: string;
	state: WatchState;
}

/** Newest first: what a user building the workflow wants to see in a test run. */
function newestFirst(a: ListEntry, b: ListEntry): number {
	return (b.modifiedAt ?? '').localeCompare(a.modifiedAt ?? '') || a.path.localeCompare(b.path);
}

/** A manual test run's sample: the newest entries of the kind watched, shown as that event (nothing is deleted). */
function sampleOf(watched: WatchedEntries, event: WatchedEvent, maxFiles: number): DueFile[] {
	const shownAs: ChangeEvent =
		event === 'fileDeleted' || event === 'folderCreated' ? event : 'fileCreated';
	const entries = event === 'folderCreated' ? watched.folders : watched.files;
	return [...entries]
		.sort(newestFirst)
		.slice(0, maxFiles)
		.map((entry) => ({ entry, event: shownAs }));
}

/**
 * One poll: lists the watched folder, compares it with the state kept in the workflow's static data, and emits each
 * change exactly once. A manual test run emits the newest matching entries and changes no state, and never deletes,
 * moves or claims a file.
 */
export async function pollForChanges(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const options = this.getNodeParameter('options', {}) as TriggerOptions;
	const watch: Watch = {
		path: this.getNodeParameter('path') as string,
		recursive: this.getNodeParameter('recursive', false) as boolean,
		filter: this.getNodeParameter('filter', '') as string,
		event: this.getNodeParameter('event', 'fileCreated') as WatchedEvent,
		options,
	};
	const maxFiles = Math.max(1, Math.floor(options.maxFilesPerPoll ?? DEFAULTS.maxFilesPerPoll));

	let pool: SessionPool;
	try {
		const settings = await connectionSettingsOf(this);
		pool = await SessionPool.open(settings, 1, { onLogLine: (line) => this.logger.debug(line) });
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	}
	const use: UseSession = async (work) => await pool.use(work);
	try {
		const watched = await listWatchedEntries(use, watch).catch(
			async (error: unknown) => await Promise.reject(toNodeError(this.getNode(), error)),
		);

		if (this.getMode() === 'manual') {
			const sample = sampleOf(watched, watch.event, maxFiles);
			const items = await toItems(this, use, sample, withoutSideEffects(options), () => {});
			return items.length > 0 ? [items] : null;
		}

		const staticData = this.getWorkflowStaticData('node');
		// The same key as before issue 17, so that a saved state keeps working; the selection rules are not in it (a
		// changed rule must not make the trigger forget what it emitted).
		const key = JSON.stringify({
			path: watch.path,
			recursive: watch.recursive,
			filter: watch.filter,
		});
		const stored = staticData.watch as StoredWatch | undefined;
		// A new activation, or the node now watches something else: start from what is there.
		if (stored?.key !== key && !options.emitExisting) {
			const state = stateOfExisting(watched.files, {
				event: watch.event,
				folders: watched.folders,
			});
			staticData.watch = { key, state } satisfies StoredWatch;
			return null;
		}
		const state: WatchState =
			stored?.key === key
				? stored.state
				: { seen: {}, settling: {}, ...(watch.event === 'folderCreated' ? { folders: [] } : {}) };
		const { due, accept } = changesToEmit(
			watched.files,
			state,
			{
				event: watch.event,
				stableForMs: Math.max(0, options.stableFor ?? 0) * 1000,
				maxFiles,
				now: Date.now(),
			},
			{ folders: watched.folders, listedFiles: watched.listedFiles },
		);
		// Files a Done File released that are not emitted yet: their marker stays until all of them are.
		const pending = watched.files.filter(
			(file) => file.doneFile !== undefined && state.seen[file.path] !== versionOf(file),
		);
		const emitted: DueFile[] = [];
		try {
			const items = await toItems(
				this,
				use,
				due,
				{ ...options, doneFiles: doneFileTrackerOf(pending) },
				(change) => emitted.push(change),
			);
			return items.length > 0 ? [items] : null;
		} finally {
			staticData.watch = { key, state: accept(emitted) } satisfies StoredWatch;
		}
	} finally {
		pool.close();
	}
}
