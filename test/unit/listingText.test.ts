import { parseListing } from '../../nodes/FtpAutomation/transport/ftp/listingText';
import { pathOfPwdReply } from '../../nodes/FtpAutomation/transport/paths';
import {
	checkEncodable,
	firstUnencodable,
} from '../../nodes/FtpAutomation/transport/ftp/wireEncoding';
import {
	ConnectionLog,
	MAX_LOG_LINE_CHARS,
} from '../../nodes/FtpAutomation/transport/connectionLog';

const unix = (name: string) => `-rw-r--r-- 1 ftp ftp 5 Nov 24 10:00 ${name}`;

describe('parseListing', () => {
	it('keeps plain names and leaves out paths, . and .., and lines with control characters', () => {
		const parsed = parseListing(
			[
				unix('ok.csv'),
				unix('../x'),
				unix('a/b'),
				unix('tab\there'),
				unix('.'),
				unix('sp ace.txt'),
			].join('\r\n'),
			'/in',
			100,
		);
		expect(parsed.entries.map((entry) => entry.name)).toEqual(['ok.csv', 'sp ace.txt']);
		expect(parsed.skipped).toEqual([JSON.stringify(unix('tab\there')), '"../x"', '"a/b"']);
	});

	it('counts entries before parsing, and refuses more than allowed', () => {
		expect(() => parseListing([unix('a'), unix('b'), unix('c')].join('\n'), '/in', 2)).toThrow(
			'The folder "/in" holds more than 2 entries (the server listed 3)',
		);
	});

	it('keeps an MLSD line whose every fact is bad, without facts', () => {
		const parsed = parseListing('type=dir;modify=x;size=-1;\r\ntype=file;size=1; other', '/in', 10);
		expect(parsed.entries.map((entry) => entry.name)).toContain('other');
		expect(parsed.badFacts).toHaveLength(2);
	});

	it("reads the folder's own and its real parent's unique facts (cdir, pdir)", () => {
		const parsed = parseListing(
			'type=cdir;unique=C1; .\r\ntype=pdir;unique=P1; ..\r\ntype=file;size=1;unique=F; f',
			'/in',
			10,
		);
		expect(parsed).toMatchObject({ folderUniqueId: 'C1', parentUniqueId: 'P1' });
		expect(parsed.entries.map((entry) => entry.name)).toEqual(['f']);
	});
});

describe('pathOfPwdReply', () => {
	it('reads RFC 959 quoting, normalises, and refuses what is not an absolute path', () => {
		expect(pathOfPwdReply('257 "/a ""quoted"" dir/" is current')).toBe('/a "quoted" dir');
		expect(pathOfPwdReply('257 "/"')).toBe('/');
		expect(pathOfPwdReply('257 "C:\\\\data"')).toBeUndefined();
		expect(pathOfPwdReply('257 no quotes')).toBeUndefined();
	});
});

describe('encodings', () => {
	it('finds the characters Latin-1 would turn into others', () => {
		expect(firstUnencodable('Größe ½ März', 'latin1')).toBeUndefined();
		expect(firstUnencodable('a\u010d', 'latin1')).toBe('\u010d');
		expect(firstUnencodable('€', 'utf8')).toBeUndefined();
		expect(() => checkEncodable('p€ss', 'latin1', 'The password', 'settings', true)).toThrow(
			'The password contains a character, which File Name Encoding Latin-1 cannot carry',
		);
	});
});

describe('ConnectionLog', () => {
	it('cuts an overlong line after redacting it', () => {
		const log = new ConnectionLog(['hunter2']);
		const [line] = log.add(`< 550 hunter2 ${'x'.repeat(5000)}`);
		expect(line.startsWith('< 550 *** xxx')).toBe(true);
		expect(line).toContain(
			`… (${'< 550 *** '.length + 5000 - MAX_LOG_LINE_CHARS} more characters)`,
		);
	});
});
