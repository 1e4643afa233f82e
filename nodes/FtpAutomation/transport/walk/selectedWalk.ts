import type { ListEntry } from '../listing';
import {
	checkSelectionRules,
	hasSelectionRules,
	selectEntries,
	timesNeeded,
	type SelectionRules,
} from '../selection';
import { walkFolders, type ListOptions, type UseSession } from './folderWalk';

export interface SelectedWalk {
	/** Everything the walk listed (less what `leaveOut` removed), selected or not. */
	listed: ListEntry[];
	/** What the selection rules select from it, in listing order. */
	selected: ListEntry[];
}

/**
 * Walks `path` and applies the selection rules, for List and the trigger alike. With Filter alone the walk filters
 * as it goes (List then sends exactly what it sent before the rules existed). With a Done File rule the walk runs
 * without Filter, because a marker must be seen even where Filter hides it, and Filter is applied afterwards. Only
 * files the rules can select are asked for an exact time (one MDTM each on servers whose listing has none).
 * `leaveOut` removes entries before the rules see them (the trigger's own claim and failed folders).
 */
export async function walkSelected(
	use: UseSession,
	path: unknown,
	pathLabel: string,
	rules: SelectionRules,
	walk: Omit<ListOptions, 'filter' | 'timesFor'>,
	leaveOut?: (entry: ListEntry) => boolean,
): Promise<SelectedWalk> {
	checkSelectionRules(rules);
	const selecting = hasSelectionRules(rules);
	const markersNeeded = (rules.doneFile ?? '').trim() !== '';
	const walked = await walkFolders(use, path, {
		...walk,
		filter: markersNeeded ? undefined : rules.filter,
		timesFor: selecting ? timesNeeded(rules) : undefined,
	});
	const listed = leaveOut ? walked.filter((entry) => !leaveOut(entry)) : walked;
	if (!selecting) return { listed, selected: listed };
	const listedFolder = await use(async (session) => session.resolve(path, pathLabel));
	return { listed, selected: selectEntries(listed, listedFolder, rules, Date.now()) };
}
