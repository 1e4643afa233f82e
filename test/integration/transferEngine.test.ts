/**
 * The transfer engine through n8n's real execution context against an in-process ftp-srv: Concurrency (a bounded
 * pool of reused connections, results in input order), concurrent recursive listing, safe uploads (temporary name,
 * then rename), If File Exists, and After Download. Faults (dropped connections, retries, resume) are in
 * transferFaults.test.ts.
 */
import { Client } from 'basic-ftp';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { RemoteSession } from '../../nodes/FtpAutomation/transport';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { binaryItem, cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, runFtpNode, sha256 } from '../helpers/nodeRun';

let server: TestFtpServer;
let credentials: ICredentialDataDecryptedObject;
const onServer = (remotePath: string) => path.join(server.root, remotePath);

beforeAll(async () => {
	await initBinaryData();
	server = await startFtpServer({ security: 'explicit' });
	credentials = credentialsFor(server, 'explicit');
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

afterEach(() => jest.restoreAllMocks());

/** Counts the connections the node opens and the most transfers running at the same moment. */
function watchConnectionsAndTransfers(): {
	opened: () => number;
	closed: () => number;
	mostAtOnce: () => number;
} {
	const open = jest.spyOn(RemoteSession, 'open');
	const close = jest.spyOn(RemoteSession.prototype, 'close');
	let running = 0;
	let most = 0;
	for (const method of ['downloadTo', 'uploadFrom', 'list', 'remove'] as const) {
		const original = Client.prototype[method] as (...args: unknown[]) => Promise<unknown>;
		jest.spyOn(Client.prototype, method).mockImplementation(async function (
			this: Client,
			...args: unknown[]
		) {
			running++;
			most = Math.max(most, running);
			try {
				return await original.apply(this, args);
			} finally {
				running--;
			}
		} as never);
	}
	return {
		opened: () => open.mock.calls.length,
		closed: () => close.mock.calls.length,
		mostAtOnce: () => most,
	};
}

async function writeFiles(folder: string, count: number): Promise<Map<string, string>> {
	const hashes = new Map<string, string>();
	await fsp.mkdir(onServer(folder), { recursive: true });
	for (let index = 0; index < count; index++) {
		const name = `file-${String(index).padStart(2, '0')}.bin`;
		const content = Buffer.alloc(64 * 1024 + index, index);
		await fsp.writeFile(onServer(`${folder}/${name}`), content);
		hashes.set(`/${folder}/${name}`, sha256(content));
	}
	return hashes;
}

const pathItems = (paths: string[]): INodeExecutionData[] =>
	paths.map((remotePath) => ({ json: { remotePath } }));

describe('Concurrency', () => {
	it('downloads many items over at most that many reused connections, output in input order and paired', async () => {
		const hashes = await writeFiles('many', 12);
		const paths = [...hashes.keys()].reverse();
		const watch = watchConnectionsAndTransfers();
		const output = await runFtpNode(
			credentials,
			{ operation: 'download', path: '={{ $json.remotePath }}', options: { concurrency: 4 } },
			{ items: pathItems(paths) },
		);
		expect(output.map((item) => item.json.path)).toEqual(paths);
		expect(output.map((item) => item.pairedItem)).toEqual(paths.map((_, item) => ({ item })));
		for (const item of output)
			expect(sha256(await readBinary(item.binary!.data))).toBe(
				hashes.get(item.json.path as string),
			);
		expect(watch.opened()).toBe(4);
		expect(watch.mostAtOnce()).toBeGreaterThan(1);
		expect(watch.mostAtOnce()).toBeLessThanOrEqual(4);
		expect(watch.closed()).toBe(4);
	});

	it('opens no more connections than there are items, and one by default', async () => {
		await writeFiles('few', 2);
		let watch = watchConnectionsAndTransfers();
		await runFtpNode(
			credentials,
			{ operation: 'download', path: '={{ $json.remotePath }}', options: { concurrency: 16 } },
			{ items: pathItems(['/few/file-00.bin', '/few/file-01.bin']) },
		);
		expect(watch.opened()).toBeLessThanOrEqual(2);
		jest.restoreAllMocks();
		watch = watchConnectionsAndTransfers();
		await runFtpNode(
			credentials,
			{ operation: 'download', path: '={{ $json.remotePath }}' },
			{ items: pathItems(['/few/file-00.bin', '/few/file-01.bin']) },
		);
		expect(watch.opened()).toBe(1);
		expect(watch.mostAtOnce()).toBe(1);
	});

	it('uploads and deletes concurrently, each item paired to its own result', async () => {
		const items = await Promise.all(
			Array.from({ length: 8 }, async (_, index) => {
				const item = await binaryItem(Buffer.from(`report ${index}\n`), `r${index}.txt`);
				return { ...item, json: { remotePath: `/parallel/up/r${index}.txt` } };
			}),
		);
		const watch = watchConnectionsAndTransfers();
		const uploaded = await runFtpNode(
			credentials,
			{ operation: 'upload', path: '={{ $json.remotePath }}', options: { concurrency: 3 } },
			{ items },
		);
		expect(uploaded.map((item) => item.json.path)).toEqual(
			items.map((item) => item.json.remotePath),
		);
		for (let index = 0; index < 8; index++) {
			expect(await fsp.readFile(onServer(`parallel/up/r${index}.txt`), 'utf8')).toBe(
				`report ${index}\n`,
			);
		}
		expect(watch.opened()).toBe(3);
		expect(watch.mostAtOnce()).toBeGreaterThan(1);

		const deleted = await runFtpNode(
			credentials,
			{ operation: 'delete', path: '={{ $json.remotePath }}', options: { concurrency: 3 } },
			{ items },
		);
		expect(deleted.map((item) => item.json)).toEqual(
			items.map((item) => ({ path: item.json.remotePath, deleted: true })),
		);
		expect(await fsp.readdir(onServer('parallel/up'))).toEqual([]);
	});

	it('with Continue On Fail, a failing item keeps its place among concurrent results', async () => {
		await writeFiles('mixed', 3);
		const paths = ['/mixed/file-00.bin', '/mixed/missing.bin', '/mixed/file-02.bin'];
		const output = await runFtpNode(
			credentials,
			{ operation: 'download', path: '={{ $json.remotePath }}', options: { concurrency: 3 } },
			{ items: pathItems(paths), continueOnFail: true },
		);
		expect(output.map((item) => item.json.path ?? 'error')).toEqual([
			'/mixed/file-00.bin',
			'error',
			'/mixed/file-02.bin',
		]);
		expect(output[1].json.error).toMatch(/missing\.bin/);
		expect(output[1].pairedItem).toEqual({ item: 1 });
	});

	it('without Continue On Fail, fails with the first failing item in input order', async () => {
		await writeFiles('stop', 2);
		const paths = [
			'/stop/file-00.bin',
			'/stop/gone-1.bin',
			'/stop/gone-2.bin',
			'/stop/file-01.bin',
		];
		await expect(
			runFtpNode(
				credentials,
				{ operation: 'download', path: '={{ $json.remotePath }}', options: { concurrency: 4 } },
				{ items: pathItems(paths) },
			),
		).rejects.toThrow(/gone-1\.bin/);
	});

	it('lists a folder tree concurrently with the same result and order as one connection', async () => {
		for (const folder of ['tree/a/x', 'tree/a/y', 'tree/b', 'tree/c/z/deep']) {
			await fsp.mkdir(onServer(folder), { recursive: true });
			await fsp.writeFile(onServer(`${folder}/f.txt`), folder);
		}
		const sequential = await runFtpNode(credentials, {
			operation: 'list',
			path: '/tree',
			options: { recursive: true },
		});
		const watch = watchConnectionsAndTransfers();
		const concurrent = await runFtpNode(credentials, {
			operation: 'list',
			path: '/tree',
			options: { recursive: true, concurrency: 4 },
		});
		expect(concurrent.map((item) => item.json.path)).toEqual(
			sequential.map((item) => item.json.path),
		);
		expect(concurrent.map((item) => item.json.path)).toContain('/tree/c/z/deep/f.txt');
		expect(watch.opened()).toBeLessThanOrEqual(4);
		expect(watch.opened()).toBeGreaterThan(1);
		expect(watch.mostAtOnce()).toBeGreaterThan(1);
	});

	it('labels the lines of each connection in the connection log', async () => {
		await writeFiles('labelled', 4);
		const output = await runFtpNode(
			credentials,
			{
				operation: 'download',
				path: '={{ $json.remotePath }}',
				options: { concurrency: 2, includeConnectionLog: true },
			},
			{
				items: pathItems([
					'/labelled/file-00.bin',
					'/labelled/file-01.bin',
					'/labelled/file-02.bin',
					'/labelled/file-03.bin',
				]),
			},
		);
		const logs = output.map((item) => item.json.connectionLog as string[]);
		for (const log of logs) {
			expect(log.every((line) => /^\S+ \[[12]\] /.test(line))).toBe(true);
			expect(log.join('\n')).toMatch(/Downloaded "\/labelled\/file-0\d\.bin": \d+ bytes/);
		}
		// Each connection's login shows once, in the first item that used it.
		expect(logs.flat().filter((line) => line.includes('> USER '))).toHaveLength(2);
	});
});

describe('safe uploads', () => {
	const upload = async (remotePath: string, content: string, options: object = {}) =>
		await runFtpNode(credentials, {
			operation: 'upload',
			path: remotePath,
			binaryData: false,
			fileContent: content,
			options: { includeConnectionLog: true, ...options },
		});

	it('writes a hidden temporary file, checks its size, renames it onto the target, and leaves nothing behind', async () => {
		const [result] = await upload('/safe/report.csv', 'a,b\n1,2\n');
		expect(result.json).toMatchObject({ path: '/safe/report.csv', size: 8 });
		const log = (result.json.connectionLog as string[]).join('\n');
		const temporary = /STOR (\/safe\/\.report\.csv\.[0-9a-f]{8}\.part)/.exec(log)?.[1];
		expect(temporary).toBeDefined();
		expect(log).toContain(`SIZE ${temporary}`);
		expect(log).toContain(`RNFR ${temporary}`);
		expect(log).toContain('RNTO /safe/report.csv');
		expect(await fsp.readdir(onServer('safe'))).toEqual(['report.csv']);
		expect(await fsp.readFile(onServer('safe/report.csv'), 'utf8')).toBe('a,b\n1,2\n');
	});

	it('replaces an existing file by default', async () => {
		await upload('/safe/replace.txt', 'old content that is longer');
		const [result] = await upload('/safe/replace.txt', 'new');
		expect(result.json).toMatchObject({ path: '/safe/replace.txt', size: 3 });
		expect(await fsp.readFile(onServer('safe/replace.txt'), 'utf8')).toBe('new');
	});

	it('with Safe Upload off, writes straight to the target', async () => {
		const [result] = await upload('/safe/direct.txt', 'direct', { atomicUpload: false });
		expect((result.json.connectionLog as string[]).join('\n')).toContain('STOR /safe/direct.txt');
		expect(await fsp.readdir(onServer('safe'))).not.toContainEqual(
			expect.stringMatching(/\.part$/),
		);
		expect(await fsp.readFile(onServer('safe/direct.txt'), 'utf8')).toBe('direct');
	});

	it('If File Exists: Skip leaves the file alone and says so; a missing file is uploaded', async () => {
		await upload('/exists/keep.txt', 'original');
		const [skipped] = await upload('/exists/keep.txt', 'replacement', { ifExists: 'skip' });
		expect(skipped.json).toMatchObject({ path: '/exists/keep.txt', size: 8, skipped: true });
		expect(await fsp.readFile(onServer('exists/keep.txt'), 'utf8')).toBe('original');
		const [fresh] = await upload('/exists/new.txt', 'fresh', { ifExists: 'skip' });
		expect(fresh.json).toMatchObject({ path: '/exists/new.txt', size: 5 });
		expect(fresh.json.skipped).toBeUndefined();
	});

	it('If File Exists: Fail names the file and changes nothing', async () => {
		await upload('/exists/taken.txt', 'first');
		await expect(upload('/exists/taken.txt', 'second', { ifExists: 'error' })).rejects.toThrow(
			'"/exists/taken.txt" already exists on the server (5 bytes)',
		);
		expect(await fsp.readFile(onServer('exists/taken.txt'), 'utf8')).toBe('first');
		expect(
			(await fsp.readdir(onServer('exists'))).filter((name) => name.endsWith('.part')),
		).toEqual([]);
	});

	it('If File Exists: Append adds to the end with APPE, and creates a missing file', async () => {
		await upload('/exists/log.txt', 'line 1\n');
		const [appended] = await upload('/exists/log.txt', 'line 2\n', { ifExists: 'append' });
		expect(appended.json).toMatchObject({ path: '/exists/log.txt', size: 7, appended: true });
		expect((appended.json.connectionLog as string[]).join('\n')).toContain('APPE /exists/log.txt');
		expect(await fsp.readFile(onServer('exists/log.txt'), 'utf8')).toBe('line 1\nline 2\n');
		await upload('/exists/started.txt', 'first\n', { ifExists: 'append' });
		expect(await fsp.readFile(onServer('exists/started.txt'), 'utf8')).toBe('first\n');
	});

	it('refuses to treat a folder as the target file', async () => {
		await fsp.mkdir(onServer('exists/folder.txt'), { recursive: true });
		await expect(upload('/exists/folder.txt', 'x', { ifExists: 'skip' })).rejects.toThrow(
			'"/exists/folder.txt" is a folder, not a file',
		);
	});
});

describe('safe uploads on a server that will not rename onto an existing file', () => {
	let strict: TestFtpServer;
	let strictCredentials: ICredentialDataDecryptedObject;
	/** Renames onto an existing file are refused (as by ProFTPD without AllowOverwrite); "locked.txt" cannot be renamed at all. */
	beforeAll(async () => {
		strict = await startFtpServer({
			security: 'none',
			refuseRename: (from, to, targetExists) =>
				[from, to].some((name) => name.endsWith('/locked.txt'))
					? 'Permission denied'
					: targetExists
						? 'File exists'
						: undefined,
		});
		strictCredentials = credentialsFor(strict, 'none');
	});
	afterAll(async () => await strict.close());

	const uploadTo = async (remotePath: string, content: string) =>
		await runFtpNode(strictCredentials, {
			operation: 'upload',
			path: remotePath,
			binaryData: false,
			fileContent: content,
			options: { includeConnectionLog: true },
		});
	const leftovers = async () =>
		(await fsp.readdir(path.join(strict.root, 'strict'))).filter((name) => name.startsWith('.'));

	it('replaces the file by moving the old one aside first, and removes it once the new one is in place', async () => {
		await uploadTo('/strict/report.csv', 'old content');
		const [result] = await uploadTo('/strict/report.csv', 'new content');
		expect(await fsp.readFile(path.join(strict.root, 'strict/report.csv'), 'utf8')).toBe(
			'new content',
		);
		const log = (result.json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/RNTO \/strict\/\.report\.csv\.[0-9a-f]{8}\.old/);
		expect(log).toContain(
			'Replaced the existing "/strict/report.csv": moved it aside, renamed the upload onto it',
		);
		expect(await leftovers()).toEqual([]);
	});

	it('when the rename is refused for another reason, the old file stays as it was and nothing is left behind', async () => {
		await fsp.mkdir(path.join(strict.root, 'strict'), { recursive: true });
		await fsp.writeFile(path.join(strict.root, 'strict/locked.txt'), 'the original');
		await expect(uploadTo('/strict/locked.txt', 'replacement')).rejects.toThrow(/locked\.txt/);
		expect(await fsp.readFile(path.join(strict.root, 'strict/locked.txt'), 'utf8')).toBe(
			'the original',
		);
		expect(await leftovers()).toEqual([]);
	});
});

describe('After Download', () => {
	it('keeps the file by default', async () => {
		await fsp.mkdir(onServer('after'), { recursive: true });
		await fsp.writeFile(onServer('after/keep.csv'), 'k');
		const [result] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/after/keep.csv',
		});
		expect(result.json).toEqual({ path: '/after/keep.csv', size: 1 });
		expect(await fsp.readFile(onServer('after/keep.csv'), 'utf8')).toBe('k');
	});

	it('deletes the file once the binary is stored', async () => {
		await fsp.mkdir(onServer('after'), { recursive: true });
		await fsp.writeFile(onServer('after/once.csv'), 'id\n1\n');
		const [result] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/after/once.csv',
			options: { afterDownload: 'delete' },
		});
		expect(result.json).toEqual({ path: '/after/once.csv', size: 5, deleted: true });
		expect((await readBinary(result.binary!.data)).toString()).toBe('id\n1\n');
		await expect(fsp.stat(onServer('after/once.csv'))).rejects.toThrow(/ENOENT/);
	});

	it('moves the file into a folder it creates, once the binary is stored', async () => {
		await fsp.mkdir(onServer('after'), { recursive: true });
		await fsp.writeFile(onServer('after/move.csv'), 'm');
		const [result] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/after/move.csv',
			options: { afterDownload: 'moveTo', moveToFolder: '/after/archive/2026' },
		});
		expect(result.json).toEqual({
			path: '/after/move.csv',
			size: 1,
			movedTo: '/after/archive/2026/move.csv',
		});
		expect(await fsp.readFile(onServer('after/archive/2026/move.csv'), 'utf8')).toBe('m');
		await expect(fsp.stat(onServer('after/move.csv'))).rejects.toThrow(/ENOENT/);
	});

	it('does nothing to the file when the download fails, and an empty Move to Folder is refused before anything moves', async () => {
		await expect(
			runFtpNode(credentials, {
				operation: 'download',
				path: '/after/absent.csv',
				options: { afterDownload: 'delete' },
			}),
		).rejects.toThrow(/absent\.csv/);
		await fsp.writeFile(onServer('after/stay.csv'), 's');
		await expect(
			runFtpNode(credentials, {
				operation: 'download',
				path: '/after/stay.csv',
				options: { afterDownload: 'moveTo', moveToFolder: '' },
			}),
		).rejects.toThrow(/Move to Folder/);
		expect(await fsp.readFile(onServer('after/stay.csv'), 'utf8')).toBe('s');
	});
});
