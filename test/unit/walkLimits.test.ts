import type { INodeProperties } from 'n8n-workflow';

import {
	walkLimitOptions,
	walkLimitsOf,
} from '../../nodes/FtpAutomation/descriptions/sharedFields';
import {
	DEFAULT_WALK_LIMITS,
	listingByteLimit,
	WalkBudget,
	walkLimits,
} from '../../nodes/FtpAutomation/transport/walk/walkLimits';

describe('walk limits', () => {
	it('offers the transport defaults in the node options (written out there for the lint)', () => {
		const defaults = Object.fromEntries(
			walkLimitOptions({}).map((option: INodeProperties) => [option.name, option.default]),
		);
		expect(walkLimits(walkLimitsOf(defaults))).toEqual(DEFAULT_WALK_LIMITS);
	});

	it('falls back to the defaults for values that are no limit (empty, zero, negative, not a number)', () => {
		expect(walkLimits({ maxEntriesPerFolder: 0, maxFolders: -3, timeLimitMs: Number.NaN })).toEqual(
			DEFAULT_WALK_LIMITS,
		);
		expect(walkLimits({ maxEntriesPerFolder: 10.7, maxFolders: 5, timeLimitMs: 1500 })).toEqual({
			maxEntriesPerFolder: 10,
			maxFolders: 5,
			timeLimitMs: 1500,
		});
	});

	it('lets basic-ftp buffer a listing in proportion to the entries allowed, at least 40 MiB and at most 1 GiB', () => {
		expect(listingByteLimit(10)).toBe(40 * 2 ** 20);
		expect(listingByteLimit(1_000_000)).toBe(512_000_000);
		expect(listingByteLimit(1e12)).toBe(2 ** 30);
	});

	it('counts folders and fails at Max Folders with an explained error', () => {
		const budget = new WalkBudget({ ...DEFAULT_WALK_LIMITS, maxFolders: 2 }, '/in');
		budget.spendFolder();
		budget.spendFolder();
		expect(() => budget.spendFolder()).toThrow(
			'The folder "/in" holds more than 2 folders (Max Folders)',
		);
	});
});
