/**
 * Recursive Delete never leaves the folder it was given, and recursive List never skips a real folder: against
 * ftp-srv (which shows a link to a folder as a folder and repeats any path in PWD, so it cannot tell links apart)
 * and against scripted servers that can tell (a PWD naming the real folder, as ProFTPD with ShowSymlinks off does;
 * MLSD unique facts; links listed as links, as vsftpd does).
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import type { ScriptedFtpServer } from '../helpers/fakeServers';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, pollNode } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';
import {
	changingCommands,
	scriptedListingServer,
	sendOverDataConnection,
	type ScriptedTree,
} from '../helpers/scriptedListings';

let ftpSrv: TestFtpServer;
let credentials: ICredentialDataDecryptedObject;
const onServer = (remotePath: string) => path.join(ftpSrv.root, remotePath);

beforeAll(async () => {
	await initBinaryData();
	ftpSrv = await startFtpServer({ security: 'none' });
	credentials = credentialsFor(ftpSrv, 'none');
});

afterAll(async () => {
	await ftpSrv.close();
	await cleanupBinaryData();
});

async function write(remotePath: string, content = 'x'): Promise<void> {
	await fsp.mkdir(path.dirname(onServer(remotePath)), { recursive: true });
	await fsp.writeFile(onServer(remotePath), content);
}

async function exists(remotePath: string): Promise<boolean> {
	return await fsp.lstat(onServer(remotePath)).then(
		() => true,
		() => false,
	);
}

const deleteRecursively = (folder: string, options: Record<string, unknown> = {}) => ({
	operation: 'delete',
	path: folder,
	options: { folder: true, recursive: true, ...options },
});

describe('ftp-srv: a link to a folder shown as a folder', () => {
	afterEach(async () => {
		for (const name of await fsp.readdir(ftpSrv.root))
			await fsp.rm(onServer(name), { recursive: true, force: true });
	});

	it('is never followed out of the folder being deleted: /jobs/tmp/home -> ../.. leaves the account untouched', async () => {
		await write('/important.db', 'precious');
		await write('/archive/a.csv');
		await write('/archive/b.csv');
		await write('/jobs/tmp/work/x.csv');
		await fsp.symlink('../..', onServer('/jobs/tmp/home'));

		const error = await failingRun(credentials, deleteRecursively('/jobs/tmp'));
		expect(error.message).toContain(
			'Refusing to delete "/jobs/tmp" recursively: "/jobs/tmp/home" lists exactly what "/" lists',
		);
		expect(error.message).toContain('Nothing was deleted.');
		expect(error.description).toContain(
			'Deleting through a link would delete files outside "/jobs/tmp"',
		);
		expect(await fsp.readFile(onServer('/important.db'), 'utf8')).toBe('precious');
		expect(await fsp.readdir(onServer('/archive'))).toEqual(['a.csv', 'b.csv']);
		expect(await exists('/jobs/tmp/work/x.csv')).toBe(true);
		expect(await exists('/jobs/tmp/home')).toBe(true);
	});

	it('still deletes a real tree, with its files, subfolders and a same-looking pair of folders of different content', async () => {
		await write('/keep.txt', 'keep');
		await write('/del/full/a/1.csv');
		await write('/del/full/b/2.csv', 'other');
		await fsp.mkdir(onServer('/del/full/a/empty'), { recursive: true });
		const [item] = await runFtpNode(credentials, deleteRecursively('/del/full'));
		expect(item.json).toEqual({ path: '/del/full', deleted: true });
		expect(await exists('/del/full')).toBe(false);
		expect(await fsp.readdir(onServer('/'))).toEqual(['del', 'keep.txt']);
	});
});

describe('ftp-srv: real folders nested under the same name (export/export/export/file.txt)', () => {
	beforeAll(async () => {
		await write('/x/x/x/file.txt', 'deep');
	});

	it('are all listed by a recursive List, however alike their listings look', async () => {
		const output = await runFtpNode(credentials, {
			operation: 'list',
			path: '/x',
			options: { recursive: true },
		});
		expect(output.map((item) => item.json.path)).toEqual(['/x/x', '/x/x/x', '/x/x/x/file.txt']);
	});

	it('are all watched by a recursive trigger', async () => {
		const items = await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: { path: '/x', recursive: true, options: { emitExisting: true } },
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		});
		expect(items?.map((item) => item.json.path)).toEqual(['/x/x/x/file.txt']);
	});
});

describe('servers that can tell a link from a folder', () => {
	const servers: ScriptedFtpServer[] = [];
	const serve = async (tree: ScriptedTree) => {
		const server = await scriptedListingServer(tree);
		servers.push(server);
		return {
			server,
			credentials: credentialsFor(
				{ host: server.host, port: server.port, username: 'u', password: 'scripted-Pass-1' },
				'none',
			),
		};
	};
	afterEach(async () => {
		await Promise.all(servers.splice(0).map(async (server) => await server.close()));
	});

	const line = (name: string, kind: '-' | 'd' | 'l' = '-', size = 5) =>
		`${kind}rwxr-xr-x 1 u u ${size} Nov 24 10:00 ${name}`;
	/** /jobs/tmp holds a file, a real subfolder, and `home`, a link to / that the listing shows as a folder. */
	const jobs: Record<string, string> = {
		'/': [line('important.db'), line('archive', 'd', 4096), line('jobs', 'd', 4096)].join('\r\n'),
		'/archive': line('a.csv'),
		'/jobs': line('tmp', 'd', 4096),
		'/jobs/tmp': [line('report.csv'), line('work', 'd', 4096), line('home', 'd', 4096)].join(
			'\r\n',
		),
		'/jobs/tmp/work': line('x.csv'),
	};
	/** Through the link, the server shows what is in / (the server resolves the link when it lists). */
	const listingThroughLink = (folder: string) => {
		const inside = /^\/jobs\/tmp\/home(\/.*)?$/.exec(folder);
		return inside ? jobs[inside[1] ?? '/'] : jobs[folder];
	};
	const neverInsideTheLink = (server: ScriptedFtpServer) =>
		server.commands.filter(
			(command) =>
				/\/jobs\/tmp\/home\//.test(command) || /(DELE|RMD).*(important|archive)/.test(command),
		);

	it('by PWD after CWD (ProFTPD with ShowSymlinks off): the link itself is removed, never entered, before anything else', async () => {
		const { server, credentials: scripted } = await serve({
			listing: listingThroughLink,
			pwd: (folder) =>
				folder.startsWith('/jobs/tmp/home') ? folder.replace('/jobs/tmp/home', '') || '/' : folder,
		});
		const [item] = await runFtpNode(scripted, {
			...deleteRecursively('/jobs/tmp'),
			options: { folder: true, recursive: true, includeConnectionLog: true },
		});
		expect(item.json).toMatchObject({ path: '/jobs/tmp', deleted: true });
		expect(changingCommands(server)).toEqual([
			'DELE /jobs/tmp/home',
			'DELE /jobs/tmp/work/x.csv',
			'RMD /jobs/tmp/work',
			'DELE /jobs/tmp/report.csv',
			'RMD /jobs/tmp',
		]);
		expect(neverInsideTheLink(server)).toEqual([]);
		expect((item.json.connectionLog as string[]).join('\n')).toContain(
			'"/jobs/tmp/home" is a link to "/" (the server says so)',
		);
	});

	it('by PWD after CWD: a link the server will not remove stops the delete before any file is gone', async () => {
		const { server, credentials: scripted } = await serve({
			listing: listingThroughLink,
			pwd: (folder) => (folder.startsWith('/jobs/tmp/home') ? '/' : folder),
			replies: {
				DELE: (session, argument) =>
					session.reply(argument === '/jobs/tmp/home' ? '550 Is a directory.' : '250 Deleted.'),
			},
		});
		const error = await failingRun(scripted, deleteRecursively('/jobs/tmp'));
		expect(error.message).toContain(
			'It is a link (to "/"), and only the link itself may be removed; nothing else was deleted.',
		);
		expect(changingCommands(server)).toEqual(['DELE /jobs/tmp/home']);
	});

	it('by MLSD unique facts: a folder with the unique fact of / is a link to it', async () => {
		const mlsd: Record<string, string> = {
			'/': 'type=cdir;unique=R; /\r\ntype=file;size=1;unique=I; important.db\r\ntype=dir;unique=J; jobs',
			'/jobs': 'type=cdir;unique=J; /jobs\r\ntype=dir;unique=T; tmp',
			'/jobs/tmp':
				'type=cdir;unique=T; /jobs/tmp\r\ntype=file;size=1;unique=F; report.csv\r\ntype=dir;unique=R; home',
		};
		const { server, credentials: scripted } = await serve({
			mlsd: true,
			listing: (folder) => (folder.startsWith('/jobs/tmp/home') ? mlsd['/'] : mlsd[folder]),
		});
		await runFtpNode(scripted, deleteRecursively('/jobs/tmp'));
		expect(changingCommands(server)).toEqual([
			'DELE /jobs/tmp/home',
			'DELE /jobs/tmp/report.csv',
			'RMD /jobs/tmp',
		]);
		expect(neverInsideTheLink(server)).toEqual([]);
	});

	it('by the MLSD parent (pdir) of its listing: a link to a folder outside every parent is removed itself, and List shows it as a link', async () => {
		// ProFTPD with ShowSymlinks off: the link `arch` is listed as a folder, but its own listing names its real parent.
		const mlsd: Record<string, string> = {
			'/': 'type=cdir;unique=R; /\r\ntype=dir;unique=A; archive\r\ntype=dir;unique=J; jobs',
			'/archive':
				'type=cdir;unique=A; /archive\r\ntype=pdir;unique=R; ..\r\ntype=file;size=1;unique=AC; a.csv',
			'/jobs': 'type=cdir;unique=J; /jobs\r\ntype=pdir;unique=R; ..\r\ntype=dir;unique=T; tmp',
			'/jobs/tmp':
				'type=cdir;unique=T; /jobs/tmp\r\ntype=pdir;unique=J; ..\r\ntype=dir;unique=A; arch\r\ntype=dir;unique=W; work',
			'/jobs/tmp/work':
				'type=cdir;unique=W; /jobs/tmp/work\r\ntype=pdir;unique=T; ..\r\ntype=file;size=1;unique=X; x.csv',
		};
		const { server, credentials: scripted } = await serve({
			mlsd: true,
			listing: (folder) =>
				folder.startsWith('/jobs/tmp/arch')
					? mlsd[folder.replace('/jobs/tmp/arch', '/archive')]
					: mlsd[folder],
		});
		const listed = await runFtpNode(scripted, {
			operation: 'list',
			path: '/jobs/tmp',
			options: { recursive: true },
		});
		expect(listed.map(({ json }) => [json.path, json.type])).toEqual([
			['/jobs/tmp/arch', 'symbolicLink'],
			['/jobs/tmp/work', 'directory'],
			['/jobs/tmp/work/x.csv', 'file'],
		]);
		server.commands.length = 0;
		await runFtpNode(scripted, deleteRecursively('/jobs/tmp'));
		expect(changingCommands(server)).toEqual([
			'DELE /jobs/tmp/arch',
			'DELE /jobs/tmp/work/x.csv',
			'RMD /jobs/tmp/work',
			'RMD /jobs/tmp',
		]);
		expect(server.commands.filter((command) => command.includes('a.csv'))).toEqual([]);
	});

	it('deletes a folder whose parent may not be listed (a drop box), judging by what it can see', async () => {
		const mlsd: Record<string, string> = {
			'/': 'type=cdir;unique=R; /\r\ntype=dir;unique=J; jobs',
			'/jobs/tmp':
				'type=cdir;unique=T; /jobs/tmp\r\ntype=pdir;unique=J; ..\r\ntype=file;size=1;unique=F; report.csv',
		};
		const { server, credentials: scripted } = await serve({
			mlsd: true,
			// /jobs can be entered but not listed.
			listing: (folder) => (folder === '/jobs' ? '' : mlsd[folder]),
			replies: {
				MLSD: async (session, argument) => {
					const folder = argument.trim() || '/';
					if (folder === '/jobs') return session.reply('550 Permission denied.');
					await sendOverDataConnection(session, mlsd[folder] ?? '');
				},
			},
		});
		await runFtpNode(scripted, deleteRecursively('/jobs/tmp'));
		expect(changingCommands(server)).toEqual(['DELE /jobs/tmp/report.csv', 'RMD /jobs/tmp']);
	});

	it('explains a folder that is still not empty after everything listed in it was deleted (entries the server hides)', async () => {
		const tree: Record<string, string> = {
			...jobs,
			'/jobs/tmp': [line('report.csv'), line('work', 'd', 4096)].join('\r\n'),
		};
		const { credentials: scripted } = await serve({
			listing: (folder) => tree[folder],
			replies: {
				RMD: (session, argument) =>
					session.reply(
						argument === '/jobs/tmp/work' ? `550 ${argument}: Directory not empty` : '250 Removed.',
					),
			},
		});
		const error = await failingRun(scripted, deleteRecursively('/jobs/tmp'));
		expect(error.message).toContain(
			'It still holds entries the server does not list (ProFTPD hides links that point outside the account, for one)',
		);
	});

	it('by the listing (vsftpd, pure-ftpd): a link listed as a link is removed itself', async () => {
		const tree: Record<string, string> = {
			...jobs,
			'/jobs/tmp': [line('report.csv'), line('home -> ../..', 'l', 5)].join('\r\n'),
		};
		const { server, credentials: scripted } = await serve({ listing: (folder) => tree[folder] });
		await runFtpNode(scripted, deleteRecursively('/jobs/tmp'));
		expect(changingCommands(server)).toEqual([
			'DELE /jobs/tmp/home',
			'DELE /jobs/tmp/report.csv',
			'RMD /jobs/tmp',
		]);
	});

	it('refuses, deleting nothing, when the server does not say where a folder is (PWD refused)', async () => {
		// PWD works at login (in the login folder /) and is refused everywhere else.
		const { server, credentials: scripted } = await serve({
			listing: (folder) => jobs[folder],
			pwd: (folder) => (folder === '/' ? '/' : undefined),
		});
		const error = await failingRun(scripted, deleteRecursively('/jobs/tmp'));
		expect(error.message).toContain('the server does not say where the folder really is');
		expect(error.message).toContain('Nothing was deleted.');
		expect(changingCommands(server)).toEqual([]);
	});

	it('refuses a folder that is itself a link', async () => {
		const { server, credentials: scripted } = await serve({
			listing: (folder) => jobs[folder],
			pwd: (folder) => (folder === '/jobs/tmp' ? '/archive' : folder),
		});
		const error = await failingRun(scripted, deleteRecursively('/jobs/tmp'));
		expect(error.message).toBe(
			'Refusing to delete "/jobs/tmp" recursively: it is a link to "/archive" (the server says so). Nothing was deleted.',
		);
		expect(changingCommands(server)).toEqual([]);
	});
});

describe('recursive Delete of trees without end', () => {
	const servers: ScriptedFtpServer[] = [];
	afterEach(async () => {
		await Promise.all(servers.splice(0).map(async (server) => await server.close()));
	});
	const endless = async (width: number) => {
		const server = await scriptedListingServer({
			listing: (folder) =>
				Array.from(
					{ length: width },
					(_, index) => `drwxr-xr-x 2 u u ${4096 + folder.length} Nov 24 10:00 sub${index}`,
				).join('\r\n'),
		});
		servers.push(server);
		return {
			server,
			credentials: credentialsFor(
				{ host: server.host, port: server.port, username: 'u', password: 'scripted-Pass-1' },
				'none',
			),
		};
	};

	it('stops at the depth limit when every folder holds a new folder, deleting nothing', async () => {
		const { server, credentials: scripted } = await endless(1);
		const error = await failingRun(scripted, deleteRecursively('/top'));
		expect(error.message).toMatch(
			/^Refusing to delete "\/top" recursively: it is nested more than 50 levels deep at "\/top(\/sub0){50}"/,
		);
		expect(changingCommands(server)).toEqual([]);
	}, 60_000);

	it('stops at Max Folders when every folder holds three new folders, deleting nothing', async () => {
		const { server, credentials: scripted } = await endless(3);
		const error = await failingRun(scripted, deleteRecursively('/top', { maxFolders: 100 }));
		expect(error.message).toBe(
			'The folder "/top" holds more than 100 folders (Max Folders). Nothing was deleted.',
		);
		expect(changingCommands(server)).toEqual([]);
	}, 60_000);
});
