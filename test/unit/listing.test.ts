import { FileInfo, FileType } from 'basic-ftp';

import { isPlainName } from '../../nodes/FtpAutomation/transport/entryNames';
import { toRemoteEntry } from '../../nodes/FtpAutomation/transport/ftp/listingText';
import { globFilter, includes, toListEntry } from '../../nodes/FtpAutomation/transport/listing';

function info(name: string, type: FileType, extra: Partial<FileInfo> = {}): FileInfo {
	return Object.assign(new FileInfo(name), { type, size: 10 }, extra);
}

/** What List outputs for an FTP listing entry: basic-ftp's FileInfo, seen through the FTP protocol. */
function listed(fileInfo: FileInfo, directory: string) {
	return toListEntry(toRemoteEntry(fileInfo), directory);
}

describe('toListEntry', () => {
	it('converts a file with permissions, owner and an exact date', () => {
		const entry = listed(
			info('a.csv', FileType.File, {
				permissions: { user: 6, group: 4, world: 0 },
				user: 'alice',
				group: 'staff',
				modifiedAt: new Date('2026-11-01T10:00:00Z'),
			}),
			'/in',
		);
		expect(entry).toEqual({
			name: 'a.csv',
			path: '/in/a.csv',
			type: 'file',
			size: 10,
			modifiedAt: '2026-11-01T10:00:00.000Z',
			permissions: 'rw-r-----',
			owner: 'alice',
			group: 'staff',
		});
	});

	it('gives null for what the server did not say, and the target of a link', () => {
		const entry = listed(info('latest', FileType.SymbolicLink, { link: 'releases/v2' }), '/');
		expect(entry).toMatchObject({
			path: '/latest',
			type: 'symbolicLink',
			modifiedAt: null,
			permissions: null,
			owner: null,
			target: 'releases/v2',
		});
		expect(listed(info('sub', FileType.Directory), '/x').type).toBe('directory');
	});
});

describe('toListEntry sizes', () => {
	it('makes a size that is no size (negative, not a number, beyond 2^53) null', () => {
		for (const size of [-1, Number.NaN, 1e30])
			expect(listed(info('f', FileType.File, { size }), '/').size).toBeNull();
		expect(listed(info('f', FileType.File, { size: 0 }), '/').size).toBe(0);
	});
});

describe('isPlainName', () => {
	it('accepts only a name inside the folder: no ., .., path, or control character', () => {
		expect(
			[
				'.',
				'..',
				'',
				'a/b.txt',
				'../../etc/passwd',
				'cr\rname.txt',
				'tab\tname',
				'a',
				'back\\slash',
				'ä ö.csv',
			].map(isPlainName),
		).toEqual([false, false, false, false, false, false, false, true, true, true]);
	});
});

describe('includes', () => {
	it('filters by type, counting links as files', () => {
		expect(includes('files', 'symbolicLink')).toBe(true);
		expect(includes('files', 'directory')).toBe(false);
		expect(includes('folders', 'directory')).toBe(true);
		expect(includes('folders', 'file')).toBe(false);
		expect(includes('both', 'directory')).toBe(true);
	});
});

describe('globFilter', () => {
	it('matches everything without a pattern', () => {
		expect(globFilter('')('any/thing')).toBe(true);
		expect(globFilter(undefined)('x')).toBe(true);
	});

	it('matches a pattern without slash at any depth', () => {
		const csv = globFilter('*.csv');
		expect(csv('a.csv')).toBe(true);
		expect(csv('2026/11/a.csv')).toBe(true);
		expect(csv('a.csv.bak')).toBe(false);
	});

	it('matches a path pattern against the relative path', () => {
		const dated = globFilter('**/2026-*.csv');
		expect(dated('2026-01.csv')).toBe(true);
		expect(dated('x/y/2026-02.csv')).toBe(true);
		expect(dated('x/2025-02.csv')).toBe(false);
		expect(globFilter('in/*.txt')('in/a.txt')).toBe(true);
		expect(globFilter('in/*.txt')('other/in/a.txt')).toBe(false);
	});

	it('supports braces and character classes from the glob library', () => {
		const filter = globFilter('report-[0-9].{csv,xlsx}');
		expect(filter('report-1.xlsx')).toBe(true);
		expect(filter('report-a.csv')).toBe(false);
	});
});
