import { FileType, parseList, type FileInfo, type UnixPermissions } from 'basic-ftp';

import type { RemoteEntry } from '../contract';
import { hasControlCharacter, isPlainName, quoteForLog } from '../entryNames';
import { RemoteFailure } from '../failures';

/** What a folder listing says once everything a server must not be trusted with has been taken out. */
export interface ParsedListing {
	/** Entries whose names are a plain name in this folder (never `.`, `..`, a path, or control characters). */
	entries: FileInfo[];
	/** The folder's own MLSD `unique` fact (its `type=cdir` line), when the server sends one. */
	folderUniqueId?: string;
	/** The MLSD `unique` fact of the folder's real parent (its `type=pdir` line): through a link, not the parent it was listed under. */
	parentUniqueId?: string;
	/** Lines or names left out, quoted for the log. */
	skipped: string[];
	/** Facts that make no sense (`modify=garbage`, a negative size), quoted for the log; that field is null. */
	badFacts: string[];
}

const MLSD_FACTS = /^([^\s=;]+=[^;\s]*;)+/;
const MLSX_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,9})?$/;
const SIZE_FACTS = new Set(['size', 'sizd']);
const TIME_FACTS = new Set(['modify', 'create']);

/** RFC 3659 times: YYYYMMDDHHMMSS[.sss], every part in range (basic-ftp throws on an invalid date). */
function isValidTime(value: string): boolean {
	const parts = MLSX_TIME.exec(value);
	if (!parts) return false;
	const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number);
	const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
	return (
		!Number.isNaN(date.getTime()) &&
		date.getUTCFullYear() === year &&
		date.getUTCMonth() === month - 1 &&
		date.getUTCDate() === day &&
		hour < 24 &&
		minute < 60 &&
		second < 61
	);
}

function isValidSize(value: string): boolean {
	return /^\d{1,16}$/.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER;
}

interface CheckedLine {
	line: string;
	badFacts: string[];
	/** Set when a size fact was dropped: the entry's size is then unknown, not 0. */
	sizeUnknown: boolean;
	cdirUniqueId?: string;
	pdirUniqueId?: string;
	name?: string;
}

/**
 * Drops MLSD facts that make no sense, so that one bad fact costs one field and not the whole listing (basic-ftp
 * throws a RangeError for `modify=garbage`, and takes a negative size as it is).
 */
function checkMlsdFacts(line: string): CheckedLine {
	const facts = MLSD_FACTS.exec(line)?.[0];
	if (facts === undefined) return { line, badFacts: [], sizeUnknown: false };
	const name = line.slice(facts.length).replace(/^ /, '');
	const kept: string[] = [];
	const badFacts: string[] = [];
	let sizeUnknown = false;
	let type = '';
	let uniqueId: string | undefined;
	for (const fact of facts.split(';').filter((part) => part !== '')) {
		const [key, value] = [
			fact.slice(0, fact.indexOf('=')).toLowerCase(),
			fact.slice(fact.indexOf('=') + 1),
		];
		const bad =
			(SIZE_FACTS.has(key) && !isValidSize(value)) ||
			(TIME_FACTS.has(key) && !isValidTime(value)) ||
			(key === 'unix.mode' && !/^0?[0-7]{3,4}$/.test(value));
		if (bad) {
			badFacts.push(`${quoteForLog(name, 80)}: ${quoteForLog(fact, 60)}`);
			if (SIZE_FACTS.has(key)) sizeUnknown = true;
			continue;
		}
		if (key === 'type') type = value.toLowerCase();
		if (key === 'unique') uniqueId = value;
		kept.push(fact);
	}
	const cdirUniqueId = type === 'cdir' ? uniqueId : undefined;
	const pdirUniqueId = type === 'pdir' ? uniqueId : undefined;
	if (badFacts.length === 0) return { line, badFacts, sizeUnknown, cdirUniqueId, pdirUniqueId };
	// With no facts left, RFC 3659's form for "no facts" (a leading space) keeps the line an MLSD line.
	const rewritten = kept.length > 0 ? `${kept.join(';')}; ${name}` : ` ${name}`;
	return { line: rewritten, badFacts, sizeUnknown, cdirUniqueId, pdirUniqueId, name };
}

/** Lines of a listing as basic-ftp splits them (CRLF or LF), without blank ones and `total N`. */
function listingLines(raw: string): string[] {
	return raw
		.split('\n')
		.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
		.filter((line) => line.trim() !== '' && !line.startsWith('total'));
}

/**
 * Parses a LIST or MLSD text with basic-ftp, after taking out what a broken or hostile server could use to make
 * the node act elsewhere or fail: more entries than `maxEntries` (an explained error), lines with control
 * characters (a CR inside a name would cut it into another name), names that are paths (`../../etc/passwd`,
 * `a/b.txt`) or `.`/`..`, and MLSD facts that make no sense.
 */
export function parseListing(raw: string, directory: string, maxEntries: number): ParsedListing {
	const lines = listingLines(raw);
	if (lines.length > maxEntries) {
		throw new RemoteFailure(
			'command',
			`The folder "${directory}" holds more than ${maxEntries} entries (the server listed ${lines.length})`,
			'Raise the limit of entries per folder if the folder really is that large (every entry takes memory in n8n), or list a smaller folder. A server that sends an endless listing is broken.',
			{ fixInNode: 'tooManyEntries' },
		);
	}
	const skipped: string[] = [];
	const badFacts: string[] = [];
	const unknownSizeNames = new Set<string>();
	let folderUniqueId: string | undefined;
	let parentUniqueId: string | undefined;
	const kept: string[] = [];
	for (const line of lines) {
		if (hasControlCharacter(line)) {
			skipped.push(quoteForLog(line));
			continue;
		}
		const checked = checkMlsdFacts(line);
		badFacts.push(...checked.badFacts);
		folderUniqueId ??= checked.cdirUniqueId;
		parentUniqueId ??= checked.pdirUniqueId;
		if (checked.sizeUnknown && checked.name !== undefined) unknownSizeNames.add(checked.name);
		kept.push(checked.line);
	}
	const entries: FileInfo[] = [];
	for (const info of kept.length > 0 ? parseList(kept.join('\n')) : []) {
		if (!isPlainName(info.name)) {
			// basic-ftp already leaves out `.` and `..`; only what could name another place is worth a log line.
			if (info.name !== '.' && info.name !== '..') skipped.push(quoteForLog(info.name));
			continue;
		}
		if (unknownSizeNames.has(info.name)) info.size = Number.NaN;
		entries.push(info);
	}
	return { entries, folderUniqueId, parentUniqueId, skipped, badFacts };
}

function rwx(bits: number): string {
	return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
}

function formatPermissions(permissions: UnixPermissions | undefined): string | null {
	if (!permissions) return null;
	return rwx(permissions.user) + rwx(permissions.group) + rwx(permissions.world);
}

function validDate(date: Date | undefined): string | null {
	return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/** basic-ftp's FileInfo as the engine sees entries; `modifiedAt` only what the server stated exactly (MLSD). */
export function toRemoteEntry(info: FileInfo): RemoteEntry {
	const type =
		info.type === FileType.Directory
			? 'directory'
			: info.type === FileType.SymbolicLink
				? 'symbolicLink'
				: 'file';
	const entry: RemoteEntry = {
		name: info.name,
		type,
		size: Number.isSafeInteger(info.size) && info.size >= 0 ? info.size : null,
		modifiedAt: validDate(info.modifiedAt),
		listedTime: info.rawModifiedAt,
		permissions: formatPermissions(info.permissions),
		owner: info.user || null,
		group: info.group || null,
	};
	if (type === 'symbolicLink' && info.link) entry.target = info.link;
	if (info.uniqueID) entry.uniqueId = info.uniqueID;
	return entry;
}
