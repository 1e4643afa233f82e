/**
 * Bad input and failures: each gets an error that names the cause (and a hint), changes nothing on the
 * server, and never contains the password. Run through n8n's real execution context against ftp-srv.
 */
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Client } from 'basic-ftp';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { RemoteSession, MAX_WALK_DEPTH } from '../../nodes/FtpAutomation/transport';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { FtpAutomation } from '../../nodes/FtpAutomation/FtpAutomation.node';
import {
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	readBinary,
	runNode,
} from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';

let tlsServer: TestFtpServer;
let plainServer: TestFtpServer;
let credentials: ICredentialDataDecryptedObject;

beforeAll(async () => {
	await initBinaryData();
	[tlsServer, plainServer] = await Promise.all([
		startFtpServer({ security: 'explicit' }),
		startFtpServer({ security: 'none' }),
	]);
	credentials = credentialsFor(tlsServer, 'explicit');
});

afterAll(async () => {
	await Promise.all([tlsServer.close(), plainServer.close()]);
	await cleanupBinaryData();
});

afterEach(() => {
	jest.restoreAllMocks();
});

async function closedPort(): Promise<number> {
	const probe = net.createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as net.AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

describe('connection and login failures', () => {
	it('rejects a port outside 1-65535 before connecting', async () => {
		const error = await failingRun(
			{ ...credentials, port: 70000 },
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toContain(
			'The port 70000 is not valid: it must be a whole number from 1 to 65535',
		);
	});
});

describe('TLS certificate verification', () => {
	it('accepts it with Ignore SSL Issues', async () => {
		const output = await runFtpNode(
			{ ...credentials, caCertificate: '', allowUnauthorizedCerts: true },
			{ operation: 'list', path: '/' },
		);
		expect(Array.isArray(output)).toBe(true);
	});

	it('accepts it when the certificate is given as CA Certificate, even flattened to one line', async () => {
		const oneLine = tlsServer.certificate!.cert.replace(/\r?\n/g, ' ');
		await runFtpNode(
			{ ...credentials, caCertificate: oneLine },
			{ operation: 'createFolder', path: '/ca-ok' },
		);
		expect((await fsp.stat(path.join(tlsServer.root, 'ca-ok'))).isDirectory()).toBe(true);
	});
});

describe('bad input changes nothing on the server', () => {
	beforeEach(async () => {
		await fsp.writeFile(path.join(tlsServer.root, 'victim.txt'), 'keep me');
	});

	it.each([
		['a line feed', 'x.txt\nDELE victim.txt'],
		['a carriage return', 'x.txt\rDELE victim.txt'],
		['a NUL character', 'victim.txt\0'],
	])('rejects a path containing %s', async (named, badPath) => {
		const error = await failingRun(credentials, { operation: 'delete', path: badPath });
		expect(error.message).toContain(`Path contains ${named}`);
		expect(await fsp.readFile(path.join(tlsServer.root, 'victim.txt'), 'utf8')).toBe('keep me');
	});

	it('rejects CR/LF in the new name of a rename', async () => {
		const error = await failingRun(credentials, {
			operation: 'rename',
			oldPath: '/victim.txt',
			newPath: 'renamed.txt\r\nDELE victim.txt',
		});
		expect(error.message).toContain('New Path contains a carriage return');
		expect(await fsp.readFile(path.join(tlsServer.root, 'victim.txt'), 'utf8')).toBe('keep me');
	});

	it('rejects an empty path', async () => {
		const error = await failingRun(credentials, { operation: 'download', path: '  ' });
		expect(error.message).toBe('Path is empty');
	});

	it('names a missing binary field and lists the ones that exist', async () => {
		const item = await binaryItem(Buffer.from('abc'), 'a.csv', 'attachment');
		const error = await failingRun(
			credentials,
			{ operation: 'upload', path: '/up/a.csv' },
			{ items: [item] },
		);
		expect(error.message).toBe(
			'The input item has no binary field "data"; its binary fields are: attachment',
		);
		expect(error.description).toContain('Set Input Binary Field to one of: attachment');
		await expect(fsp.access(path.join(tlsServer.root, 'up'))).rejects.toThrow();

		const none = await failingRun(
			credentials,
			{ operation: 'upload', path: '/up/a.csv' },
			{ items: [{ json: {} }] },
		);
		expect(none.message).toBe(
			'The input item has no binary data (looked for the binary field "data")',
		);
	});

	it('explains downloading a folder', async () => {
		await fsp.mkdir(path.join(tlsServer.root, 'folder'), { recursive: true });
		const error = await failingRun(credentials, { operation: 'download', path: '/folder' });
		expect(error.message).toBe('"/folder" is a folder, not a file');
		expect(error.description).toContain('List operation');
	});

	it('refuses to delete the root or login folder recursively', async () => {
		for (const folder of ['/', '.']) {
			const error = await failingRun(credentials, {
				operation: 'delete',
				path: folder,
				options: { folder: true, recursive: true },
			});
			expect(error.message).toBe(
				'Refusing to delete "/" recursively: it is the root folder of this account',
			);
		}
		expect(await fsp.readFile(path.join(tlsServer.root, 'victim.txt'), 'utf8')).toBe('keep me');
	});

	it('explains deleting a non-empty folder without Recursive', async () => {
		await fsp.mkdir(path.join(tlsServer.root, 'full'), { recursive: true });
		await fsp.writeFile(path.join(tlsServer.root, 'full/f.txt'), 'x');
		const error = await failingRun(credentials, {
			operation: 'delete',
			path: '/full',
			options: { folder: true },
		});
		expect(error.message).toContain(
			'The folder "/full" cannot be deleted: it is probably not empty',
		);
		expect(error.description).toContain('Recursive');
		expect(await fsp.readFile(path.join(tlsServer.root, 'full/f.txt'), 'utf8')).toBe('x');
	});
});

describe('items and the connection', () => {
	beforeAll(async () => {
		await fsp.mkdir(path.join(plainServer.root, 'in'), { recursive: true });
		await fsp.writeFile(path.join(plainServer.root, 'in/a.csv'), 'a');
		await fsp.writeFile(path.join(plainServer.root, 'in/c.csv'), 'ccc');
	});

	const plain = () => credentialsFor(plainServer, 'none');
	const threePaths = [
		{ json: { file: '/in/a.csv' } },
		{ json: { file: '/in/b.csv' } },
		{ json: { file: '/in/c.csv' } },
	];

	it('uses one connection for all items and closes it', async () => {
		const open = jest.spyOn(RemoteSession, 'open');
		const close = jest.spyOn(RemoteSession.prototype, 'close');
		const items = [
			{ json: { name: 'one' } },
			{ json: { name: 'two' } },
			{ json: { name: 'three' } },
		];
		const output = await runFtpNode(
			plain(),
			{
				operation: 'upload',
				path: '=/many/{{ $json.name }}.txt',
				binaryData: false,
				fileContent: '={{ $json.name }}',
			},
			{ items },
		);
		expect(output.map((item) => item.json.path)).toEqual([
			'/many/one.txt',
			'/many/two.txt',
			'/many/three.txt',
		]);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(await fsp.readFile(path.join(plainServer.root, 'many/two.txt'), 'utf8')).toBe('two');
		expect(open).toHaveBeenCalledTimes(1);
		expect(close).toHaveBeenCalledTimes(1);
	});

	it('with Continue On Fail, turns the failing item into an error item and goes on', async () => {
		const output = await runFtpNode(
			plain(),
			{ operation: 'download', path: '={{ $json.file }}' },
			{ items: threePaths, continueOnFail: true },
		);
		expect(output).toHaveLength(3);
		expect(output[0].json).toEqual({ path: '/in/a.csv', size: 1 });
		expect(output[1]).toEqual({
			json: { error: expect.stringContaining('Cannot download "/in/b.csv"') },
			pairedItem: { item: 1 },
		});
		expect(output[2].json).toEqual({ path: '/in/c.csv', size: 3 });
		expect((await readBinary(output[2].binary!.data)).toString()).toBe('ccc');
	});

	it('without it, fails naming the item, and still closes the connection', async () => {
		const close = jest.spyOn(RemoteSession.prototype, 'close');
		const error = await failingRun(
			plain(),
			{ operation: 'download', path: '={{ $json.file }}' },
			{ items: threePaths },
		);
		expect(error.message).toContain('Cannot download "/in/b.csv"');
		expect(error.context?.itemIndex).toBe(1);
		expect(close).toHaveBeenCalledTimes(1);
	});

	it('gives every item the connection error when the server cannot be reached and Continue On Fail is on', async () => {
		const port = await closedPort();
		const output = await runFtpNode(
			{ ...plain(), port },
			{ operation: 'list', path: '/' },
			{ items: threePaths, continueOnFail: true },
		);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output.every((item) => String(item.json.error).includes('was refused'))).toBe(true);
	});
});

describe('recursive listing never loops', () => {
	it('descends into a folder link that ftp-srv shows as a plain folder (nothing proves it is one), and says so', async () => {
		// ftp-srv follows symbolic links when listing and repeats any path in PWD, so nothing proves this link is one:
		// the walk goes on (never skipping a real folder) and stops at the depth limit.
		await fsp.mkdir(path.join(plainServer.root, 'loop/data'), { recursive: true });
		await fsp.writeFile(path.join(plainServer.root, 'loop/data/x.csv'), 'x');
		await fsp.symlink(
			path.join(plainServer.root, 'loop'),
			path.join(plainServer.root, 'loop/again'),
		);
		const [first, ...rest] = await runFtpNode(credentialsFor(plainServer, 'none'), {
			operation: 'list',
			path: '/loop',
			options: { recursive: true, includeConnectionLog: true },
		});
		const paths = [first, ...rest].map((item) => item.json.path as string);
		expect(paths.slice(0, 3)).toEqual([
			'/loop/again',
			'/loop/again/again',
			'/loop/again/again/again',
		]);
		expect(paths).toContain('/loop/data/x.csv');
		// Linux follows at most 40 links in one path, so ftp-srv's chain ends there (ELOOP), below the depth limit.
		const deepest = Math.max(...paths.map((listed) => listed.split('/').length - 2));
		expect(deepest).toBeGreaterThanOrEqual(40);
		expect(deepest).toBeLessThanOrEqual(MAX_WALK_DEPTH);
		const log = (first.json.connectionLog as string[]).join('\n');
		expect(log).toContain(
			'"/loop/again" lists exactly what "/loop" lists; the server cannot tell whether it is a link to it, so the walk goes on',
		);
	});

	it('lists symbolic links without following them, and skips . and ..', async () => {
		// A server that marks links (vsftpd, ProFTPD, pure-ftpd do): the listing is rewritten as such a server would send it.
		const realList = Client.prototype.list;
		jest.spyOn(Client.prototype, 'list').mockImplementation(async function (
			this: Client,
			listPath?: string,
		) {
			if (listPath === '/linked') {
				return this.parseList(
					[
						'drwxr-xr-x 2 ftp ftp 4096 Nov 24 10:00 .',
						'drwxr-xr-x 2 ftp ftp 4096 Nov 24 10:00 ..',
						'lrwxrwxrwx 1 ftp ftp    1 Nov 24 10:00 up -> ..',
						'drwxr-xr-x 2 ftp ftp 4096 Nov 24 10:00 sub',
					].join('\r\n'),
				);
			}
			if (listPath === '/linked/sub')
				return this.parseList('-rw-r--r-- 1 ftp ftp 3 Nov 24 10:00 f.csv');
			return await realList.call(this, listPath);
		});
		await fsp.mkdir(path.join(plainServer.root, 'linked'), { recursive: true });
		const output = await runFtpNode(credentialsFor(plainServer, 'none'), {
			operation: 'list',
			path: '/linked',
			options: { recursive: true },
		});
		expect(output.map((item) => [item.json.path, item.json.type, item.json.target])).toEqual([
			['/linked/up', 'symbolicLink', '..'],
			['/linked/sub', 'directory', undefined],
			['/linked/sub/f.csv', 'file', undefined],
		]);
	});
});

describe('cancelling the execution', () => {
	it('closes the connection, ending a running download', async () => {
		await fsp.mkdir(path.join(plainServer.root, 'slow'), { recursive: true });
		await fsp.writeFile(
			path.join(plainServer.root, 'slow/big.bin'),
			Buffer.alloc(8 * 1024 * 1024, 7),
		);
		const controller = new AbortController();
		const close = jest.spyOn(RemoteSession.prototype, 'close');
		const realDownloadTo = Client.prototype.downloadTo;
		// Cancel on the next turn of the event loop: the transfer needs several round trips, so it is still running.
		jest.spyOn(Client.prototype, 'downloadTo').mockImplementation(async function (
			this: Client,
			...args: Parameters<Client['downloadTo']>
		) {
			setImmediate(() => controller.abort());
			return await realDownloadTo.apply(this, args);
		});
		const error = await runNode({
			nodeType: new FtpAutomation(),
			parameters: { operation: 'download', path: '/slow/big.bin' },
			credentials: { ftpAutomationApi: credentialsFor(plainServer, 'none') },
			abortSignal: controller.signal,
		}).then(
			() => undefined,
			(failure: Error) => failure,
		);
		expect(error?.message).toContain(
			'was closed unexpectedly while trying to download "/slow/big.bin"',
		);
		expect(close).toHaveBeenCalledTimes(2); // by the cancellation, then (harmlessly) at the end
	});
});
