import {
	ancestorsAndSelf,
	checkPath,
	resolvePath,
} from '../../nodes/FtpAutomation/transport/paths';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport';

describe('checkPath', () => {
	it.each([
		['a\r\nDELE x', 'carriage return'],
		['report.csv\n', 'line feed'],
		['a\0b', 'NUL'],
	])('rejects %j naming the control character', (path, named) => {
		expect(() => checkPath(path)).toThrow(RemoteFailure);
		expect(() => checkPath(path)).toThrow(named);
	});

	it.each(['', '   ', undefined, 42])('rejects the empty or non-text path %p', (path) => {
		expect(() => checkPath(path)).toThrow('is empty');
	});

	it('uses the parameter label in the message', () => {
		expect(() => checkPath('', 'New Path')).toThrow('New Path is empty');
	});

	it('accepts spaces and UTF-8', () => {
		expect(checkPath('/in/Bericht März 2026.csv')).toBe('/in/Bericht März 2026.csv');
	});
});

describe('resolvePath', () => {
	it('resolves relative paths against the login folder and normalises', () => {
		expect(resolvePath('in/a.csv', '/home/alice')).toBe('/home/alice/in/a.csv');
		expect(resolvePath('/in/../out/./b.csv', '/home/alice')).toBe('/out/b.csv');
		expect(resolvePath('/in/', '/')).toBe('/in');
		expect(resolvePath('.', '/home/alice')).toBe('/home/alice');
	});
});

describe('ancestorsAndSelf', () => {
	it('lists each folder from the top', () => {
		expect(ancestorsAndSelf('/a/b/c')).toEqual(['/a', '/a/b', '/a/b/c']);
		expect(ancestorsAndSelf('/')).toEqual([]);
	});
});
