/**
 * Listings a broken or hostile server sends, through the node and the trigger in n8n's real execution context,
 * against a scripted server that sends exactly those lines (test/helpers/scriptedListings.ts): names that make
 * paths outside the listed folder, a bad MLSD fact, listings and trees without end, overlong replies, and a password
 * echoed across two TCP segments.
 */
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import type { ScriptedFtpServer } from '../helpers/fakeServers';
import { cleanupBinaryData, initBinaryData, pollNode } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode, within } from '../helpers/nodeRun';
import {
	changingCommands,
	scriptedListingServer,
	type ScriptedTree,
} from '../helpers/scriptedListings';
import { logOf as errorLogOf } from '../helpers/shownError';

const PASSWORD = 'S3cr3t-Pw';
const servers: ScriptedFtpServer[] = [];

async function serve(
	tree: ScriptedTree,
): Promise<{ server: ScriptedFtpServer; credentials: ICredentialDataDecryptedObject }> {
	const server = await scriptedListingServer(tree);
	servers.push(server);
	const target = { host: server.host, port: server.port, username: 'partner', password: PASSWORD };
	return { server, credentials: credentialsFor(target, 'none', { connectionTimeout: 5 }) };
}

beforeAll(async () => {
	await initBinaryData();
});

afterEach(async () => {
	await Promise.all(servers.splice(0).map(async (server) => await server.close()));
});

afterAll(async () => {
	await cleanupBinaryData();
});

const logOf = (item: INodeExecutionData) => (item.json.connectionLog as string[]).join('\n');

const onlyRoot = (path: string) => (path === '/' ? '' : undefined);
const unixLine = (name: string, kind = '-', size = 5) =>
	`${kind}rw-r--r-- 1 ftp ftp ${size} Nov 24 10:00 ${name}`;

describe('names in a listing that would make paths outside the listed folder', () => {
	const hostileInbox = (path: string) =>
		path === '/'
			? unixLine('in', 'd', 4096)
			: path === '/in'
				? [
						unixLine('../../etc/passwd'),
						unixLine('a/b.txt'),
						unixLine('cr\rname.txt'),
						unixLine('..', 'd', 4096),
						unixLine('good.csv'),
					].join('\r\n')
				: undefined;

	it('are left out of List (and counted in the log), never normalised into another path', async () => {
		const { credentials } = await serve({ listing: hostileInbox });
		const output = await runFtpNode(credentials, {
			operation: 'list',
			path: '/in',
			options: { includeConnectionLog: true },
		});
		expect(output.map((item) => item.json.path)).toEqual(['/in/good.csv']);
		expect(logOf(output[0])).toContain(
			'Left out 3 entries of "/in" whose name is not a plain name in it',
		);
		expect(logOf(output[0])).toContain('"../../etc/passwd"');
	});

	it('never reach the trigger, so After Download never touches a path outside the folder', async () => {
		const { server, credentials } = await serve({
			listing: hostileInbox,
			files: { '/in/good.csv': 'a,b\n' },
		});
		const items = await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: {
				path: '/in',
				options: { emitExisting: true, download: true, afterDownload: 'delete' },
			},
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		});
		expect(items?.map((item) => item.json.path)).toEqual(['/in/good.csv']);
		expect(changingCommands(server)).toEqual(['DELE /in/good.csv']);
		expect(server.commands.filter((command) => /etc\/passwd|b\.txt|\bcr\b/.test(command))).toEqual(
			[],
		);
	});

	it('a downloaded file name never carries a path separator of either kind', async () => {
		const { credentials } = await serve({
			listing: onlyRoot,
			files: { '/in/..\\..\\evil.csv': 'x' },
		});
		const [item] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/in/..\\..\\evil.csv',
		});
		expect(item.binary?.data.fileName).toBe('.._.._evil.csv');
	});
});

describe('MLSD facts that make no sense', () => {
	const mlsd = (path: string) =>
		path === '/in'
			? [
					'type=cdir;unique=801U1; /in',
					'type=file;size=5;modify=garbage;unique=801U2; bad-time.csv',
					'type=file;size=-5;modify=20261101100000;unique=801U3; negative.csv',
					'type=file;size=99999999999999999999;modify=20261101100000; huge.csv',
					'type=file;size=7;modify=20261301100000; month-13.csv',
					'type=file;size=7;modify=20261101100000;unix.mode=0644; fine.csv',
				].join('\r\n')
			: path === '/'
				? 'type=dir;modify=20261101100000; in'
				: undefined;

	it('cost one field each (null), with a log line; the rest of the listing stands', async () => {
		const { credentials } = await serve({ listing: mlsd, mlsd: true });
		const output = await runFtpNode(credentials, {
			operation: 'list',
			path: '/in',
			options: { includeConnectionLog: true },
		});
		expect(output.map(({ json }) => [json.name, json.size, json.modifiedAt])).toEqual([
			['bad-time.csv', 5, null],
			['negative.csv', null, '2026-11-01T10:00:00.000Z'],
			['huge.csv', null, '2026-11-01T10:00:00.000Z'],
			['month-13.csv', 7, null],
			['fine.csv', 7, '2026-11-01T10:00:00.000Z'],
		]);
		expect(logOf(output[0])).toContain(
			'Ignored 4 MLSD facts of "/in" that make no sense (that field is null): "bad-time.csv": "modify=garbage"',
		);
	});

	it('do not fail the trigger poll of that folder', async () => {
		const { credentials } = await serve({ listing: mlsd, mlsd: true });
		const items = await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: { path: '/in', options: { emitExisting: true } },
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		});
		expect(items?.map((item) => item.json.name).sort()).toEqual([
			'bad-time.csv',
			'fine.csv',
			'huge.csv',
			'month-13.csv',
			'negative.csv',
		]);
	});
});

describe('a SIZE reply that makes no sense', () => {
	it.each(['-5', '99999999999999999999'])(
		'(%s) is ignored with a log line; the download is not judged by it',
		async (size) => {
			const { credentials } = await serve({
				listing: onlyRoot,
				files: { '/report.csv': 'a,b\n1,2\n' },
				replies: { SIZE: (session) => session.reply(`213 ${size}`) },
			});
			const [item] = await runFtpNode(credentials, {
				operation: 'download',
				path: '/report.csv',
				options: { includeConnectionLog: true },
			});
			expect(item.json).toMatchObject({ path: '/report.csv', size: 8 });
			expect(logOf(item)).toContain('Ignored the size the server reported for "/report.csv"');
		},
	);
});

describe('bounds on what a listing or walk may cost', () => {
	it('refuses a listing of 1,000,000 entries before reading them into memory (default Max Entries per Folder)', async () => {
		const huge = Array.from(
			{ length: 1_000_000 },
			(_, index) => `type=file;size=1; f${index}`,
		).join('\r\n');
		const { credentials } = await serve({
			listing: (path) => (path === '/big' ? huge : path === '/' ? 'type=dir; big' : undefined),
			mlsd: true,
		});
		const error = await failingRun(credentials, { operation: 'list', path: '/big' });
		expect(error.message).toBe(
			'The folder "/big" holds more than 100000 entries (the server listed 1000000)',
		);
		expect(error.description).toContain('Raise Max Entries per Folder');
	});

	it('refuses more entries than Max Entries per Folder, and lists that many', async () => {
		const eleven = Array.from({ length: 11 }, (_, index) => unixLine(`f${index}.csv`)).join('\r\n');
		const { credentials } = await serve({ listing: (path) => (path === '/' ? eleven : undefined) });
		const error = await failingRun(credentials, {
			operation: 'list',
			path: '/',
			options: { maxEntriesPerFolder: 10 },
		});
		expect(error.message).toBe('The folder "/" holds more than 10 entries (the server listed 11)');
		expect(
			await runFtpNode(credentials, {
				operation: 'list',
				path: '/',
				options: { maxEntriesPerFolder: 11 },
			}),
		).toHaveLength(11);
	});

	/** A tree where every folder holds `width` new folders, made up as it is listed. */
	const endlessTree = (width: number) => (path: string) =>
		Array.from({ length: width }, (_, index) =>
			unixLine(`sub${index}`, 'd', 4096 + path.length),
		).join('\r\n');

	it('stops a recursive List of a tree without end at Max Folders, with an explained error', async () => {
		const { credentials } = await serve({ listing: endlessTree(3) });
		const error = await within(
			20_000,
			failingRun(credentials, {
				operation: 'list',
				path: '/',
				options: { recursive: true, maxFolders: 200 },
			}),
		);
		expect(error.message).toBe('The folder "/" holds more than 200 folders (Max Folders)');
		expect(error.description).toContain('Raise Max Folders');
	});

	it('stops a recursive List at its Time Limit, with an explained error', async () => {
		const { credentials } = await serve({ listing: endlessTree(3), replies: {} });
		const started = Date.now();
		const error = await within(
			20_000,
			failingRun(credentials, {
				operation: 'list',
				path: '/',
				options: { recursive: true, timeLimit: 1 },
			}),
		);
		expect(error.message).toMatch(
			/^Walking through "\/" took longer than 1 s \(Time Limit\), after listing \d+ folders$/,
		);
		expect(Date.now() - started).toBeLessThan(10_000);
	});

	it('stops the trigger at Max Folders too', async () => {
		const { credentials } = await serve({ listing: endlessTree(3) });
		const poll = pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: { path: '/', recursive: true, options: { maxFolders: 100 } },
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		});
		await expect(within(20_000, poll)).rejects.toThrow(
			'The folder "/" holds more than 100 folders (Max Folders)',
		);
	});

	it('lists a chain of folders without end down to the depth limit, and says so in the log', async () => {
		const { credentials } = await serve({ listing: endlessTree(1) });
		const output = await within(
			30_000,
			runFtpNode(credentials, {
				operation: 'list',
				path: '/',
				options: { recursive: true, includeConnectionLog: true },
			}),
		);
		expect(output).toHaveLength(50);
		expect(output[49].json.path).toBe(`/${Array.from({ length: 50 }, () => 'sub0').join('/')}`);
		expect(logOf(output[0])).toContain('levels below "/" (the depth limit');
	});

	it('quotes at most a bounded part of an overlong reply in the error and its log tail', async () => {
		const long = `550 ${'x'.repeat(60_000)}`;
		const { credentials } = await serve({
			listing: onlyRoot,
			replies: { DELE: (session) => session.reply(long) },
		});
		const error = await failingRun(credentials, { operation: 'delete', path: '/a.txt' });
		expect(error.message.length).toBeLessThan(2_000);
		expect(error.message).toContain('more characters)');
		expect((error.description ?? '').length).toBeLessThan(30_000);
	});

	it('bounds the error of a 10 MB reply line too', async () => {
		const { credentials } = await serve({
			listing: onlyRoot,
			replies: { DELE: (session) => session.write(`550 ${'y'.repeat(10 * 1024 * 1024)}\r\n`) },
		});
		const error = await failingRun(credentials, { operation: 'delete', path: '/a.txt' });
		expect(error.message.length).toBeLessThan(2_000);
		expect((error.description ?? '').length).toBeLessThan(30_000);
	});
});

describe('a password the server echoes in a reply split across two TCP segments', () => {
	it('is redacted as a whole line, in the message and in the log tail', async () => {
		const { credentials } = await serve({
			listing: () => '',
			replies: {
				PASS: (session) => {
					session.write(
						`530 Login incorrect for user partner with password ${PASSWORD.slice(0, 5)}`,
					);
					setTimeout(() => session.write(`${PASSWORD.slice(5)} (try again)\r\n`), 50);
				},
			},
		});
		const error = await failingRun(credentials, { operation: 'list', path: '/' });
		const everything = `${error.message}\n${error.description ?? ''}\n${error.stack ?? ''}\n${errorLogOf(error)}`;
		expect(error.message).toContain('Wrong username or password');
		expect(errorLogOf(error)).toContain('with password *** (try again)');
		for (const part of [PASSWORD, PASSWORD.slice(0, 5), PASSWORD.slice(5)])
			expect(everything).not.toContain(part);
	});
});
