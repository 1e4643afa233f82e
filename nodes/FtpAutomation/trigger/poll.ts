import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { walkLimitsOf, type WalkLimitOptions } from '../descriptions/sharedFields';
import { downloadToBinary, type AfterDownload } from '../helpers/downloadToBinary';
import { connectionSettingsOf } from '../helpers/connectionSettings';
import { toNodeError } from '../helpers/nodeError';
import {
	DEFAULTS,
	isTemporaryName,
	SessionPool,
	walkFolders,
	type ListEntry,
	type UseSession,
} from '../transport';
import {
	changesToEmit,
	stateOfExisting,
	type DueFile,
	type WatchedEvent,
	type WatchState,
} from './fileChanges';

interface TriggerOptions extends WalkLimitOptions {
	download?: boolean;
	afterDownload?: AfterDownload;
	moveToFolder?: string;
	emitExisting?: boolean;
	maxFilesPerPoll?: number;
	stableFor?: number;
}

/** The static data of the node: the state of the one folder it watches, under the key of what it watches. */
interface StoredWatch {
	key: string;
	state: WatchState;
}

/** The trigger's items: one per file, with List's fields plus `event` (and the file as binary `data` if asked). */
async function toItems(
	context: IPollFunctions,
	use: UseSession,
	files: DueFile[],
	options: TriggerOptions,
	onEmittable: (file: DueFile) => void,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const file of files) {
		const json: IDataObject = { ...file.entry, event: file.event };
		if (!options.download) {
			items.push({ json });
			onEmittable(file);
			continue;
		}
		const downloaded = await use(
			async (session) =>
				await downloadToBinary(context, session, file.entry.path, {
					...options,
					listed: { ...file.entry },
				}),
		).then(
			(result) => result,
			(error: unknown) => ({ error }),
		);
		if ('error' in downloaded) {
			// Files already downloaded (and perhaps already moved or deleted on the server) must be emitted: the
			// failing one is first in line at the next poll, and fails that poll if it still cannot be downloaded.
			if (items.length === 0) throw toNodeError(context.getNode(), downloaded.error);
			context.logger.warn(
				`FTP Automation Trigger: emitting ${items.length} file(s); "${file.entry.path}" follows at the next poll: ${toNodeError(context.getNode(), downloaded.error).message}`,
			);
			break;
		}
		items.push({ json: { ...json, ...downloaded.json }, binary: { data: downloaded.binary } });
		onEmittable(file);
	}
	return items;
}

/** Newest first: what a user building the workflow wants to see in a test run. */
function newestFirst(a: ListEntry, b: ListEntry): number {
	return (b.modifiedAt ?? '').localeCompare(a.modifiedAt ?? '') || a.path.localeCompare(b.path);
}

/**
 * One poll: lists the watched folder, compares it with the state kept in the workflow's static data, and emits each
 * new version of a file exactly once. A manual test run emits the newest matching files and changes no state, and
 * never deletes or moves a file.
 */
export async function pollForChanges(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const path = this.getNodeParameter('path') as string;
	const recursive = this.getNodeParameter('recursive', false) as boolean;
	const filter = this.getNodeParameter('filter', '') as string;
	const event = this.getNodeParameter('event', 'fileCreated') as WatchedEvent;
	const options = this.getNodeParameter('options', {}) as TriggerOptions;
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
		const listed = await walkFolders(use, path, {
			recursive,
			filter,
			include: 'files',
			retries: DEFAULTS.retries,
			limits: walkLimitsOf(options),
		}).catch(async (error: unknown) => await Promise.reject(toNodeError(this.getNode(), error)));
		// A safe upload's temporary file is not data: still being written, or left by a killed upload. Only a
		// Filter that asks for hidden names (it starts with a dot) sees it.
		const files = listed.filter(
			(entry) =>
				entry.type === 'file' && (filter.trim().startsWith('.') || !isTemporaryName(entry.name)),
		);

		if (this.getMode() === 'manual') {
			const newest = files.sort(newestFirst).slice(0, maxFiles);
			const sample = newest.map((entry) => ({ entry, event: 'fileCreated' as const }));
			const items = await toItems(
				this,
				use,
				sample,
				{ ...options, afterDownload: 'keep' },
				() => {},
			);
			return items.length > 0 ? [items] : null;
		}

		const staticData = this.getWorkflowStaticData('node');
		const key = JSON.stringify({ path, recursive, filter });
		const stored = staticData.watch as StoredWatch | undefined;
		// A new activation, or the node now watches something else: start from what is there.
		if (stored?.key !== key && !options.emitExisting) {
			staticData.watch = { key, state: stateOfExisting(files) } satisfies StoredWatch;
			return null;
		}
		const state = stored?.key === key ? stored.state : { seen: {}, settling: {} };
		const { due, accept } = changesToEmit(files, state, {
			event,
			stableForMs: Math.max(0, options.stableFor ?? 0) * 1000,
			maxFiles,
			now: Date.now(),
		});
		const emitted: DueFile[] = [];
		try {
			const items = await toItems(this, use, due, options, (file) => emitted.push(file));
			return items.length > 0 ? [items] : null;
		} finally {
			staticData.watch = { key, state: accept(emitted) } satisfies StoredWatch;
		}
	} finally {
		pool.close();
	}
}
