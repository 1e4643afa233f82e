/**
 * Every operation of the node over SFTP against two real servers on loopback — OpenSSH's sshd (internal-sftp) and
 * ProFTPD's mod_sftp, started by scripts/sftp-servers.sh — through n8n's real execution context: results compared
 * with the files on disk (SHA-256), nothing outside the target touched, safe uploads leaving no temporary file, a
 * the trigger emitting a new file once, and Concurrency 16 against OpenSSH's default MaxStartups. Keys, host keys,
 * failures, secrets and transfers cut mid-way: sftpFailures.test.ts.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/sftp`. A server that cannot
 * start fails the suite.
 */
import { createReadStream, promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import {
	binaryFilePath,
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	pollNode,
	readBinary,
} from '../../tools/n8nHarness';
import { failingRun, runFtpNode, sha256, sha256OfFile, writeRandomFile } from '../helpers/nodeRun';
import {
	makeFolderAsSftpUser,
	sftpCredentialsFor,
	sftpOnDisk,
	startSftpInteropServers,
	writeAsSftpUser,
	type SftpInteropInstance,
	type SftpInteropInstanceName,
	type SftpInteropServers,
} from '../helpers/sftpInteropServers';

const INSTANCES: Array<{ name: SftpInteropInstanceName }> = [
	{ name: 'openssh' },
	{ name: 'proftpd-sftp' },
];
const FIVE_MIB = 5 * 1024 * 1024;
const UTF8_NAME = 'Bericht März 東京.txt';
const FIXED_MTIME = new Date('2024-03-05T06:07:08Z');

let run: SftpInteropServers;
let scratch: string;
let largeFile: string;
let largeFileHash: string;

beforeAll(async () => {
	await initBinaryData();
	scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'sftp-interop-test-'));
	largeFile = path.join(scratch, 'large.bin');
	largeFileHash = await writeRandomFile(largeFile, FIVE_MIB);
	run = await startSftpInteropServers();
}, 120_000);

afterAll(async () => {
	await run?.stop();
	if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
	await cleanupBinaryData();
}, 60_000);

const credentialsFor = sftpCredentialsFor;

/** A remote path as the client sees it (sshd: the data folder's absolute path; ProFTPD: `/`, jailed). */
const remoteOf = (server: SftpInteropInstance, relative: string) =>
	path.posix.join(server.homeDirectory, relative);

/** The output items' JSON without the connection log. */
const jsonOf = (output: INodeExecutionData[]) =>
	output.map(({ json }) =>
		Object.fromEntries(Object.entries(json).filter(([key]) => key !== 'connectionLog')),
	);

/**
 * Everything in the data folder: relative path → 'dir', 'link → target' or the file's SHA-256 and mode. Compared
 * before and after an operation, it shows that nothing outside the operation's target changed.
 */
async function snapshot(server: SftpInteropInstance): Promise<Map<string, string>> {
	const found = new Map<string, string>();
	const walk = async (folder: string, relative: string) => {
		for (const entry of await fsp.readdir(folder, { withFileTypes: true })) {
			const full = path.join(folder, entry.name);
			const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
			if (entry.isSymbolicLink()) found.set(rel, `link → ${await fsp.readlink(full)}`);
			else if (entry.isDirectory()) {
				found.set(rel, 'dir');
				await walk(full, rel);
			} else {
				const stats = await fsp.stat(full);
				found.set(rel, `${sha256(await fsp.readFile(full))} ${stats.mode.toString(8)}`);
			}
		}
	};
	await walk(server.dataDir, '');
	return found;
}

/** Paths (relative to the data folder) that differ between two snapshots outside the given folders or files. */
function changedOutside(
	before: Map<string, string>,
	after: Map<string, string>,
	targets: string[],
): string[] {
	const inside = (rel: string) => targets.some((t) => rel === t || rel.startsWith(`${t}/`));
	const paths = new Set([...before.keys(), ...after.keys()]);
	return [...paths].filter((rel) => !inside(rel) && before.get(rel) !== after.get(rel)).sort();
}

/** The hidden names safe uploads write to (`.name.xxxxxxxx.part`) or move an old file aside to (`.old`). */
const TEMPORARY = /^\..*\.(part|old)$/;

it('the JSON lists both servers with their data folders', () => {
	expect(run.get('openssh')).toMatchObject({ server: 'openssh', hostKeyType: 'ssh-ed25519' });
	expect(run.get('proftpd-sftp')).toMatchObject({ server: 'proftpd', homeDirectory: '/' });
	for (const { name } of INSTANCES) expect(run.get(name).uid).toBeGreaterThanOrEqual(1000);
});

describe.each(INSTANCES)('$name', ({ name }) => {
	let server: SftpInteropInstance;
	let credentials: ICredentialDataDecryptedObject;
	const sftp = { protocol: 'sftp' } as const;

	beforeAll(() => {
		server = run.get(name);
		credentials = credentialsFor(server);
	});

	it('creates nested folders; an existing one reports created: false; nothing else changes', async () => {
		await writeAsSftpUser(server, 'mk/keep.txt', 'keep');
		const before = await snapshot(server);
		const folder = remoteOf(server, 'mk/archive/2026/11');
		const [made] = await runFtpNode(credentials, {
			...sftp,
			operation: 'createFolder',
			path: folder,
		});
		expect(made.json).toEqual({ path: folder, created: true });
		const stats = await fsp.stat(sftpOnDisk(server, folder));
		expect(stats.isDirectory()).toBe(true);
		expect(stats.uid).toBe(server.uid);
		const again = await runFtpNode(credentials, {
			...sftp,
			operation: 'createFolder',
			path: folder,
		});
		expect(again[0].json).toEqual({ path: folder, created: false });
		expect(changedOutside(before, await snapshot(server), ['mk/archive'])).toEqual([]);
	});

	it('uploads 5 MiB, 0 bytes, a UTF-8 name and text with identical bytes, then downloads them back', async () => {
		const utf8 = Buffer.from('ünïcødé content\r\nwith CRLF\n', 'utf8');
		await writeAsSftpUser(server, 'up/keep.txt', 'keep');
		const files = [
			{ rel: 'up/large.bin', item: await binaryItem(createReadStream(largeFile), 'large.bin') },
			{ rel: 'up/new/empty.bin', item: await binaryItem(Buffer.alloc(0), 'empty.bin') },
			{ rel: `up/${UTF8_NAME}`, item: await binaryItem(utf8, UTF8_NAME) },
		];
		const hashes = [largeFileHash, sha256(Buffer.alloc(0)), sha256(utf8)];
		const sizes = [FIVE_MIB, 0, utf8.length];
		const before = await snapshot(server);
		const uploaded = await runFtpNode(
			credentials,
			{ ...sftp, operation: 'upload', path: '={{ $json.path }}' },
			{ items: files.map((f) => ({ ...f.item, json: { path: remoteOf(server, f.rel) } })) },
		);
		expect(jsonOf(uploaded)).toEqual(
			files.map((f, i) => ({ path: remoteOf(server, f.rel), size: sizes[i] })),
		);
		for (const [i, file] of files.entries()) {
			const onDisk = sftpOnDisk(server, remoteOf(server, file.rel));
			expect({ file: file.rel, hash: await sha256OfFile(onDisk) }).toEqual({
				file: file.rel,
				hash: hashes[i],
			});
			expect((await fsp.stat(onDisk)).uid).toBe(server.uid);
		}
		const [text] = await runFtpNode(credentials, {
			...sftp,
			operation: 'upload',
			path: remoteOf(server, 'up/note.txt'),
			binaryData: false,
			fileContent: 'Grüße aus n8n\n',
		});
		expect(text.json).toEqual({
			path: remoteOf(server, 'up/note.txt'),
			size: Buffer.byteLength('Grüße aus n8n\n'),
		});
		expect(await fsp.readFile(sftpOnDisk(server, 'up/note.txt'), 'utf8')).toBe('Grüße aus n8n\n');
		const changed = ['up/large.bin', 'up/new', `up/${UTF8_NAME}`, 'up/note.txt'];
		expect(changedOutside(before, await snapshot(server), changed)).toEqual([]);
		expect((await fsp.readdir(sftpOnDisk(server, 'up'))).filter((n) => TEMPORARY.test(n))).toEqual(
			[],
		);

		// Round trip: what was uploaded comes back byte for byte.
		const downloaded = await runFtpNode(
			credentials,
			{ ...sftp, operation: 'download', path: '={{ $json.path }}' },
			{ items: files.map((f) => ({ json: { path: remoteOf(server, f.rel) } })) },
		);
		expect(jsonOf(downloaded)).toEqual(
			files.map((f, i) => ({ path: remoteOf(server, f.rel), size: sizes[i] })),
		);
		const [large, empty, named] = downloaded.map((item) => item.binary!.data);
		expect(await sha256OfFile(binaryFilePath(large))).toBe(largeFileHash);
		expect((await readBinary(empty)).length).toBe(0);
		expect(named.fileName).toBe(UTF8_NAME);
		expect(sha256(await readBinary(named))).toBe(sha256(utf8));
	});

	it('downloads files put on disk (5 MiB, 0 bytes, UTF-8 name) with identical bytes, changing nothing', async () => {
		const utf8 = Buffer.from('März in 東京\n');
		await writeAsSftpUser(server, 'dl/empty.bin', Buffer.alloc(0));
		await writeAsSftpUser(server, `dl/${UTF8_NAME}`, utf8);
		await fsp.copyFile(largeFile, await writeAsSftpUser(server, 'dl/large.bin', Buffer.alloc(0)));
		const rels = ['dl/large.bin', 'dl/empty.bin', `dl/${UTF8_NAME}`];
		const before = await snapshot(server);
		const output = await runFtpNode(
			credentials,
			{ ...sftp, operation: 'download', path: '={{ $json.path }}' },
			{ items: rels.map((rel) => ({ json: { path: remoteOf(server, rel) } })) },
		);
		expect(jsonOf(output)).toEqual([
			{ path: remoteOf(server, rels[0]), size: FIVE_MIB },
			{ path: remoteOf(server, rels[1]), size: 0 },
			{ path: remoteOf(server, rels[2]), size: utf8.length },
		]);
		const [large, empty, named] = output.map((item) => item.binary!.data);
		expect(await sha256OfFile(binaryFilePath(large))).toBe(largeFileHash);
		expect((await readBinary(empty)).length).toBe(0);
		expect(named.fileName).toBe(UTF8_NAME);
		expect(sha256(await readBinary(named))).toBe(sha256(utf8));
		expect(changedOutside(before, await snapshot(server), [])).toEqual([]);
	});

	it('lists flat and recursively: modifiedAt, permissions, owner, group; a link shows its target', async () => {
		const tree: Record<string, string> = {
			'a.csv': 'a',
			[UTF8_NAME]: 'ccc',
			'2026/2026-01.csv': 'dddd',
			'2026/11/2026-11.csv': 'eeeee',
			'2026/11/notes.txt': 'f',
		};
		for (const [rel, content] of Object.entries(tree)) {
			const file = await writeAsSftpUser(server, `tree/${rel}`, content);
			await fsp.utimes(file, FIXED_MTIME, FIXED_MTIME);
		}
		await fsp.chmod(sftpOnDisk(server, 'tree/a.csv'), 0o640);
		await makeFolderAsSftpUser(server, 'tree/empty');
		const link = sftpOnDisk(server, 'tree/link.csv');
		await fsp.symlink('a.csv', link);
		await fsp.lchown(link, server.uid, server.gid);
		const base = remoteOf(server, 'tree');

		const flat = await runFtpNode(credentials, { ...sftp, operation: 'list', path: base });
		const byName = Object.fromEntries(jsonOf(flat).map((json) => [json.name as string, json]));
		expect(Object.keys(byName).sort()).toEqual(
			['2026', UTF8_NAME, 'a.csv', 'empty', 'link.csv'].sort(),
		);
		expect(byName['a.csv']).toEqual({
			name: 'a.csv',
			path: `${base}/a.csv`,
			type: 'file',
			size: 1,
			modifiedAt: FIXED_MTIME.toISOString(),
			permissions: 'rw-r-----',
			owner: 'sftpinterop',
			group: 'sftpinterop',
		});
		expect(byName[UTF8_NAME]).toMatchObject({
			type: 'file',
			size: 3,
			path: `${base}/${UTF8_NAME}`,
		});
		expect(byName['2026']).toMatchObject({ type: 'directory', path: `${base}/2026`, size: null });
		expect(byName.empty).toMatchObject({ type: 'directory', owner: 'sftpinterop' });
		expect(byName.empty.permissions).toMatch(/^rwx/);
		expect(byName['link.csv']).toMatchObject({ type: 'symbolicLink', path: `${base}/link.csv` });
		// sshd returns the link's text; ProFTPD resolves it to the path inside its jail.
		expect(['a.csv', `${base}/a.csv`]).toContain(byName['link.csv'].target);

		const csv = await runFtpNode(credentials, {
			...sftp,
			operation: 'list',
			path: base,
			options: { recursive: true, filter: '**/*.csv', include: 'files' },
		});
		expect(jsonOf(csv).map((json) => `${String(json.path)} ${String(json.type)}`)).toEqual(
			expect.arrayContaining([
				`${base}/a.csv file`,
				`${base}/2026/2026-01.csv file`,
				`${base}/2026/11/2026-11.csv file`,
			]),
		);
		for (const json of jsonOf(csv).filter((j) => j.type === 'file')) {
			expect(json).toMatchObject({ modifiedAt: FIXED_MTIME.toISOString(), owner: 'sftpinterop' });
			expect(json.size).toBe(tree[(json.path as string).slice(base.length + 1)].length);
		}
		// "Files only" counts links as files; nothing else is listed.
		expect(csv.length).toBe(4);
	});

	it('renames a file, and moves it into folders it creates; nothing else changes', async () => {
		await writeAsSftpUser(server, 'ren/old.csv', 'rename me');
		await writeAsSftpUser(server, 'ren/keep.csv', 'keep');
		const before = await snapshot(server);
		const [from, middle, to] = ['ren/old.csv', 'ren/new.csv', `ren/archive/2026/${UTF8_NAME}`].map(
			(rel) => remoteOf(server, rel),
		);
		const moved = await runFtpNode(
			credentials,
			{
				...sftp,
				operation: 'rename',
				oldPath: '={{ $json.from }}',
				newPath: '={{ $json.to }}',
				options: { createDirectories: true },
			},
			{ items: [{ json: { from, to: middle } }, { json: { from: middle, to } }] },
		);
		expect(jsonOf(moved)).toEqual([
			{ oldPath: from, newPath: middle },
			{ oldPath: middle, newPath: to },
		]);
		expect((await fsp.readdir(sftpOnDisk(server, 'ren'))).sort()).toEqual(['archive', 'keep.csv']);
		expect(await fsp.readFile(sftpOnDisk(server, to), 'utf8')).toBe('rename me');
		expect(changedOutside(before, await snapshot(server), ['ren/old.csv', 'ren/archive'])).toEqual(
			[],
		);
	});

	it('deletes a file and a folder with its contents (a link in it, not what it points to)', async () => {
		await writeAsSftpUser(server, 'del/file.txt', 'x');
		await writeAsSftpUser(server, 'del/full/deeper/f.txt', 'y');
		await writeAsSftpUser(server, `del/full/${UTF8_NAME}`, 'z');
		await makeFolderAsSftpUser(server, 'del/full/hollow');
		await writeAsSftpUser(server, 'del-outside/keep.txt', 'keep');
		const link = sftpOnDisk(server, 'del/full/to-outside');
		await fsp.symlink('../../del-outside', link);
		await fsp.lchown(link, server.uid, server.gid);
		const before = await snapshot(server);

		const [file] = await runFtpNode(credentials, {
			...sftp,
			operation: 'delete',
			path: remoteOf(server, 'del/file.txt'),
		});
		expect(file.json).toEqual({ path: remoteOf(server, 'del/file.txt'), deleted: true });
		const [full] = await runFtpNode(credentials, {
			...sftp,
			operation: 'delete',
			path: remoteOf(server, 'del/full'),
			options: { folder: true, recursive: true },
		});
		expect(full.json).toEqual({ path: remoteOf(server, 'del/full'), deleted: true });
		expect(await fsp.readdir(sftpOnDisk(server, 'del'))).toEqual([]);
		expect(await fsp.readFile(sftpOnDisk(server, 'del-outside/keep.txt'), 'utf8')).toBe('keep');
		expect(changedOutside(before, await snapshot(server), ['del/file.txt', 'del/full'])).toEqual(
			[],
		);
	});

	it('a safe upload replaces an existing file (no temporary file left); append appends', async () => {
		const target = remoteOf(server, 'safe/report.csv');
		await writeAsSftpUser(server, 'safe/report.csv', 'old content\n');
		await writeAsSftpUser(server, 'safe/other.csv', 'other');
		const before = await snapshot(server);
		const [replaced] = await runFtpNode(credentials, {
			...sftp,
			operation: 'upload',
			path: target,
			binaryData: false,
			fileContent: 'new content, longer than the old\n',
			options: { includeConnectionLog: true },
		});
		expect(jsonOf([replaced])).toEqual([{ path: target, size: 33 }]);
		const log = (replaced.json.connectionLog as string[]).join('\n');
		// Written under a hidden name beside it, then renamed onto it with posix-rename (both servers offer it).
		expect(log).toMatch(/written as ".*\/\.report\.csv\.[0-9a-f]{8}\.part", then renamed/);
		expect(log).toMatch(/POSIX-RENAME .*\.part → .*report\.csv: OK/);
		expect(await fsp.readFile(sftpOnDisk(server, target), 'utf8')).toBe(
			'new content, longer than the old\n',
		);
		expect((await fsp.readdir(sftpOnDisk(server, 'safe'))).sort()).toEqual([
			'other.csv',
			'report.csv',
		]);
		expect(changedOutside(before, await snapshot(server), ['safe/report.csv'])).toEqual([]);

		const appendParameters = {
			...sftp,
			operation: 'upload',
			path: target,
			binaryData: false,
			fileContent: 'appended line\n',
			options: { ifExists: 'append' },
		};
		const [appended] = await runFtpNode(credentials, appendParameters, { continueOnFail: true });
		// ProFTPD refuses to append to an existing file unless AllowStoreRestart is on (mod_xfer, "APPE ... 451";
		// mod_sftp answers SSH_FX_PERMISSION_DENIED); scripts/sftp-servers.sh leaves it at its default (off), as most
		// ProFTPD servers have it: the refusal must say so and leave the file as it was.
		if (server.server !== 'proftpd') {
			expect(appended.json).toEqual({ path: target, size: 14, appended: true });
			expect(await fsp.readFile(sftpOnDisk(server, target), 'utf8')).toBe(
				'new content, longer than the old\nappended line\n',
			);
		} else {
			expect(appended.json.error).toMatch(/^Permission denied while trying to append to/);
			expect(await failingRun(credentials, appendParameters)).toMatchObject({
				description: expect.stringMatching(/refuses to append to this file.*AllowStoreRestart/),
			});
			expect(await fsp.readFile(sftpOnDisk(server, target), 'utf8')).toBe(
				'new content, longer than the old\n',
			);
		}
		expect((await fsp.readdir(sftpOnDisk(server, 'safe'))).sort()).toEqual([
			'other.csv',
			'report.csv',
		]);
	});

	it('the trigger emits a new file once (with its bytes)', async () => {
		const folder = remoteOf(server, 'inbound');
		await writeAsSftpUser(server, 'inbound/old.csv', 'already there');
		const staticData: IDataObject = {};
		const poll = async () =>
			(await pollNode({
				nodeType: new FtpAutomationTrigger(),
				parameters: { ...sftp, path: folder, event: 'fileCreated', options: { download: true } },
				credentials: { sftpAutomationApi: credentials },
				staticData,
			})) ?? [];
		expect(await poll()).toEqual([]);
		const content = Buffer.from('id,amount\n1,9.99\n');
		await writeAsSftpUser(server, 'inbound/new.csv', content);
		const emitted = await poll();
		expect(emitted.map((item) => item.json)).toEqual([
			expect.objectContaining({
				event: 'fileCreated',
				name: 'new.csv',
				path: `${folder}/new.csv`,
				size: content.length,
			}),
		]);
		expect(sha256(await readBinary(emitted[0].binary!.data))).toBe(sha256(content));
		expect(await poll()).toEqual([]);
	});
});

it('Concurrency 16 downloads 40 files from OpenSSH (default MaxStartups 10:30:100), all byte-identical', async () => {
	const server = run.get('openssh');
	const contents = Array.from({ length: 40 }, (_, i) => Buffer.from(`file ${i}\n`.repeat(100 + i)));
	for (const [i, content] of contents.entries())
		await writeAsSftpUser(server, `many/f${i}.txt`, content);
	const logBefore = await fsp.readFile(server.log, 'utf8');
	const output = await runFtpNode(
		credentialsFor(server),
		{
			protocol: 'sftp',
			operation: 'download',
			path: '={{ $json.path }}',
			options: { concurrency: 16 },
		},
		{ items: contents.map((_, i) => ({ json: { path: remoteOf(server, `many/f${i}.txt`) } })) },
	);
	expect(output).toHaveLength(40);
	for (const [i, item] of output.entries()) {
		expect({ i, json: item.json }).toEqual({
			i,
			json: { path: remoteOf(server, `many/f${i}.txt`), size: contents[i].length },
		});
		expect({ i, hash: sha256(await readBinary(item.binary!.data)) }).toEqual({
			i,
			hash: sha256(contents[i]),
		});
	}
	// Several connections (up to 16, never more); sshd refused none of them for load.
	const newLines = (await fsp.readFile(server.log, 'utf8')).slice(logBefore.length);
	const logins = newLines.match(/Accepted password for sftpinterop/g) ?? [];
	expect(logins.length).toBeGreaterThan(1);
	expect(logins.length).toBeLessThanOrEqual(16);
	expect(newLines).not.toMatch(/drop connection|MaxStartups/i);
});
