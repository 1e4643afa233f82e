import type { ListEntry } from '../../nodes/FtpAutomation/transport/listing';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport/failures';
import {
	baseOf,
	hasMarkerShape,
	isFolderMarker,
	markerNameOf,
	selectEntries,
	sortEntries,
	splitGlobs,
	type SelectionRules,
} from '../../nodes/FtpAutomation/transport/selection';

const NOW = Date.parse('2026-11-30T12:00:00Z');

/** An ISO time `seconds` before NOW. */
function ago(seconds: number): string {
	return new Date(NOW - seconds * 1000).toISOString();
}

function file(path: string, extra: Partial<ListEntry> = {}): ListEntry {
	return {
		name: path.slice(path.lastIndexOf('/') + 1),
		path,
		type: 'file',
		size: 100,
		modifiedAt: ago(3600),
		permissions: null,
		owner: null,
		group: null,
		...extra,
	};
}

function folder(path: string, extra: Partial<ListEntry> = {}): ListEntry {
	return file(path, { type: 'directory', size: 4096, ...extra });
}

function select(entries: ListEntry[], rules: SelectionRules, listed = '/in'): string[] {
	return selectEntries(entries, listed, rules, NOW).map((entry) => entry.path);
}

describe('splitGlobs', () => {
	it('splits at commas and new lines, trims, drops empty parts', () => {
		expect(splitGlobs(' *.tmp, *.part\n**/archive/**\r\n,, ')).toEqual([
			'*.tmp',
			'*.part',
			'**/archive/**',
		]);
	});

	it('keeps a comma inside braces with its glob', () => {
		expect(splitGlobs('*.{tmp,part},x{a,{b,c}}.csv, y')).toEqual([
			'*.{tmp,part}',
			'x{a,{b,c}}.csv',
			'y',
		]);
	});

	it('gives nothing for an empty or missing value', () => {
		expect(splitGlobs('')).toEqual([]);
		expect(splitGlobs(undefined)).toEqual([]);
	});
});

describe('Filter and Exclude', () => {
	const entries = [
		file('/in/a.csv'),
		file('/in/a.tmp'),
		file('/in/b.part'),
		folder('/in/archive'),
		file('/in/archive/old.csv'),
		file('/in/sub/c.csv'),
	];

	it('selects everything without rules, in the order given', () => {
		expect(select(entries, {})).toEqual(entries.map((entry) => entry.path));
	});

	it('leaves out what any exclude glob matches, braces included', () => {
		expect(select(entries, { exclude: '*.{tmp,part}, **/archive/**' })).toEqual([
			'/in/a.csv',
			'/in/archive',
			'/in/sub/c.csv',
		]);
	});

	it('matches a glob without a slash at any depth, with a slash against the relative path', () => {
		expect(select(entries, { exclude: '*.csv' })).toEqual([
			'/in/a.tmp',
			'/in/b.part',
			'/in/archive',
		]);
		expect(select(entries, { exclude: 'sub/*.csv' })).toEqual(
			entries.map((entry) => entry.path).filter((path) => path !== '/in/sub/c.csv'),
		);
	});

	it('applies Filter first and Exclude within it', () => {
		expect(select(entries, { filter: '*.csv', exclude: 'archive/**' })).toEqual([
			'/in/a.csv',
			'/in/sub/c.csv',
		]);
	});

	it('sees paths relative to the root folder too', () => {
		expect(select([file('/a.csv'), file('/x/a.csv')], { filter: 'x/*' }, '/')).toEqual([
			'/x/a.csv',
		]);
	});
});

describe('age', () => {
	const entries = [
		file('/in/new.csv', { modifiedAt: ago(10) }),
		file('/in/hour.csv', { modifiedAt: ago(3600) }),
		file('/in/week.csv', { modifiedAt: ago(7 * 86400) }),
		file('/in/unknown.csv', { modifiedAt: null }),
		file('/in/nonsense.csv', { modifiedAt: 'yesterday-ish' }),
		file('/in/future.csv', { modifiedAt: ago(-600) }),
	];

	it('minAge leaves out files younger than it and those of unknown age', () => {
		expect(select(entries, { minAge: 60 })).toEqual(['/in/hour.csv', '/in/week.csv']);
	});

	it('maxAge leaves out files older than it and those of unknown age; a future time is young', () => {
		expect(select(entries, { maxAge: 86400 })).toEqual([
			'/in/new.csv',
			'/in/hour.csv',
			'/in/future.csv',
		]);
	});

	it('bounds are inclusive', () => {
		expect(select(entries, { minAge: 3600, maxAge: 3600 })).toEqual(['/in/hour.csv']);
	});

	it('applies to folders as well', () => {
		expect(select([folder('/in/f', { modifiedAt: ago(5) })], { minAge: 60 })).toEqual([]);
	});

	it('refuses a minimum above the maximum, naming both', () => {
		expect(() => select(entries, { minAge: 100, maxAge: 50 })).toThrow(
			/minimum age \(100 s\) is larger than the maximum age \(50 s\)/,
		);
	});
});

describe('size', () => {
	const entries = [
		file('/in/empty.csv', { size: 0 }),
		file('/in/one.csv', { size: 1 }),
		file('/in/big.csv', { size: 5000 }),
		file('/in/unknown.csv', { size: null }),
		folder('/in/dir', { size: null }),
	];

	it('minSize leaves out smaller files and those of unknown size, never folders', () => {
		expect(select(entries, { minSize: 1 })).toEqual(['/in/one.csv', '/in/big.csv', '/in/dir']);
	});

	it('maxSize leaves out larger files and those of unknown size', () => {
		expect(select(entries, { maxSize: 1 })).toEqual(['/in/empty.csv', '/in/one.csv', '/in/dir']);
	});

	it('refuses a minimum above the maximum', () => {
		const failure = (() => {
			try {
				select(entries, { minSize: 10, maxSize: 5 });
			} catch (error) {
				return error;
			}
			return undefined;
		})();
		expect(failure).toBeInstanceOf(RemoteFailure);
		expect((failure as RemoteFailure).hint).toMatch(
			/Lower the minimum size or raise the maximum size/,
		);
	});
});

describe('Done File names', () => {
	it('{base} drops only the last extension; names without one stay whole', () => {
		expect(baseOf('x.csv')).toBe('x');
		expect(baseOf('x.tar.gz')).toBe('x.tar');
		expect(baseOf('README')).toBe('README');
		expect(baseOf('.bashrc')).toBe('.bashrc');
		expect(baseOf('a.b.c.d')).toBe('a.b.c');
	});

	it('fills in {name} and {base}, each wherever and as often as they appear', () => {
		expect(markerNameOf('{name}.done', 'x.tar.gz')).toBe('x.tar.gz.done');
		expect(markerNameOf('{base}.ok', 'x.tar.gz')).toBe('x.tar.ok');
		expect(markerNameOf('ready-{base}-{name}', 'a.csv')).toBe('ready-a-a.csv');
		expect(markerNameOf('{base}.ok', 'README')).toBe('README.ok');
	});

	it('knows the shape of a marker: the fixed text in order, each placeholder at least one character', () => {
		expect(hasMarkerShape('{name}.done', 'a.csv.done')).toBe(true);
		expect(hasMarkerShape('{name}.done', '.done')).toBe(false);
		expect(hasMarkerShape('{name}.done', 'a.csv.done.bak')).toBe(false);
		expect(hasMarkerShape('ready-{base}', 'ready-x')).toBe(true);
		expect(hasMarkerShape('ready-{base}', 'ready-')).toBe(false);
		expect(hasMarkerShape('{base}-{name}.ok', 'x-x.csv.ok')).toBe(true);
		expect(hasMarkerShape('{base}-{name}.ok', 'x--.ok')).toBe(true);
		expect(hasMarkerShape('{base}-{name}.ok', 'x-.ok')).toBe(false);
		expect(hasMarkerShape('{base}-{name}.ok', 'x.ok')).toBe(false);
		expect(hasMarkerShape('_SUCCESS', '_SUCCESS')).toBe(true);
		expect(hasMarkerShape('_SUCCESS', 'x_SUCCESS')).toBe(false);
	});

	it('decides the shape in linear time, whatever the pattern (no backtracking)', () => {
		const pattern = `${'{name}'.repeat(40)}-x`;
		const name = `${'a'.repeat(100_000)}-y`;
		expect(hasMarkerShape(pattern, name)).toBe(false);
		expect(hasMarkerShape(pattern, `${'a'.repeat(100_000)}-x`)).toBe(true);
	});

	it('a pattern without placeholders is a folder marker', () => {
		expect(isFolderMarker('_SUCCESS')).toBe(true);
		expect(isFolderMarker('{name}.done')).toBe(false);
		expect(isFolderMarker('{base}.ok')).toBe(false);
	});
});

describe('Done File selection', () => {
	it('selects a file only once its marker exists, adds the marker path, hides markers', () => {
		const entries = [
			file('/in/a.csv'),
			file('/in/a.csv.done', { size: 0 }),
			file('/in/b.csv'),
			file('/in/orphan.csv.done', { size: 0 }),
		];
		const selected = selectEntries(entries, '/in', { doneFile: '{name}.done' }, NOW);
		expect(selected).toEqual([{ ...entries[0], doneFile: '/in/a.csv.done' }]);
		// The input is not changed.
		expect(entries[0]).not.toHaveProperty('doneFile');
	});

	it('shows markers as they are when Hide Done Files is off (released or not)', () => {
		const entries = [
			file('/in/a.csv'),
			file('/in/a.csv.done', { size: 0 }),
			file('/in/orphan.csv.done', { size: 0 }),
		];
		expect(
			selectEntries(entries, '/in', { doneFile: '{name}.done', hideDoneFiles: false }, NOW),
		).toEqual([{ ...entries[0], doneFile: '/in/a.csv.done' }, entries[1], entries[2]]);
	});

	it('markers pass the size and age rules (an empty marker is still a marker)', () => {
		const entries = [file('/in/a.csv'), file('/in/a.csv.done', { size: 0, modifiedAt: null })];
		expect(
			select(entries, { doneFile: '{name}.done', hideDoneFiles: false, minSize: 1, minAge: 60 }),
		).toEqual(['/in/a.csv', '/in/a.csv.done']);
	});

	it('{base} markers: names with several dots and names without an extension', () => {
		const entries = [
			file('/in/x.tar.gz'),
			file('/in/x.tar.ok'),
			file('/in/y.tar.gz'),
			file('/in/y.ok'),
			file('/in/README'),
			file('/in/README.ok'),
		];
		expect(select(entries, { doneFile: '{base}.ok' })).toEqual(['/in/x.tar.gz', '/in/README']);
	});

	it('in a recursive listing, a marker releases the file of its own folder only', () => {
		const entries = [
			file('/in/a.csv'),
			folder('/in/sub'),
			file('/in/sub/a.csv'),
			file('/in/sub/a.csv.done'),
			folder('/in/other'),
			file('/in/other/b.csv'),
		];
		expect(
			selectEntries(entries, '/in', { doneFile: '{name}.done' }, NOW).map((entry) => [
				entry.path,
				entry.doneFile,
			]),
		).toEqual([
			['/in/sub', undefined],
			['/in/sub/a.csv', '/in/sub/a.csv.done'],
			['/in/other', undefined],
		]);
	});

	it('a folder marker releases every file of its folder, and only of its folder', () => {
		const entries = [
			file('/in/a.csv'),
			file('/in/b.csv'),
			file('/in/_SUCCESS', { size: 0 }),
			folder('/in/sub'),
			file('/in/sub/c.csv'),
		];
		expect(
			selectEntries(entries, '/in', { doneFile: '_SUCCESS' }, NOW).map((entry) => [
				entry.path,
				entry.doneFile,
			]),
		).toEqual([
			['/in/a.csv', '/in/_SUCCESS'],
			['/in/b.csv', '/in/_SUCCESS'],
			['/in/sub', undefined],
		]);
	});

	it('sees markers that Filter hides (Filter applies to the files, not to the markers)', () => {
		const entries = [file('/in/a.csv'), file('/in/a.csv.done'), file('/in/b.txt')];
		expect(select(entries, { filter: '*.csv', doneFile: '{name}.done' })).toEqual(['/in/a.csv']);
	});

	it('a folder named like a marker does not release the file', () => {
		expect(
			select([file('/in/a.csv'), folder('/in/a.csv.done')], { doneFile: '{name}.done' }),
		).toEqual(['/in/a.csv.done']);
	});

	it('a marker excluded by Exclude still releases its file', () => {
		const entries = [file('/in/a.csv'), file('/in/a.csv.done')];
		expect(
			select(entries, { doneFile: '{name}.done', hideDoneFiles: false, exclude: '*.done' }),
		).toEqual(['/in/a.csv']);
	});

	it('takes regular-expression characters in the pattern literally', () => {
		const entries = [file('/in/a.csv'), file('/in/a.csv+ok'), file('/in/a.csvXok')];
		// "a.csvXok" is a data file (not of the marker's shape) whose own marker is missing.
		expect(select(entries, { doneFile: '{name}+ok', hideDoneFiles: false })).toEqual([
			'/in/a.csv',
			'/in/a.csv+ok',
		]);
		expect(select(entries, { doneFile: '{name}+ok' })).toEqual(['/in/a.csv']);
	});

	it('an empty pattern is no rule', () => {
		expect(select([file('/in/a.csv')], { doneFile: '  ' })).toEqual(['/in/a.csv']);
	});

	it('refuses a pattern with a slash, or one that names the file itself', () => {
		expect(() => select([], { doneFile: '../done/{name}' })).toThrow(/contains a slash/);
		expect(() => select([], { doneFile: '{name}' })).toThrow(/every file would be its own marker/);
		expect(() => select([], { doneFile: '{base}{name}' })).toThrow(/its own marker/);
	});
});

describe('sortEntries', () => {
	const entries = [
		file('/in/b.csv', { size: 30, modifiedAt: ago(10) }),
		file('/in/a.csv', { size: null, modifiedAt: ago(30) }),
		file('/in/c.csv', { size: 10, modifiedAt: null }),
		file('/in/sub/a.csv', { size: 30, modifiedAt: ago(20) }),
	];
	const paths = (sorted: ListEntry[]) => sorted.map((entry) => entry.path);

	it('by name, equal names in the order given', () => {
		expect(paths(sortEntries(entries, 'name'))).toEqual([
			'/in/a.csv',
			'/in/sub/a.csv',
			'/in/b.csv',
			'/in/c.csv',
		]);
		expect(paths(sortEntries(entries, 'name', 'descending'))).toEqual([
			'/in/c.csv',
			'/in/b.csv',
			'/in/a.csv',
			'/in/sub/a.csv',
		]);
	});

	it('by size, unknown last in both directions', () => {
		expect(paths(sortEntries(entries, 'size'))).toEqual([
			'/in/c.csv',
			'/in/b.csv',
			'/in/sub/a.csv',
			'/in/a.csv',
		]);
		expect(paths(sortEntries(entries, 'size', 'descending'))).toEqual([
			'/in/b.csv',
			'/in/sub/a.csv',
			'/in/c.csv',
			'/in/a.csv',
		]);
	});

	it('by modification time, unknown last in both directions', () => {
		expect(paths(sortEntries(entries, 'modifiedAt'))).toEqual([
			'/in/a.csv',
			'/in/sub/a.csv',
			'/in/b.csv',
			'/in/c.csv',
		]);
		expect(paths(sortEntries(entries, 'modifiedAt', 'descending'))).toEqual([
			'/in/b.csv',
			'/in/sub/a.csv',
			'/in/a.csv',
			'/in/c.csv',
		]);
	});

	it('names compare by code point (upper case first), the same on every machine', () => {
		expect(paths(sortEntries([file('/in/b'), file('/in/B'), file('/in/a')], 'name'))).toEqual([
			'/in/B',
			'/in/a',
			'/in/b',
		]);
	});
});
