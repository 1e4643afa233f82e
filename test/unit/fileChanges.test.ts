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

	it('Deleted File: a seen file that is no longer listed is emitted once with its last known fields, then forgotten', () => {
		const orders = { ...file('/in/orders.csv', 42), owner: 'partner' };
		const result = poll([orders, file('/in/keep.csv', 1)], stateOfExisting([]), {
			event: 'fileDeleted',
		});
		expect(result.emitted).toEqual([]);
		expect(Object.keys(result.state.seen).sort()).toEqual(['/in/keep.csv', '/in/orders.csv']);
		const { due, accept } = changesToEmit(
			[file('/in/keep.csv', 1)],
			result.state,
			rules({ event: 'fileDeleted' }),
		);
		expect(due).toEqual([{ entry: orders, event: 'fileDeleted' }]);
		const state = accept(due);
		expect(state.seen).toEqual({ '/in/keep.csv': versionOf(file('/in/keep.csv', 1)) });
		expect(Object.keys(state.lastKnown ?? {})).toEqual(['/in/keep.csv']);
		expect(poll([file('/in/keep.csv', 1)], state, { event: 'fileDeleted' }).emitted).toEqual([]);
	});

	it('Deleted File: a deletion not emitted yet (capped, or its poll failed) stays due', () => {
		const files = [
			file('/a', 1, '2026-01-01T00:00:00.000Z'),
			file('/b', 1, '2026-01-02T00:00:00.000Z'),
		];
		const start = poll(files, stateOfExisting([]), { event: 'fileDeleted' }).state;
		const { due, accept } = changesToEmit([], start, rules({ event: 'fileDeleted', maxFiles: 1 }));
		expect(due.map((d) => d.entry.path)).toEqual(['/a']);
		const afterFailure = accept([]);
		expect(Object.keys(afterFailure.seen).sort()).toEqual(['/a', '/b']);
		const capped = poll([], afterFailure, { event: 'fileDeleted', maxFiles: 1 });
		expect(capped.emitted).toEqual(['fileDeleted /a']);
		expect(poll([], capped.state, { event: 'fileDeleted' }).emitted).toEqual(['fileDeleted /b']);
	});

	it('Deleted File: a file still listed but no longer selected (too young, no marker) is not deleted', () => {
		const start = poll([file('/a', 1)], stateOfExisting([]), { event: 'fileDeleted' }).state;
		const { due, accept } = changesToEmit([], start, rules({ event: 'fileDeleted' }), {
			listedFiles: new Set(['/a']),
		});
		expect(due).toEqual([]);
		expect(accept(due).seen).toEqual(start.seen);
	});

	it('Deleted File from a state saved by the previous version: only files gone since, with the fields their version holds', () => {
		const oldState = JSON.parse(
			JSON.stringify({
				seen: { '/in/x.csv': '7@2026-11-24T08:00:00.000Z', '/in/y.csv': 'null@' },
				settling: {},
			}),
		) as WatchState;
		const result = poll([file('/in/y.csv', 3)], oldState, { event: 'fileDeleted' });
		expect(result.emitted).toEqual(['fileDeleted /in/x.csv']);
		const { due } = changesToEmit([], oldState, rules({ event: 'fileDeleted' }));
		expect(due.map((d) => d.entry)).toEqual([
			{
				name: 'x.csv',
				path: '/in/x.csv',
				type: 'file',
				size: 7,
				modifiedAt: '2026-11-24T08:00:00.000Z',
				permissions: null,
				owner: null,
				group: null,
			},
			{
				name: 'y.csv',
				path: '/in/y.csv',
				type: 'file',
				size: null,
				modifiedAt: null,
				permissions: null,
				owner: null,
				group: null,
			},
		]);
	});

	it('other events forget gone files at once and keep no last known fields', () => {
		const start = poll([file('/a', 1)], stateOfExisting([]), { event: 'fileDeleted' }).state;
		expect(start.lastKnown).toBeDefined();
		const result = poll([], start, { event: 'fileCreated' });
		expect(result.emitted).toEqual([]);
		expect(result.state).toEqual({ seen: {}, settling: {} });
	});

	it('New Folder: emits each folder that appears once; the first poll of a state without folders emits none', () => {
		const folder = (path: string) => ({ ...file(path, 0), type: 'directory' }) as ListEntry;
		const oldState = stateOfExisting([file('/in/a.csv', 1)]);
		let result = poll([file('/in/a.csv', 1)], oldState, { event: 'folderCreated' });
		const listed = { folders: [folder('/in/2026'), folder('/in/2025')] };
		let decision = changesToEmit(
			[file('/in/a.csv', 1)],
			oldState,
			rules({ event: 'folderCreated' }),
			listed,
		);
		expect(decision.due).toEqual([]);
		let state = decision.accept([]);
		expect(state.folders).toEqual(['/in/2025', '/in/2026']);
		expect(result.emitted).toEqual([]);

		listed.folders.push(folder('/in/2027'));
		decision = changesToEmit(
			[file('/in/a.csv', 1), file('/in/b.csv', 1)],
			state,
			rules({ event: 'folderCreated' }),
			listed,
		);
		expect(decision.due.map((d) => `${d.event} ${d.entry.path}`)).toEqual([
			'folderCreated /in/2027',
		]);
		const notEmitted = decision.accept([]);
		expect(notEmitted.folders).toEqual(['/in/2025', '/in/2026']);
		expect(Object.keys(notEmitted.seen).sort()).toEqual(['/in/a.csv', '/in/b.csv']);
		state = decision.accept(decision.due);
		expect(state.folders).toEqual(['/in/2025', '/in/2026', '/in/2027']);
		listed.folders.shift();
		decision = changesToEmit([], state, rules({ event: 'folderCreated' }), listed);
		expect(decision.due).toEqual([]);
		expect(decision.accept([]).folders).toEqual(['/in/2025', '/in/2027']);
		result = poll([], decision.accept([]), { event: 'fileCreated' });
		expect(result.state.folders).toBeUndefined();
	});

	it('New File after New Folder: folders are not files, and an activation with folders records them', () => {
		const folder = { ...file('/in/sub', 0), type: 'directory' } as ListEntry;
		const state = stateOfExisting([], { event: 'folderCreated', folders: [folder] });
		expect(state.folders).toEqual(['/in/sub']);
		const decision = changesToEmit([], state, rules({ event: 'folderCreated' }), {
			folders: [folder],
		});
		expect(decision.due).toEqual([]);
	});

	it('an activation watching Deleted File keeps the List fields of what is there, for a deletion right after', () => {
		const orders = { ...file('/in/orders.csv', 42), permissions: 'rw-r--r--' };
		const state = stateOfExisting([orders], { event: 'fileDeleted', folders: [] });
		expect(state.folders).toBeUndefined();
		const { due } = changesToEmit([], state, rules({ event: 'fileDeleted' }));
		expect(due).toEqual([{ entry: orders, event: 'fileDeleted' }]);
		expect(stateOfExisting([orders], { event: 'fileCreated', folders: [] })).toEqual({
			seen: { '/in/orders.csv': versionOf(orders) },
			settling: {},
		});
	});
});
