import type { ListEntry } from '../../nodes/FtpAutomation/transport';
import {
	changesToEmit,
	stateOfExisting,
	versionOf,
	type ChangeRules,
	type WatchState,
} from '../../nodes/FtpAutomation/trigger/fileChanges';

const file = (
	path: string,
	size: number,
	modifiedAt: string | null = '2026-11-24T08:00:00.000Z',
): ListEntry =>
	({
		name: path.split('/').pop()!,
		path,
		type: 'file',
		size,
		modifiedAt,
		permissions: null,
		owner: null,
		group: null,
	}) as unknown as ListEntry;

const rules = (overrides: Partial<ChangeRules> = {}): ChangeRules => ({
	event: 'fileCreatedOrUpdated',
	stableForMs: 0,
	maxFiles: 100,
	now: 1_000_000,
	...overrides,
});

/** Runs one decision and accepts everything that was due, as a poll that emitted all of it. */
function poll(files: ListEntry[], state: WatchState, overrides: Partial<ChangeRules> = {}) {
	const { due, accept } = changesToEmit(files, state, rules(overrides));
	return { emitted: due.map((d) => `${d.event} ${d.entry.path}`), state: accept(due) };
}

describe('changesToEmit', () => {
	it('emits a new file once, then nothing until it changes; a change is an update', () => {
		let state = stateOfExisting([file('/in/a.csv', 10)]);
		let result = poll([file('/in/a.csv', 10), file('/in/b.csv', 5)], state);
		expect(result.emitted).toEqual(['fileCreated /in/b.csv']);
		state = result.state;
		expect(poll([file('/in/a.csv', 10), file('/in/b.csv', 5)], state).emitted).toEqual([]);
		result = poll([file('/in/a.csv', 10), file('/in/b.csv', 6, '2026-11-24T09:00:00.000Z')], state);
		expect(result.emitted).toEqual(['fileUpdated /in/b.csv']);
	});

	it('watches only the chosen event, and remembers the other kind without emitting it later', () => {
		const state = stateOfExisting([file('/a', 1)]);
		const created = poll([file('/a', 2), file('/b', 1)], state, { event: 'fileCreated' });
		expect(created.emitted).toEqual(['fileCreated /b']);
		expect(
			poll([file('/a', 2), file('/b', 1)], created.state, { event: 'fileCreatedOrUpdated' })
				.emitted,
		).toEqual([]);
		expect(poll([file('/a', 2), file('/b', 1)], state, { event: 'fileUpdated' }).emitted).toEqual([
			'fileUpdated /a',
		]);
	});

	it('holds a file back until it has stayed the same for Stable For, restarting the wait when it grows', () => {
		const start = stateOfExisting([]);
		let result = poll([file('/big', 100)], start, { stableForMs: 5000, now: 0 });
		expect(result.emitted).toEqual([]);
		result = poll([file('/big', 200)], result.state, { stableForMs: 5000, now: 4000 });
		expect(result.emitted).toEqual([]);
		result = poll([file('/big', 200)], result.state, { stableForMs: 5000, now: 8000 });
		expect(result.emitted).toEqual([]);
		result = poll([file('/big', 200)], result.state, { stableForMs: 5000, now: 9000 });
		expect(result.emitted).toEqual(['fileCreated /big']);
		expect(result.state.settling).toEqual({});
	});

	it('emits at most Max Files, oldest first; the rest stay due', () => {
		const files = [
			file('/c', 1, '2026-01-03T00:00:00.000Z'),
			file('/a', 1, '2026-01-01T00:00:00.000Z'),
			file('/b', 1, '2026-01-02T00:00:00.000Z'),
			file('/n', 1, null),
		];
		let result = poll(files, stateOfExisting([]), { maxFiles: 2 });
		expect(result.emitted).toEqual(['fileCreated /a', 'fileCreated /b']);
		result = poll(files, result.state, { maxFiles: 2 });
		expect(result.emitted).toEqual(['fileCreated /c', 'fileCreated /n']);
		expect(poll(files, result.state, { maxFiles: 2 }).emitted).toEqual([]);
	});

	it('forgets files that disappear, so a file created again is new, and the state never outgrows the folder', () => {
		let result = poll([file('/x', 1)], stateOfExisting([]));
		result = poll([], result.state);
		expect(result.state.seen).toEqual({});
		expect(poll([file('/x', 1)], result.state).emitted).toEqual(['fileCreated /x']);
	});

	it('records only what was accepted: a file that could not be emitted stays due', () => {
		const files = [
			file('/a', 1, '2026-01-01T00:00:00.000Z'),
			file('/b', 1, '2026-01-02T00:00:00.000Z'),
		];
		const { due, accept } = changesToEmit(files, stateOfExisting([]), rules());
		const state = accept(due.slice(0, 1));
		expect(state.seen).toEqual({ '/a': versionOf(files[0]) });
		expect(poll(files, state).emitted).toEqual(['fileCreated /b']);
	});
});
