import type { ListEntry } from '../transport';

export type FileEvent = 'fileCreated' | 'fileUpdated';
/** What one emitted item says happened. */
export type ChangeEvent = FileEvent | 'fileDeleted' | 'folderCreated';
export type WatchedEvent = FileEvent | 'fileCreatedOrUpdated' | 'fileDeleted' | 'folderCreated';

/**
 * What the trigger remembers about one watched folder between polls (in the workflow's static data, so that it
 * survives restarts and works on any worker). One short entry per matching file that is on the server now: entries of
 * files that disappear are dropped (once their deletion is emitted, when Deleted File is watched), so the state never
 * outgrows the folder. State saved by earlier versions has only `seen` and `settling`.
 */
export interface WatchState {
	/** The version of each file that was emitted, or found already there on activation: path → version. */
	seen: Record<string, string>;
	/** Versions waiting to stay unchanged for Stable For: path → the version and when it was first seen so. */
	settling: Record<string, { version: string; since: number }>;
	/** Only while Deleted File is watched: the List fields of each seen file, for the item that reports its deletion. */
	lastKnown?: Record<string, ListEntry>;
	/**
	 * Only while New Folder is watched: the folders there. Absent (a state from before, or from another event) means
	 * "not known yet": the next poll records the folders without emitting them.
	 */
	folders?: string[];
}

export interface ChangeRules {
	event: WatchedEvent;
	/** A new version is emitted only once it has stayed the same (size and time) for this long; 0: at once. */
	stableForMs: number;
	/** At most this many changes per poll, oldest first; the rest stay due for later polls. */
	maxFiles: number;
	now: number;
}

/** What a poll listed besides the selected files. */
export interface ListedBesides {
	/** The selected folders (for New Folder). */
	folders?: ListEntry[];
	/**
	 * Every file path listed, selected or not (a file that no longer passes Min Age or a Done File rule is still
	 * there, not deleted). Default: the selected files.
	 */
	listedFiles?: ReadonlySet<string>;
}

export interface DueFile {
	entry: ListEntry;
	event: ChangeEvent;
}

/** A file's version: a new size or modification time is a new version. */
export function versionOf(entry: ListEntry): string {
	return `${entry.size}@${entry.modifiedAt ?? ''}`;
}

/**
 * The state after activation: everything there now counts as seen, so that only later changes are emitted. With
 * `watched`, also what its event keeps: the folders (New Folder) or the files' List fields (Deleted File).
 */
export function stateOfExisting(
	files: ListEntry[],
	watched?: { event: WatchedEvent; folders: ListEntry[] },
): WatchState {
	const state: WatchState = {
		seen: Object.fromEntries(files.map((file) => [file.path, versionOf(file)])),
		settling: {},
	};
	if (watched?.event === 'folderCreated')
		state.folders = watched.folders.map((folder) => folder.path).sort();
	if (watched?.event === 'fileDeleted')
		state.lastKnown = Object.fromEntries(files.map((file) => [file.path, file]));
	return state;
}

/** The List fields a state from before Deleted File was watched still knows of a file: its path and version. */
function entryOfVersion(path: string, version: string): ListEntry {
	const at = version.indexOf('@');
	const size = Number(version.slice(0, at));
	const modifiedAt = version.slice(at + 1);
	return {
		name: path.slice(path.lastIndexOf('/') + 1),
		path,
		type: 'file',
		size: at > 0 && Number.isSafeInteger(size) ? size : null,
		modifiedAt: modifiedAt === '' ? null : modifiedAt,
		permissions: null,
		owner: null,
		group: null,
	};
}

function watches(event: WatchedEvent, happened: FileEvent): boolean {
	return event === 'fileCreatedOrUpdated' || event === happened;
}

/** Oldest first (entries without a time last), then by path, so that a capped poll takes what waited longest. */
function oldestFirst(a: DueFile, b: DueFile): number {
	const timeA = a.entry.modifiedAt ?? '\uffff';
	const timeB = b.entry.modifiedAt ?? '\uffff';
	return timeA < timeB ? -1 : timeA > timeB ? 1 : a.entry.path.localeCompare(b.entry.path);
}

/** New or changed versions of the listed files; versions of unwatched events go straight into `seen`. */
function fileChanges(
	files: ListEntry[],
	state: WatchState,
	rules: ChangeRules,
	seen: Record<string, string>,
	settling: WatchState['settling'],
): DueFile[] {
	const changes: DueFile[] = [];
	for (const file of files) {
		const version = versionOf(file);
		const before = state.seen[file.path];
		if (before === version) continue;
		const event: FileEvent = before === undefined ? 'fileCreated' : 'fileUpdated';
		if (!watches(rules.event, event)) {
			seen[file.path] = version;
			continue;
		}
		if (rules.stableForMs > 0) {
			const waiting = state.settling[file.path];
			if (waiting?.version !== version) {
				settling[file.path] = { version, since: rules.now };
				continue;
			}
			settling[file.path] = waiting;
			if (rules.now - waiting.since < rules.stableForMs) continue;
		}
		changes.push({ entry: file, event });
	}
	return changes;
}

/**
 * Decides which of the listed `files` (and `besides.folders`) to emit now, and the state to keep if they are emitted.
 * A file is due when its version differs from the one seen (created: never seen; updated: seen with another
 * version), the event is watched, and it has stayed unchanged for Stable For; a deleted file when it was seen and is
 * no longer listed; a new folder when the folders were known and it was not among them. Versions of unwatched events
 * are recorded as seen without emitting them. `accept` records what was actually emitted (it may be fewer than
 * `due`, e.g. when a download failed).
 */
export function changesToEmit(
	files: ListEntry[],
	state: WatchState,
	rules: ChangeRules,
	besides: ListedBesides = {},
): { due: DueFile[]; accept: (emitted: DueFile[]) => WatchState } {
	const listed = besides.listedFiles ?? new Set(files.map((file) => file.path));
	const watchingDeletions = rules.event === 'fileDeleted';
	const seen: Record<string, string> = {};
	const deleted: DueFile[] = [];
	for (const [path, version] of Object.entries(state.seen)) {
		if (listed.has(path)) seen[path] = version;
		else if (watchingDeletions) {
			// Kept until its deletion is emitted (a capped or failed poll must not lose it).
			seen[path] = version;
			const entry = state.lastKnown?.[path] ?? entryOfVersion(path, version);
			deleted.push({ entry, event: 'fileDeleted' });
		}
	}
	const settling: WatchState['settling'] = {};
	const candidates = [...fileChanges(files, state, rules, seen, settling), ...deleted];

	const folderPaths = (besides.folders ?? []).map((folder) => folder.path);
	const watchingFolders = rules.event === 'folderCreated';
	const knownFolders = new Set(state.folders ?? []);
	if (watchingFolders && state.folders !== undefined) {
		for (const folder of besides.folders ?? [])
			if (!knownFolders.has(folder.path))
				candidates.push({ entry: folder, event: 'folderCreated' });
	}

	const due = candidates.sort(oldestFirst).slice(0, Math.max(1, rules.maxFiles));
	return {
		due,
		accept: (emitted) => {
			const next: WatchState = { seen: { ...seen }, settling: { ...settling } };
			const newFolders = new Set<string>();
			for (const { entry, event } of emitted) {
				if (event === 'folderCreated') newFolders.add(entry.path);
				else if (event === 'fileDeleted') delete next.seen[entry.path];
				else {
					next.seen[entry.path] = versionOf(entry);
					delete next.settling[entry.path];
				}
			}
			if (watchingDeletions) next.lastKnown = lastKnownOf(next.seen, files, state.lastKnown);
			if (watchingFolders) {
				next.folders =
					state.folders === undefined
						? [...folderPaths].sort()
						: folderPaths.filter((path) => knownFolders.has(path) || newFolders.has(path)).sort();
			}
			return next;
		},
	};
}

/** The newest List fields of each seen file: from this listing if it selected the file, else as last known. */
function lastKnownOf(
	seen: Record<string, string>,
	files: ListEntry[],
	before: Record<string, ListEntry> = {},
): Record<string, ListEntry> {
	const listed = new Map(files.map((file) => [file.path, file]));
	const known: Record<string, ListEntry> = {};
	for (const path of Object.keys(seen)) {
		const entry = listed.get(path) ?? before[path];
		if (entry !== undefined) known[path] = entry;
	}
	return known;
}
