import type { IDataObject } from 'n8n-workflow';

import { selectionRulesOf } from '../descriptions/selectionFields';
import { walkLimitsOf, type WalkLimitOptions } from '../descriptions/sharedFields';
import {
	DEFAULTS,
	isTemporaryName,
	walkSelected,
	type ListEntry,
	type UseSession,
} from '../transport';
import type { WatchedEvent } from './fileChanges';

/** What the trigger watches, as its parameters say. */
export interface Watch {
	path: string;
	recursive: boolean;
	filter: string;
	event: WatchedEvent;
	/** The Options collection: selection rules, walk limits, and the pickup folders to leave out. */
	options: WalkLimitOptions & IDataObject;
}

/** One poll's view of the watched folder. */
export interface WatchedEntries {
	/** The files the selection rules select (with `doneFile` when a Done File rule released them). */
	files: ListEntry[];
	/** The folders they select (listed only for New Folder). */
	folders: ListEntry[];
	/** Every file listed, selected or not: a seen file that is not among them was deleted. */
	listedFiles: Set<string>;
}

/** The folders the trigger's downloads move files into, with the labels their errors name. */
const PICKUP_FOLDERS = [
	{ name: 'claimFolder', label: 'Claim Folder' },
	{ name: 'failedFolder', label: 'Failed Folder' },
] as const;

function isInside(path: string, folder: string): boolean {
	return path === folder || path.startsWith(folder === '/' ? '/' : `${folder}/`);
}

/**
 * Lists the watched folder and applies the selection rules (Filter, Exclude, age, size, Done File). Left out before
 * the rules: a safe upload's temporary file (still being written, or left by a killed upload; only a Filter that asks
 * for hidden names sees it), and the Claim and Failed folders with what they hold, which are the trigger's own doing,
 * not new files, when they lie inside the watched folder.
 */
export async function listWatchedEntries(use: UseSession, watch: Watch): Promise<WatchedEntries> {
	const ownFolders = await use(async (session) =>
		PICKUP_FOLDERS.filter(
			({ name }) => typeof watch.options[name] === 'string' && watch.options[name] !== '',
		).map(({ name, label }) => session.resolve(watch.options[name], label)),
	);
	const hiddenNamesAsked = watch.filter.trim().startsWith('.');
	const { listed, selected } = await walkSelected(
		use,
		watch.path,
		'Folder',
		{ ...selectionRulesOf(watch.options), filter: watch.filter },
		{
			recursive: watch.recursive,
			include: watch.event === 'folderCreated' ? 'both' : 'files',
			retries: DEFAULTS.retries,
			limits: walkLimitsOf(watch.options),
		},
		(entry) =>
			ownFolders.some((folder) => isInside(entry.path, folder)) ||
			(entry.type !== 'directory' && !hiddenNamesAsked && isTemporaryName(entry.name)),
	);
	return {
		files: selected.filter((entry) => entry.type === 'file'),
		folders: selected.filter((entry) => entry.type === 'directory'),
		listedFiles: new Set(
			listed.filter((entry) => entry.type === 'file').map((entry) => entry.path),
		),
	};
}
