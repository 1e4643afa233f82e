import { FileType, type FileInfo, type UnixPermissions } from 'basic-ftp';
import { minimatch } from 'minimatch';

import { joinPath } from './paths';

export type EntryType = 'file' | 'directory' | 'symbolicLink';
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
}

function entryType(info: FileInfo): EntryType {
	if (info.type === FileType.Directory) return 'directory';
	if (info.type === FileType.SymbolicLink) return 'symbolicLink';
	return 'file';
}

function rwx(bits: number): string {
	return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
}

export function formatPermissions(permissions: UnixPermissions | undefined): string | null {
	if (!permissions) return null;
	return rwx(permissions.user) + rwx(permissions.group) + rwx(permissions.world);
}

function validDate(date: Date | undefined): string | null {
	return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/** Converts basic-ftp's FileInfo; `modifiedAt` is only what the server stated exactly (MLSD), never a guess from LIST. */
export function toListEntry(info: FileInfo, directory: string): ListEntry {
	const entry: ListEntry = {
		name: info.name,
		path: joinPath(directory, info.name),
		type: entryType(info),
		size: Number.isSafeInteger(info.size) && info.size >= 0 ? info.size : null,
		modifiedAt: validDate(info.modifiedAt),
		permissions: formatPermissions(info.permissions),
		owner: info.user || null,
		group: info.group || null,
	};
	if (entry.type === 'symbolicLink' && info.link) entry.target = info.link;
	return entry;
}

/** What a folder's listing says about it: equal fingerprints mean the same contents, to the second. */
export function listingFingerprint(infos: FileInfo[]): string {
	return infos
		.map((info) => `${info.type}\t${info.name}\t${info.size}\t${info.rawModifiedAt}`)
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
