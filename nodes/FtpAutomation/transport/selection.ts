import { RemoteFailure } from './failures';
import { globFilter, type ListEntry } from './listing';
import { joinPath, parentOf } from './paths';

/**
 * Which listed entries List outputs and the trigger considers: the rules of the Filter, Exclude, age, size and Done
 * File options, written once for both nodes and every protocol. Pure: it decides on a walk's output alone.
 */
export interface SelectionRules {
	filter?: string;
	exclude?: string;
	/** Seconds since the modification time, by n8n's clock. */
	minAge?: number;
	maxAge?: number;
	/** Bytes. */
	minSize?: number;
	maxSize?: number;
	/** The marker's name beside the file: `{name}` is the file's name, `{base}` the name without its last extension. */
	doneFile?: string;
	/** Whether markers are left out of the output (the default). */
	hideDoneFiles?: boolean;
}

const NAME = '{name}';
const BASE = '{base}';
const PLACEHOLDER = /\{name\}|\{base\}/g;

/** Whether a rule of this number option is in force: the option was added and holds a number. */
function given(value: number | undefined): value is number {
	return typeof value === 'number' && !Number.isNaN(value);
}

/**
 * Exclude's globs, one per comma or line. A comma inside braces belongs to its glob (`*.{tmp,part}` is one glob), so
 * the split happens only outside braces.
 */
export function splitGlobs(globs: string | undefined): string[] {
	const parts: string[] = [];
	let depth = 0;
	let current = '';
	for (const character of globs ?? '') {
		if (character === '{') depth += 1;
		if (character === '}' && depth > 0) depth -= 1;
		if ((character === ',' && depth === 0) || character === '\n' || character === '\r') {
			parts.push(current);
			current = '';
			continue;
		}
		current += character;
	}
	parts.push(current);
	return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** A test against the path relative to the listed folder: true when any of Exclude's globs matches it. */
export function excludeFilter(globs: string | undefined): (relativePath: string) => boolean {
	const tests = splitGlobs(globs).map((glob) => globFilter(glob));
	return (relativePath) => tests.some((matches) => matches(relativePath));
}

/** A marker pattern without `{name}` or `{base}` (e.g. `_SUCCESS`): one marker releases its whole folder. */
export function isFolderMarker(doneFilePattern: string): boolean {
	return !doneFilePattern.includes(NAME) && !doneFilePattern.includes(BASE);
}

/** The name without its last extension: `x.tar.gz` → `x.tar`; a name without one (or a dot file) stays whole. */
export function baseOf(name: string): string {
	const dot = name.lastIndexOf('.');
	return dot > 0 ? name.slice(0, dot) : name;
}

/** The name of the marker that releases a file called `name`. */
export function markerNameOf(doneFilePattern: string, name: string): string {
	return doneFilePattern.replace(PLACEHOLDER, (placeholder) =>
		placeholder === NAME ? name : baseOf(name),
	);
}

/**
 * Whether `name` has the shape of a marker the pattern can name, whether or not its file exists: the pattern's fixed
 * text in order, each placeholder standing for at least one character. Matched left to right without a regular
 * expression, in time linear in the name whatever the user's pattern (`.+` repeated would backtrack).
 */
export function hasMarkerShape(doneFilePattern: string, name: string): boolean {
	const parts = doneFilePattern.split(PLACEHOLDER);
	if (parts.length === 1) return name === doneFilePattern;
	const first = parts[0];
	const last = parts[parts.length - 1];
	if (!name.startsWith(first) || !name.endsWith(last)) return false;
	let position = first.length;
	for (const middle of parts.slice(1, -1)) {
		const found = name.indexOf(middle, position + 1);
		if (found < 0) return false;
		position = found + middle.length;
	}
	return name.length - last.length >= position + 1;
}

/** Refuses a pattern that names no marker of its own: every file would be its own marker, or it would be elsewhere. */
function checkDoneFilePattern(pattern: string): void {
	if (pattern.includes('/')) {
		throw new RemoteFailure(
			'input',
			`The marker name "${pattern}" contains a slash; a marker must be a name in the same folder as its file`,
			'Give a name such as {name}.done, {base}.ok or _SUCCESS.',
		);
	}
	if (pattern.replace(PLACEHOLDER, '').trim() === '') {
		throw new RemoteFailure(
			'input',
			`The marker name "${pattern}" names the file itself, so every file would be its own marker`,
			'Add fixed text to the name, e.g. {name}.done or {base}.ok.',
		);
	}
}

function checkRange(
	low: number | undefined,
	high: number | undefined,
	what: 'age' | 'size',
	unit: string,
): void {
	if (given(low) && given(high) && low > high) {
		throw new RemoteFailure(
			'input',
			`The minimum ${what} (${low} ${unit}) is larger than the maximum ${what} (${high} ${unit}), so nothing could be selected`,
			`Lower the minimum ${what} or raise the maximum ${what}.`,
		);
	}
}

/** Whether any selection rule beyond Filter is in use (a walk's own filter is the whole selection otherwise). */
export function hasSelectionRules(rules: SelectionRules): boolean {
	return (
		(rules.exclude ?? '').trim() !== '' ||
		rules.minAge !== undefined ||
		rules.maxAge !== undefined ||
		rules.minSize !== undefined ||
		rules.maxSize !== undefined ||
		(rules.doneFile ?? '').trim() !== ''
	);
}

/** Refuses rules that could select nothing or name no marker, before anything is listed. */
export function checkSelectionRules(rules: SelectionRules): void {
	checkRange(rules.minAge, rules.maxAge, 'age', 's');
	checkRange(rules.minSize, rules.maxSize, 'size', 'bytes');
	const pattern = rules.doneFile?.trim() ?? '';
	if (pattern !== '') checkDoneFilePattern(pattern);
}

/**
 * Which files' modification times the selection can use, by path relative to the listed folder: those Filter and
 * Exclude let through, except markers that are hidden. Servers without exact times in their listing (vsftpd) are
 * asked one MDTM per file; a walk made without its filter asks it only for these.
 */
export function timesNeeded(rules: SelectionRules): (relativePath: string) => boolean {
	const filtered = globFilter(rules.filter);
	const excluded = excludeFilter(rules.exclude);
	const pattern = rules.doneFile?.trim() ?? '';
	const hiddenMarker = (name: string) =>
		pattern !== '' && rules.hideDoneFiles !== false && hasMarkerShape(pattern, name);
	return (relativePath) =>
		filtered(relativePath) &&
		!excluded(relativePath) &&
		!hiddenMarker(relativePath.slice(relativePath.lastIndexOf('/') + 1));
}

/** The entry's path relative to the listed folder, as Filter and Exclude see it. */
function relativeTo(listedFolder: string, path: string): string {
	const prefix = listedFolder.endsWith('/') ? listedFolder : `${listedFolder}/`;
	return path.startsWith(prefix) ? path.slice(prefix.length) : path.replace(/^\/+/, '');
}

/** Seconds since the entry's modification time; undefined when the server did not say (or said nonsense). */
function ageOf(entry: ListEntry, now: number): number | undefined {
	if (entry.modifiedAt === null) return undefined;
	const time = Date.parse(entry.modifiedAt);
	return Number.isNaN(time) ? undefined : (now - time) / 1000;
}

/** Folders have no marker and no size that means anything: size and Done File rules are for files (and links). */
function isFile(entry: ListEntry): boolean {
	return entry.type !== 'directory';
}

/**
 * The entries the rules select, in the order given. `entries` is a walk's output made WITHOUT the walk's own filter:
 * markers must be seen even where Filter hides them. Selected files get `doneFile`, their marker's absolute path, when
 * a Done File rule is active. `now` is n8n's clock in milliseconds.
 */
export function selectEntries(
	entries: ListEntry[],
	listedFolder: string,
	rules: SelectionRules,
	now: number,
): ListEntry[] {
	checkSelectionRules(rules);
	const pattern = rules.doneFile?.trim() ?? '';
	const filtered = globFilter(rules.filter);
	const excluded = excludeFilter(rules.exclude);
	const isMarker = pattern === '' ? undefined : (name: string) => hasMarkerShape(pattern, name);
	const present = new Set(entries.filter(isFile).map((entry) => entry.path));
	const hideMarkers = rules.hideDoneFiles !== false;

	const selected: ListEntry[] = [];
	for (const entry of entries) {
		const relativePath = relativeTo(listedFolder, entry.path);
		if (!filtered(relativePath) || excluded(relativePath)) continue;
		if (isMarker !== undefined && isFile(entry) && isMarker(entry.name)) {
			// A marker is shown as it is (when not hidden): no rule about data files applies to it.
			if (!hideMarkers) selected.push(entry);
			continue;
		}
		const age = ageOf(entry, now);
		if (given(rules.minAge) && (age === undefined || age < rules.minAge)) continue;
		if (given(rules.maxAge) && (age === undefined || age > rules.maxAge)) continue;
		if (isFile(entry)) {
			const size = entry.size;
			if (given(rules.minSize) && (size === null || size < rules.minSize)) continue;
			if (given(rules.maxSize) && (size === null || size > rules.maxSize)) continue;
		}
		if (isMarker !== undefined && isFile(entry)) {
			const marker = joinPath(parentOf(entry.path), markerNameOf(pattern, entry.name));
			if (!present.has(marker)) continue;
			selected.push({ ...entry, doneFile: marker });
			continue;
		}
		selected.push(entry);
	}
	return selected;
}

export type SortBy = 'name' | 'modifiedAt' | 'size';
export type SortDirection = 'ascending' | 'descending';

/** The value an entry is sorted by; undefined when the server did not say. */
function sortKey(entry: ListEntry, sortBy: SortBy): string | number | undefined {
	if (sortBy === 'name') return entry.name;
	if (sortBy === 'size') return entry.size ?? undefined;
	const time = entry.modifiedAt === null ? Number.NaN : Date.parse(entry.modifiedAt);
	return Number.isNaN(time) ? undefined : time;
}

/**
 * List's Sort By: a stable sort (equal values keep the walk's order) with entries of unknown value last whatever the
 * direction, so that "oldest first" never starts with files whose time nobody knows. Names compare by code point, the
 * same on every machine.
 */
export function sortEntries(
	entries: ListEntry[],
	sortBy: SortBy,
	direction: SortDirection = 'ascending',
): ListEntry[] {
	const sign = direction === 'descending' ? -1 : 1;
	const keyed = entries.map((entry, index) => ({ entry, index, key: sortKey(entry, sortBy) }));
	keyed.sort((a, b) => {
		if (a.key === undefined || b.key === undefined) {
			if (a.key === b.key) return a.index - b.index;
			return a.key === undefined ? 1 : -1;
		}
		if (a.key !== b.key) return (a.key < b.key ? -1 : 1) * sign;
		return a.index - b.index;
	});
	return keyed.map(({ entry }) => entry);
}
