/**
 * Concurrency above what the server allows, through n8n's real execution context against a scripted server on
 * loopback: the server refuses the extra connections late (ProFTPD's 530 after USER, or connections accepted and
 * never greeted), after the first items have already finished on the connections it did allow. Every item must
 * still run, once, on those connections, and the execution must end.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { RemoteSession } from '../../nodes/FtpAutomation/transport';
import { scriptedFtpServer, type FtpScript, type ScriptedFtpServer } from '../helpers/fakeServers';
import { credentialsFor, runFtpNode, within } from '../helpers/nodeRun';

const ALLOWED = 2;
const ITEMS = 16;
const PATHS = Array.from(
	{ length: ITEMS },
	(_, index) => `/outbox/order-${String(index + 1).padStart(2, '0')}.csv`,
);
const TOO_MANY = `530 Sorry, the maximum number of clients (${ALLOWED}) from your host are already connected.`;

let server: ScriptedFtpServer | undefined;
const timers = new Set<NodeJS.Timeout>();

afterEach(async () => {
	jest.restoreAllMocks();
	for (const timer of timers) clearTimeout(timer);
	timers.clear();
	await server?.close();
	server = undefined;
});

/** Deletes PATHS with Concurrency 16 and returns the output and the log lines of every connection that opened. */
async function deleteAll(script: FtpScript, credentialOverrides: IDataObject = {}) {
	server = await scriptedFtpServer({
		...script,
		replies: { ...script.replies, DELE: '250 Delete operation successful.' },
	});
	const open = jest.spyOn(RemoteSession, 'open');
	const credentials = credentialsFor(
		{
			host: server.host,
			port: server.port,
			username: 'scripted-user',
			password: 'scripted-Pass-9',
			caCertificate: '',
		},
		'none',
		credentialOverrides,
	);
	const items: INodeExecutionData[] = PATHS.map((path) => ({ json: { path } }));
	const started = Date.now();
	const output = await within(
		20_000,
		runFtpNode(
			credentials,
			{
				operation: 'delete',
				path: '={{ $json.path }}',
				options: { concurrency: ITEMS, includeConnectionLog: true },
			},
			{ items },
		),
	);
	const elapsed = Date.now() - started;
	const opened = await Promise.allSettled(
		open.mock.results.map(async (result) => await (result.value as Promise<RemoteSession>)),
	);
	const sessions = opened.flatMap((result) =>
		result.status === 'fulfilled' ? [result.value] : [],
	);
	const sessionLog = sessions.flatMap((session) => session.log.tail(1000));
	return { output, sessions, sessionLog, elapsed };
}

function expectEveryItemDeletedOnce(output: INodeExecutionData[], commands: string[]): void {
	expect(output.map((item) => item.json.path)).toEqual(PATHS);
	expect(output.map((item) => item.json.deleted)).toEqual(PATHS.map(() => true));
	expect(output.map((item) => item.pairedItem)).toEqual(PATHS.map((_, item) => ({ item })));
	const deletes = commands.filter((command) => command.startsWith('DELE '));
	expect([...deletes].sort()).toEqual(PATHS.map((path) => `DELE ${path}`));
}

/** The one pool line that says how many connections the server allowed. */
function allowedLines(lines: string[]): string[] {
	return lines.filter((line) => line.includes('The server allowed'));
}

describe('Concurrency above what the server allows', () => {
	it('runs every item on the allowed connections when the server refuses the others late with 530 after USER', async () => {
		const { output, sessions, sessionLog } = await deleteAll({
			replies: {
				USER: (session) => {
					if (session.connection <= ALLOWED)
						return session.reply('331 Please specify the password.');
					// ProFTPD counts clients at login: by the time it says no, the first items have finished.
					const timer = setTimeout(() => session.reply(TOO_MANY), 200);
					timers.add(timer);
				},
			},
		});
		expectEveryItemDeletedOnce(output, server!.commands);
		expect(sessions).toHaveLength(ALLOWED);
		expect(server!.connections).toBe(ITEMS);
		const said = allowedLines(sessionLog);
		expect(said).toHaveLength(1);
		expect(said[0]).toContain(
			`The server allowed 2 connections. Could not open connection 3 of ${ITEMS}; continuing with 2`,
		);
		expect(said[0]).toContain('maximum number of clients (2)');
	});

	it('runs every item on the allowed connections when the others are accepted and never greeted', async () => {
		const { output, sessions, sessionLog, elapsed } = await deleteAll(
			{ greeting: (connection) => (connection <= ALLOWED ? '220 (scripted stand-in)' : undefined) },
			{ connectionTimeout: 1 },
		);
		expectEveryItemDeletedOnce(output, server!.commands);
		expect(sessions).toHaveLength(ALLOWED);
		// The refused opens wait out the 1 s Connection Timeout together, not one after another.
		expect(elapsed).toBeLessThan(10_000);
		const said = allowedLines(sessionLog);
		expect(said).toHaveLength(1);
		expect(said[0]).toContain(
			`The server allowed 2 connections. Could not open connection 3 of ${ITEMS}; continuing with 2`,
		);
		// Each item's own log shows its delete, whichever connection it ran on.
		const itemLogs = output.flatMap((item) => item.json.connectionLog as string[]);
		expect(itemLogs.filter((line) => line.includes('> DELE '))).toHaveLength(ITEMS);
	});
});
