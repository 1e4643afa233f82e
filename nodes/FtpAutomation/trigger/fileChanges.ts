import type { ListEntry } from '../transport';

export type FileEvent = 'fileCreated' | 'fileUpdated';
export type WatchedEvent = FileEvent | 'fileCreatedOrUpdated';

/**
 * What the trigger remembers about one watched folder between polls (in the workflow's static data, so that it
 * survives restarts and works on any worker). One short entry per matching file that is on the server now: entries of
 * files that disappear are dropped, so the state never outgrows the folder.
 */
export interface WatchState {
	/** The version of each file that was emitted, or found already there on activation: path → version. */
	seen: Record<string, string>;
	/** Versions waiting to stay unchanged for Stable For: path → the version and when it was first seen so. */
	settling: Record<string, { version: string; since: number }>;
}

export interface ChangeRules {
	event: WatchedEvent;
	/** A new version is emitted only once it has stayed the same (size and time) for this long; 0: at once. */
	stableForMs: number;
	/** At most this many files per poll, oldest first; the rest stay due for later polls. */
	maxFiles: number;
	now: number;
}

export interface DueFile {
	entry: ListEntry;
	event: FileEvent;
}

/** A file's version: a new size or modification time is a new version. */
export function versionOf(entry: ListEntry): string {
	return `${entry.size}@${entry.modifiedAt ?? ''}`;
}

/** The state after activation: everything there now counts as seen, so that only later changes are emitted. */
export function stateOfExisting(files: ListEntry[]): WatchState {
	return {
		seen: Object.fromEntries(files.map((file) => [file.path, versionOf(file)])),
		settling: {},
	};
}

function watches(event: WatchedEvent, happened: FileEvent): boolean {
	return event === 'fileCreatedOrUpdated' || event === happened;
}

/** Oldest first (files without a time last), then by path, so that a capped poll takes the files that waited longest. */
function oldestFirst(a: DueFile, b: DueFile): number {
	const timeA = a.entry.modifiedAt ?? '\uffff';
	const timeB = b.entry.modifiedAt ?? '\uffff';
	return timeA < timeB ? -1 : timeA > timeB ? 1 : a.entry.path.localeCompare(b.entry.path);
}

/**
 * Decides which of the listed `files` to emit now, and the state to keep if they are emitted. A file is due when its
 * version differs from the one seen (created: never seen; updated: seen with another version), the event is watched,
 * and it has stayed unchanged for Stable For. Versions of unwatched events are recorded as seen without emitting them.
 * `accept` records what was actually emitted (it may be fewer than `due`, e.g. when a download failed).
 */
export function changesToEmit(
	files: ListEntry[],
	state: WatchState,
	rules: ChangeRules,
): { due: DueFile[]; accept: (emitted: DueFile[]) => WatchState } {
	const present = new Set(files.map((file) => file.path));
	const seen: Record<string, string> = {};
	for (const [path, version] of Object.entries(state.seen))
		if (present.has(path)) seen[path] = version;
	const settling: WatchState['settling'] = {};
	const candidates: DueFile[] = [];

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
		candidates.push({ entry: file, event });
	}

	const due = candidates.sort(oldestFirst).slice(0, Math.max(1, rules.maxFiles));
	return {
		due,
		accept: (emitted) => {
			const next: WatchState = { seen: { ...seen }, settling: { ...settling } };
			for (const { entry } of emitted) {
				next.seen[entry.path] = versionOf(entry);
				delete next.settling[entry.path];
			}
			return next;
		},
	};
}
