import {
	candidatePorts,
	eprtCommand,
	plainAddress,
	portCommand,
} from '../../nodes/FtpAutomation/transport/ftp/activeMode';
import {
	parsePortRange,
	toConnectionSettings,
} from '../../nodes/FtpAutomation/transport/ftp/settings';

describe('active-mode commands', () => {
	it('writes PORT with the port split into two bytes', () => {
		expect(portCommand('192.0.2.10', 50_001)).toBe('PORT 192,0,2,10,195,81');
		expect(portCommand('127.0.0.1', 255)).toBe('PORT 127,0,0,1,0,255');
	});

	it('writes EPRT with the address family', () => {
		expect(eprtCommand('192.0.2.10', 50_001)).toBe('EPRT |1|192.0.2.10|50001|');
		expect(eprtCommand('2001:db8::1', 50_001)).toBe('EPRT |2|2001:db8::1|50001|');
	});

	it('reads IPv4-mapped IPv6 addresses as IPv4, and leaves real IPv6 alone', () => {
		expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
		expect(plainAddress('::1')).toBe('::1');
		expect(plainAddress('::ffff:7f00:1')).toBe('::ffff:7f00:1');
		expect(plainAddress(undefined)).toBeUndefined();
	});

	it('tries every port of a range once, starting anywhere in it', () => {
		expect(candidatePorts(undefined)).toEqual([0]);
		expect(candidatePorts({ low: 50_000, high: 50_003 }, () => 0.5)).toEqual([
			50_002, 50_003, 50_000, 50_001,
		]);
		expect(candidatePorts({ low: 50_000, high: 50_000 }, () => 0.99)).toEqual([50_000]);
	});
});

describe('active-mode settings', () => {
	const base = { host: 'ftp.example.com', username: 'alice', password: 'pw', security: 'none' };

	it('reads port ranges and single ports', () => {
		expect(parsePortRange('')).toBeUndefined();
		expect(parsePortRange(' 50000 - 50100 ')).toEqual({ low: 50_000, high: 50_100 });
		expect(parsePortRange('50000')).toEqual({ low: 50_000, high: 50_000 });
		expect(parsePortRange(50_000)).toEqual({ low: 50_000, high: 50_000 });
	});

	it.each(['0-10', '50000-70000', '50100-50000', 'fifty', '50000-', '1,2'])(
		'rejects the range %s',
		(range) => {
			expect(() => parsePortRange(range)).toThrow(
				`The active-mode port range "${range}" is not valid`,
			);
		},
	);

	it('is passive by default and ignores active fields then', () => {
		const settings = toConnectionSettings({
			...base,
			activeAddress: 'not checked',
			activePortRange: 'nor this',
		});
		expect(settings.dataConnection).toBe('passive');
		expect(settings.activeAddress).toBeUndefined();
		expect(settings.activePorts).toBeUndefined();
	});

	it('reads the active fields in active mode', () => {
		const settings = toConnectionSettings({
			...base,
			dataConnection: 'active',
			activeAddress: ' 192.0.2.10 ',
			activePortRange: '50000-50100',
		});
		expect(settings).toMatchObject({
			dataConnection: 'active',
			activeAddress: '192.0.2.10',
			activePorts: { low: 50_000, high: 50_100 },
		});
	});

	it('rejects an unknown data connection mode', () => {
		expect(() => toConnectionSettings({ ...base, dataConnection: 'extended' })).toThrow(
			'Unknown Data Connection "extended"',
		);
	});
});
