import type { FileEntryWithStats } from 'ssh2';

import type { FolderListing, RemoteEntry, RemoteEntryType } from '../contract';
import { isPlainName, quoteForLog } from '../entryNames';
import { RemoteFailure } from '../failures';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** Links whose target is asked (one request each); beyond that a link is listed without its target. */
const MAX_LINK_TARGETS = 200;

function typeOf(mode: number | undefined): RemoteEntryType {
	const kind = (mode ?? 0) & S_IFMT;
	if (kind === S_IFDIR) return 'directory';
	if (kind === S_IFLNK) return 'symbolicLink';
	return 'file';
}

function permissionsOf(mode: number | undefined): string | null {
	if (typeof mode !== 'number') return null;
	const bits = 'rwxrwxrwx';
	let text = '';
	for (let index = 0; index < 9; index++) text += mode & (1 << (8 - index)) ? bits[index] : '-';
	return text;
}

/**
 * Owner and group names as the server's `ls -l`-style long name shows them (SFTP version 3 carries only numbers in
 * the attributes); the numbers when the long name does not fit that form.
 */
function ownerAndGroup(entry: FileEntryWithStats): { owner: string | null; group: string | null } {
	const columns = typeof entry.longname === 'string' ? entry.longname.trim().split(/\s+/) : [];
	const plain = (value: string | undefined) =>
		value !== undefined && /^[\w.@-]{1,64}$/.test(value) ? value : undefined;
	const owner = /^[-dlbcps]/.test(columns[0] ?? '') ? plain(columns[2]) : undefined;
	const group = owner === undefined ? undefined : plain(columns[3]);
	const number = (value: unknown) =>
		typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
	return {
		owner: owner ?? number(entry.attrs.uid),
		group: group ?? number(entry.attrs.gid),
	};
}

function timeOf(seconds: unknown): string | null {
	return typeof seconds === 'number' && seconds > 0 && seconds < 2 ** 35
		? new Date(seconds * 1000).toISOString()
		: null;
}

function sizeOf(size: unknown): number | null {
	return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : null;
}

/**
 * The entries of one folder's READDIR answers, after taking out what a broken or hostile server could use to make
 * the node act elsewhere (names that are paths, `.`/`..`, control characters: logged, not listed) and bounding
 * what it may send (more than `maxEntries` entries is an explained error).
 */
export async function toFolderListing(
	raw: FileEntryWithStats[],
	folder: string,
	maxEntries: number,
	help: { note: (line: string) => void; readLink: (path: string) => Promise<string | undefined> },
): Promise<FolderListing> {
	const named = raw.filter((entry) => entry.filename !== '.' && entry.filename !== '..');
	if (named.length > maxEntries) {
		throw new RemoteFailure(
			'command',
			`The folder "${folder}" holds more than ${maxEntries} entries`,
			'Raise the limit of entries per folder if the folder really is that large (every entry takes memory in n8n), or list a smaller folder. A server that sends an endless listing is broken.',
			{ fixInNode: 'tooManyEntries' },
		);
	}
	const skipped: string[] = [];
	const entries: RemoteEntry[] = [];
	let linksAsked = 0;
	for (const item of named) {
		const name = typeof item.filename === 'string' ? item.filename : '';
		if (!isPlainName(name)) {
			skipped.push(quoteForLog(name));
			continue;
		}
		const attrs = item.attrs ?? {};
		const type = typeOf(attrs.mode);
		const time = timeOf(attrs.mtime);
		const entry: RemoteEntry = {
			name,
			type,
			size: type === 'file' ? sizeOf(attrs.size) : null,
			modifiedAt: time,
			listedTime: time ?? '',
			permissions: permissionsOf(attrs.mode),
			...ownerAndGroup(item),
		};
		if (type === 'symbolicLink' && linksAsked < MAX_LINK_TARGETS) {
			linksAsked++;
			const target = await help.readLink(`${folder === '/' ? '' : folder}/${name}`);
			if (target !== undefined && !/[\0\r\n]/.test(target)) entry.target = target;
		}
		entries.push(entry);
	}
	if (skipped.length > 0) {
		help.note(
			`Left out ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} of "${folder}" whose name is not a plain name in it (a path, . or .., or control characters): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}`,
		);
	}
	// READDIR answers in the server's directory order (hash order on most file systems): sorted, a listing is the
	// same from one run to the next, as most FTP servers' listings are.
	entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return { entries };
}
