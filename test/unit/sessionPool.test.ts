import { RemoteSession, SessionPool } from '../../nodes/FtpAutomation/transport';
import { ConnectionLog } from '../../nodes/FtpAutomation/transport/connectionLog';
import type { ConnectionSettings } from '../../nodes/FtpAutomation/transport/ftp/settings';

/** A stand-in for a logged-in session: a log with a login line, and a close() that counts. */
function fakeSession(label = ''): RemoteSession {
	const log = new ConnectionLog([], label || undefined);
	log.add('> USER someone');
	return {
		log,
		closed: 0,
		close() {
			(this as unknown as { closed: number }).closed++;
		},
		note: (line: string) => log.add(line),
	} as unknown as RemoteSession;
}

const settings = {} as ConnectionSettings;
const tick = async () => await new Promise((resolve) => setImmediate(resolve));

afterEach(() => jest.restoreAllMocks());

describe('SessionPool', () => {
	it('opens the first connection at once and fails as it does', async () => {
		jest.spyOn(RemoteSession, 'open').mockRejectedValue(new Error('530 Login incorrect.'));
		await expect(SessionPool.open(settings, 4)).rejects.toThrow('530 Login incorrect.');
	});

	it('opens connections only while work waits, never more than its size, and reuses them', async () => {
		const open = jest
			.spyOn(RemoteSession, 'open')
			.mockImplementation(async (_, options) => fakeSession(options?.label));
		const pool = await SessionPool.open(settings, 3);
		let running = 0;
		let most = 0;
		const used = new Set<RemoteSession>();
		const releases: Array<() => void> = [];
		const work = Array.from(
			{ length: 10 },
			async () =>
				await pool.use(async (session) => {
					used.add(session);
					running++;
					most = Math.max(most, running);
					await new Promise<void>((resolve) => releases.push(resolve));
					running--;
				}),
		);
		let finished = false;
		const all = Promise.all(work).then(() => (finished = true));
		// Let the works pile up on the busy connections, then release whatever runs, until all are done.
		while (!finished) {
			await tick();
			releases.splice(0).forEach((release) => release());
		}
		await all;
		expect(open).toHaveBeenCalledTimes(3);
		expect(pool.connections).toBe(3);
		expect(most).toBe(3);
		expect(used.size).toBe(3);
		expect(open.mock.calls.map(([, options]) => options?.label)).toEqual(['[1]', '[2]', '[3]']);
	});

	it('gives each work its connection log, with the login lines only the first time a connection is used', async () => {
		jest.spyOn(RemoteSession, 'open').mockImplementation(async () => fakeSession());
		const pool = await SessionPool.open(settings, 1);
		const first: string[] = [];
		const second: string[] = [];
		await pool.use(
			async (session) => session.note('> RETR a'),
			(lines) => first.push(...lines),
		);
		await pool.use(
			async (session) => session.note('> RETR b'),
			(lines) => second.push(...lines),
		);
		expect(first.map((line) => line.replace(/^\S+ /, ''))).toEqual(['> USER someone', '> RETR a']);
		expect(second.map((line) => line.replace(/^\S+ /, ''))).toEqual(['> RETR b']);
	});

	it('makes do with the connections it has when the server refuses one more, and says so', async () => {
		const first = fakeSession();
		jest
			.spyOn(RemoteSession, 'open')
			.mockResolvedValueOnce(first)
			.mockRejectedValue(
				new Error('421 There are too many connections from your internet address.'),
			);
		const pool = await SessionPool.open(settings, 4);
		const results = await Promise.all(
			Array.from({ length: 5 }, async (_, index) => await pool.use(async () => index)),
		);
		expect(results).toEqual([0, 1, 2, 3, 4]);
		expect(pool.connections).toBe(1);
		expect(first.log.tail().join('\n')).toContain(
			'Could not open connection 2 of 4; continuing with 1 (421 There are too many connections',
		);
	});

	it('gives an item whose open failed a connection that was released while it was opening', async () => {
		const first = fakeSession('[1]');
		let refuse: (error: Error) => void = () => undefined;
		jest
			.spyOn(RemoteSession, 'open')
			.mockResolvedValueOnce(first)
			.mockImplementationOnce(
				async () => await new Promise<RemoteSession>((_, reject) => (refuse = reject)),
			);
		const pool = await SessionPool.open(settings, 2);
		let finishFirst: () => void = () => undefined;
		const firstWork = pool.use(
			async () => await new Promise<void>((resolve) => (finishFirst = resolve)),
		);
		await tick();
		// The second work opens a connection; the first connection is released before that open fails.
		const secondWork = pool.use(async (session) => session);
		await tick();
		finishFirst();
		await firstWork;
		refuse(
			new Error(
				'530 Sorry, the maximum number of clients (1) from your host are already connected.',
			),
		);
		let timer: NodeJS.Timeout | undefined;
		const settled = await Promise.race([
			secondWork,
			new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 1000))),
		]);
		clearTimeout(timer);
		expect(settled).toBe(first);
		expect(first.log.tail().join('\n')).toContain(
			'The server allowed 1 connection. Could not open connection 2 of 2; continuing with 1 (530 Sorry',
		);
	});

	it('says once how many connections the server allowed, counting an open that succeeds after a refusal', async () => {
		const first = fakeSession('[1]');
		const second = fakeSession('[2]');
		let admitSecond: () => void = () => undefined;
		jest
			.spyOn(RemoteSession, 'open')
			.mockResolvedValueOnce(first)
			.mockImplementationOnce(
				async () =>
					await new Promise<RemoteSession>((resolve) => (admitSecond = () => resolve(second))),
			)
			.mockRejectedValue(new Error('421 Too many connections (2) from this IP'));
		const pool = await SessionPool.open(settings, 4);
		let finishFirst: () => void = () => undefined;
		const work = [
			pool.use(async () => await new Promise<void>((resolve) => (finishFirst = resolve))),
		];
		for (let index = 1; index < 8; index++) work.push(pool.use(async () => undefined));
		await tick();
		admitSecond();
		await tick();
		finishFirst();
		await Promise.all(work);
		expect(pool.connections).toBe(2);
		const lines = [...first.log.tail(), ...second.log.tail()].filter((line) =>
			line.includes('The server allowed'),
		);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain(
			'The server allowed 2 connections. Could not open connection 3 of 4; continuing with 2 (421 Too many',
		);
	});

	it('closes every connection it opened', async () => {
		const sessions: RemoteSession[] = [];
		jest.spyOn(RemoteSession, 'open').mockImplementation(async () => {
			const session = fakeSession();
			sessions.push(session);
			return session;
		});
		const pool = await SessionPool.open(settings, 2);
		await Promise.all([pool.use(tick), pool.use(tick)]);
		pool.close();
		expect(sessions.map((session) => (session as unknown as { closed: number }).closed)).toEqual([
			1, 1,
		]);
	});
});
