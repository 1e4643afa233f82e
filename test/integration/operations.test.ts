/**
 * Every operation of the node, run through n8n's real execution context against an in-process ftp-srv,
 * under plain FTP, explicit FTPS, implicit FTPS and anonymous login. Bytes are compared by SHA-256.
 */
import { createReadStream, promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { startFtpServer, type TestFtpServer, type TestServerSecurity } from '../../tools/ftpServer';
import {
	binaryFilePath,
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	readBinary,
} from '../../tools/n8nHarness';
import {
	credentialsFor,
	runFtpNode,
	sha256,
	sha256OfFile,
	writeRandomFile,
} from '../helpers/nodeRun';

const MODES: Array<{ name: string; security: TestServerSecurity; anonymous?: boolean }> = [
	{ name: 'plain FTP', security: 'none' },
	{ name: 'explicit FTPS', security: 'explicit' },
	{ name: 'implicit FTPS', security: 'implicit' },
	{ name: 'anonymous login over explicit FTPS', security: 'explicit', anonymous: true },
];

const FIFTY_MIB = 50 * 1024 * 1024;

let scratch: string;
let largeFile: string;
let largeFileHash: string;

beforeAll(async () => {
	await initBinaryData();
	scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftp-automation-ops-'));
	largeFile = path.join(scratch, 'large.bin');
	largeFileHash = await writeRandomFile(largeFile, FIFTY_MIB);
});

afterAll(async () => {
	await fsp.rm(scratch, { recursive: true, force: true });
	await cleanupBinaryData();
});

describe.each(MODES)('$name', ({ security, anonymous }) => {
	let server: TestFtpServer;
	let credentials: ICredentialDataDecryptedObject;
	const onServer = (remotePath: string) => path.join(server.root, remotePath);

	beforeAll(async () => {
		server = await startFtpServer({ security, allowAnonymous: anonymous === true });
		credentials = credentialsFor(
			server,
			security,
			anonymous ? { anonymous: true, username: '', password: '' } : {},
		);
	});

	afterAll(async () => {
		await server.close();
	});

	it('creates folders: nested by default, existing ones succeed, non-recursive in an existing parent', async () => {
		const [nested] = await runFtpNode(credentials, {
			operation: 'createFolder',
			path: '/archive/2026/11',
		});
		expect(nested.json).toEqual({ path: '/archive/2026/11', created: true });
		expect((await fsp.stat(onServer('archive/2026/11'))).isDirectory()).toBe(true);

		const [again] = await runFtpNode(credentials, {
			operation: 'createFolder',
			path: '/archive/2026/11',
		});
		expect(again.json).toEqual({ path: '/archive/2026/11', created: false });

		const [single] = await runFtpNode(credentials, {
			operation: 'createFolder',
			path: 'archive/2026/12',
			options: { recursive: false },
		});
		expect(single.json).toEqual({ path: '/archive/2026/12', created: true });
		expect((await fsp.stat(onServer('archive/2026/12'))).isDirectory()).toBe(true);
	});

	it('uploads binary data and text, creating missing folders, and downloads them back as binary data', async () => {
		const csv = Buffer.from('id;name\n1;Zoë\n2;Åsa\n', 'utf8');
		const items = [
			await binaryItem(csv, 'orders.csv'),
			await binaryItem(Buffer.alloc(0), 'empty.csv', 'file'),
		];
		expect(items[0].binary?.data.id).toBeDefined(); // stored by reference: the upload reads it as a stream

		const uploaded = await runFtpNode(
			credentials,
			{ operation: 'upload', path: '/inbound/new/orders.csv' },
			{ items: items.slice(0, 1) },
		);
		expect(uploaded).toEqual([
			{ json: { path: '/inbound/new/orders.csv', size: csv.length }, pairedItem: { item: 0 } },
		]);
		expect(sha256(await fsp.readFile(onServer('inbound/new/orders.csv')))).toBe(sha256(csv));

		await runFtpNode(
			credentials,
			{ operation: 'upload', path: '/inbound/empty.csv', binaryPropertyName: 'file' },
			{ items: items.slice(1) },
		);
		expect((await fsp.stat(onServer('inbound/empty.csv'))).size).toBe(0);

		const [text] = await runFtpNode(credentials, {
			operation: 'upload',
			path: 'inbound/note.txt',
			binaryData: false,
			fileContent: 'Grüße aus n8n\n',
		});
		expect(text.json).toEqual({
			path: '/inbound/note.txt',
			size: Buffer.byteLength('Grüße aus n8n\n'),
		});
		expect(await fsp.readFile(onServer('inbound/note.txt'), 'utf8')).toBe('Grüße aus n8n\n');

		const [download] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/inbound/new/orders.csv',
		});
		expect(download.json).toEqual({ path: '/inbound/new/orders.csv', size: csv.length });
		const binary = download.binary?.data;
		expect(binary).toMatchObject({
			fileName: 'orders.csv',
			mimeType: 'text/csv',
			fileExtension: 'csv',
		});
		expect(binary?.id).toBeDefined();
		expect(binary?.fileSize).toBeDefined();
		expect(sha256(await readBinary(binary!))).toBe(sha256(csv));

		const [empty] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/inbound/empty.csv',
			binaryPropertyName: 'file',
		});
		expect(empty.json.size).toBe(0);
		expect((await readBinary(empty.binary!.file)).length).toBe(0);
	});

	it('round-trips a name with spaces and UTF-8 characters', async () => {
		const name = 'Bericht März – 東京 2026.txt';
		const content = Buffer.from('ünïcødé content\r\nwith CRLF\n');
		await runFtpNode(
			credentials,
			{ operation: 'upload', path: `/reports/${name}` },
			{ items: [await binaryItem(content, name)] },
		);
		expect(sha256(await fsp.readFile(onServer(`reports/${name}`)))).toBe(sha256(content));

		const listed = await runFtpNode(credentials, { operation: 'list', path: '/reports' });
		expect(listed.map((item) => item.json.name)).toEqual([name]);

		const [download] = await runFtpNode(credentials, {
			operation: 'download',
			path: `/reports/${name}`,
		});
		expect(download.binary?.data.fileName).toBe(name);
		expect(sha256(await readBinary(download.binary!.data))).toBe(sha256(content));
	});

	it('streams 50 MiB up and down with identical bytes', async () => {
		const input = await binaryItem(createReadStream(largeFile), 'large.bin');
		const [uploaded] = await runFtpNode(
			credentials,
			{ operation: 'upload', path: '/big/large.bin' },
			{ items: [input] },
		);
		expect(uploaded.json.size).toBe(FIFTY_MIB);
		expect(await sha256OfFile(onServer('big/large.bin'))).toBe(largeFileHash);

		const [download] = await runFtpNode(credentials, {
			operation: 'download',
			path: '/big/large.bin',
		});
		expect(download.json.size).toBe(FIFTY_MIB);
		expect(download.binary?.data.mimeType).toBe('application/octet-stream');
		// Stored by reference in n8n's filesystem binary store: hash the file n8n wrote.
		expect(await sha256OfFile(binaryFilePath(download.binary!.data))).toBe(largeFileHash);
	});

	it('lists flat and recursively, with glob filter and include', async () => {
		await fsp.mkdir(onServer('tree/2026/11'), { recursive: true });
		await fsp.writeFile(onServer('tree/a.csv'), 'a');
		await fsp.writeFile(onServer('tree/b.txt'), 'bb');
		await fsp.writeFile(onServer('tree/2026/2026-01.csv'), 'ccc');
		await fsp.writeFile(onServer('tree/2026/11/2026-11.csv'), 'dddd');
		await fsp.writeFile(onServer('tree/2026/11/2025-12.csv'), 'e');

		const flat = await runFtpNode(credentials, { operation: 'list', path: '/tree' });
		const byName = Object.fromEntries(flat.map((item) => [item.json.name, item.json]));
		expect(Object.keys(byName).sort()).toEqual(['2026', 'a.csv', 'b.txt']);
		expect(byName['a.csv']).toMatchObject({ path: '/tree/a.csv', type: 'file', size: 1 });
		expect(byName['2026']).toMatchObject({ path: '/tree/2026', type: 'directory' });
		// ftp-srv has no MLSD: the exact time comes from MDTM.
		const stat = await fsp.stat(onServer('tree/a.csv'));
		expect(
			Math.abs(Date.parse(byName['a.csv'].modifiedAt as string) - stat.mtime.getTime()),
		).toBeLessThan(1000);
		expect(byName['a.csv'].permissions).toMatch(/^[r-][w-][x-]{1}[r-][w-][x-][r-][w-][x-]$/);
		expect(
			flat.every((item) => item.pairedItem && (item.pairedItem as { item: number }).item === 0),
		).toBe(true);

		const recursive = await runFtpNode(credentials, {
			operation: 'list',
			path: 'tree',
			options: { recursive: true, filter: '**/2026-*.csv' },
		});
		expect(recursive.map((item) => item.json.path).sort()).toEqual([
			'/tree/2026/11/2026-11.csv',
			'/tree/2026/2026-01.csv',
		]);

		const allCsv = await runFtpNode(credentials, {
			operation: 'list',
			path: '/tree',
			options: { recursive: true, filter: '*.csv', include: 'files' },
		});
		expect(allCsv.map((item) => item.json.path).sort()).toEqual([
			'/tree/2026/11/2025-12.csv',
			'/tree/2026/11/2026-11.csv',
			'/tree/2026/2026-01.csv',
			'/tree/a.csv',
		]);

		const folders = await runFtpNode(credentials, {
			operation: 'list',
			path: '/tree',
			options: { recursive: true, include: 'folders' },
		});
		expect(folders.map((item) => item.json.path).sort()).toEqual(['/tree/2026', '/tree/2026/11']);
	});

	it('renames a file, and moves one into a folder it creates', async () => {
		await fsp.mkdir(onServer('ren'), { recursive: true });
		await fsp.writeFile(onServer('ren/old.csv'), 'rename me');

		const [renamed] = await runFtpNode(credentials, {
			operation: 'rename',
			oldPath: '/ren/old.csv',
			newPath: '/ren/new.csv',
		});
		expect(renamed.json).toEqual({ oldPath: '/ren/old.csv', newPath: '/ren/new.csv' });
		await expect(fsp.access(onServer('ren/old.csv'))).rejects.toThrow();
		expect(await fsp.readFile(onServer('ren/new.csv'), 'utf8')).toBe('rename me');

		await runFtpNode(credentials, {
			operation: 'rename',
			oldPath: '/ren/new.csv',
			newPath: '/ren/archive/2026/new.csv',
			options: { createDirectories: true },
		});
		expect(await fsp.readFile(onServer('ren/archive/2026/new.csv'), 'utf8')).toBe('rename me');
	});

	it('deletes a file, an empty folder, and a folder with its contents', async () => {
		await fsp.mkdir(onServer('del/empty'), { recursive: true });
		await fsp.mkdir(onServer('del/full/deeper'), { recursive: true });
		await fsp.writeFile(onServer('del/file.txt'), 'x');
		await fsp.writeFile(onServer('del/full/deeper/f.txt'), 'y');

		const [file] = await runFtpNode(credentials, { operation: 'delete', path: '/del/file.txt' });
		expect(file.json).toEqual({ path: '/del/file.txt', deleted: true });
		await expect(fsp.access(onServer('del/file.txt'))).rejects.toThrow();

		await runFtpNode(credentials, {
			operation: 'delete',
			path: '/del/empty',
			options: { folder: true },
		});
		await expect(fsp.access(onServer('del/empty'))).rejects.toThrow();

		await runFtpNode(credentials, {
			operation: 'delete',
			path: '/del/full',
			options: { folder: true, recursive: true },
		});
		await expect(fsp.access(onServer('del/full'))).rejects.toThrow();
		expect(await fsp.readdir(onServer('del'))).toEqual([]);
	});
});
