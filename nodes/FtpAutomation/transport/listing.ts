import { minimatch } from 'minimatch';

import type { RemoteEntry, RemoteEntryType } from './contract';
import { joinPath } from './paths';

export type EntryType = RemoteEntryType;
export type IncludeEntries = 'files' | 'folders' | 'both';

/** One row of a listing as the node outputs it. */
export interface ListEntry {
	name: string;
	path: string;
	type: EntryType;
	/** Null when the server sent a size that makes no sense (negative, not a number, beyond 2^53). */
	size: number | null;
	modifiedAt: string | null;
	permissions: string | null;
	owner: string | null;
	group: string | null;
	target?: string;
	/** The marker that released this file, when a Done File rule selected it (see selection.ts). */
	doneFile?: string;
}

/** A listed entry as the node outputs it. */
export function toListEntry(remote: RemoteEntry, directory: string): ListEntry {
	const entry: ListEntry = {
		name: remote.name,
		path: joinPath(directory, remote.name),
		type: remote.type,
		size: remote.size,
		modifiedAt: remote.modifiedAt,
		permissions: remote.permissions,
		owner: remote.owner,
		group: remote.group,
	};
	if (remote.target !== undefined) entry.target = remote.target;
	return entry;
}

/** What a folder's listing says about it: equal fingerprints mean the same contents, to the second. */
export function listingFingerprint(entries: RemoteEntry[]): string {
	return entries
		.map((entry) => `${entry.type}\t${entry.name}\t${entry.size}\t${entry.listedTime}`)
		.sort()
		.join('\n');
}

export function includes(include: IncludeEntries, type: EntryType): boolean {
	if (include === 'both') return true;
	if (include === 'folders') return type === 'directory';
	return type !== 'directory';
}

/**
 * A glob tested against the path relative to the listed folder. A pattern without a slash matches the
 * name at any depth (like `find -name`), so `*.csv` finds CSV files in subfolders of a recursive listing.
 */
export function globFilter(pattern: string | undefined): (relativePath: string) => boolean {
	const glob = (pattern ?? '').trim();
	if (glob === '') return () => true;
	const matchBase = !glob.includes('/');
	return (relativePath) =>
		minimatch(relativePath, glob, { matchBase, dot: false, nocomment: true });
}
