/**
 * List → Download through n8n's real execution context: the download takes the size from the listed item instead of
 * asking the server before every file (no SIZE over FTP, no STAT over SFTP), and asks only for a file that changed
 * since it was listed, which then arrives as it is now. The trigger passes its listing entry the same way. Against
 * the in-process ftp-srv and SFTP server; bytes compared by SHA-256.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { RemoteSession } from '../../nodes/FtpAutomation/transport';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, pollNode, readBinary } from '../../tools/n8nHarness';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { credentialsFor, runFtpNode, sha256, within } from '../helpers/nodeRun';

let ftp: TestFtpServer;
let sftp: TestSftpServer;
let ftpCredentials: ICredentialDataDecryptedObject;
let sftpCredentials: ICredentialDataDecryptedObject;

beforeAll(async () => {
	await initBinaryData();
	ftp = await startFtpServer({ security: 'none' });
	ftpCredentials = credentialsFor(ftp, 'none');
	sftp = await startSftpServer();
	sftpCredentials = {
		host: sftp.host,
		port: sftp.port,
		username: sftp.username,
		password: sftp.password,
		hostKeyFingerprint: sftp.hostKeyFingerprint,
		connectionTimeout: 10,
	};
});

afterAll(async () => {
	await ftp.close();
	await sftp.close();
	await cleanupBinaryData();
});

/** Runs `work` and returns what it returned with the connection logs of every session it opened. */
async function withLogs<T>(work: () => Promise<T>): Promise<{ result: T; log: string }> {
	const open = jest.spyOn(RemoteSession, 'open');
	try {
		const result = await within(30_000, work());
		const sessions = await Promise.all(
			open.mock.results.map(async (opened) => await (opened.value as Promise<RemoteSession>)),
		);
		return { result, log: sessions.map((session) => session.log.tail(2000).join('\n')).join('\n') };
	} finally {
		open.mockRestore();
	}
}

const CASES = [
	{
		name: 'FTP',
		root: () => ftp.root,
		credentials: () => ftpCredentials,
		parameters: {} as INodeParameters,
		sizeQuestions: (log: string) => log.match(/> SIZE .*/g) ?? [],
		statRequests: () => 0,
	},
	{
		name: 'SFTP',
		root: () => sftp.root,
		credentials: () => sftpCredentials,
		parameters: { protocol: 'sftp' } as INodeParameters,
		sizeQuestions: () => [],
		statRequests: (folder: string) =>
			sftp.requests.filter(
				(request) =>
					['STAT', 'LSTAT', 'FSTAT'].includes(request.op) &&
					(request.path ?? '').startsWith(`${folder}/`),
			).length,
	},
];

let folderCounter = 0;

describe.each(CASES)('$name', (protocol) => {
	const files = {
		'a.bin': Buffer.alloc(40_000, 1),
		'b.bin': Buffer.alloc(1_000, 2),
		'c.bin': Buffer.alloc(0),
	};

	async function listedFolder(): Promise<{ folder: string; listed: INodeExecutionData[] }> {
		const folder = `/listed-${++folderCounter}`;
		await fsp.mkdir(path.join(protocol.root(), folder));
		for (const [name, content] of Object.entries(files))
			await fsp.writeFile(path.join(protocol.root(), folder, name), content);
		const listed = await runFtpNode(
			protocol.credentials(),
			{ ...protocol.parameters, operation: 'list', folder },
			{ typeVersion: 2 },
		);
		expect(listed.map((item) => item.json.name).sort()).toEqual(Object.keys(files));
		return { folder, listed };
	}

	const download = async (items: INodeExecutionData[]) =>
		await runFtpNode(
			protocol.credentials(),
			{
				...protocol.parameters,
				operation: 'download',
				path: '={{ $json.path }}',
				binaryPropertyName: 'data',
				options: { concurrency: 2 },
			},
			{ typeVersion: 2, items },
		);

	async function expectContents(
		output: INodeExecutionData[],
		folder: string,
	): Promise<Record<string, number>> {
		const sizes: Record<string, number> = {};
		for (const item of output) {
			const name = path.posix.basename(String(item.json.path));
			const onServer = await fsp.readFile(path.join(protocol.root(), folder, name));
			const received = await readBinary(item.binary!.data);
			expect(sha256(received)).toBe(sha256(onServer));
			expect(item.json.size).toBe(onServer.length);
			sizes[name] = onServer.length;
		}
		return sizes;
	}

	it('downloads listed files without asking for their sizes', async () => {
		const { folder, listed } = await listedFolder();
		const before = protocol.statRequests(folder);
		const { result, log } = await withLogs(async () => await download(listed));
		expect(await expectContents(result, folder)).toEqual({
			'a.bin': 40_000,
			'b.bin': 1_000,
			'c.bin': 0,
		});
		expect(protocol.sizeQuestions(log)).toEqual([]);
		expect(protocol.statRequests(folder) - before).toBe(0);
	});

	it('a file that grew and one that shrank after the listing arrive as they are now', async () => {
		const { folder, listed } = await listedFolder();
		await fsp.appendFile(path.join(protocol.root(), folder, 'a.bin'), Buffer.alloc(5_000, 9));
		await fsp.writeFile(path.join(protocol.root(), folder, 'b.bin'), Buffer.alloc(10, 3));
		const before = protocol.statRequests(folder);
		const { result, log } = await withLogs(async () => await download(listed));
		expect(await expectContents(result, folder)).toEqual({
			'a.bin': 45_000,
			'b.bin': 10,
			'c.bin': 0,
		});
		// Asked once for each changed file, never for the unchanged one.
		if (protocol.name === 'FTP') {
			expect(protocol.sizeQuestions(log).sort()).toEqual([
				`> SIZE ${folder}/a.bin`,
				`> SIZE ${folder}/b.bin`,
			]);
		} else {
			expect(protocol.statRequests(folder) - before).toBe(2);
		}
		expect(log).toContain(
			`"${folder}/a.bin" was listed with 40000 bytes; the server now says 45000`,
		);
		expect(log).toContain(`"${folder}/b.bin" was listed with 1000 bytes; the server now says 10`);
	});

	it('asks as before for an item whose path is not the listed one', async () => {
		const { folder, listed } = await listedFolder();
		const elsewhere = listed.map((item) => ({
			json: { ...item.json, path: String(item.json.path).replace(/^\//, '') },
		}));
		const before = protocol.statRequests(folder);
		const { result, log } = await withLogs(async () => await download(elsewhere));
		await expectContents(result, folder);
		if (protocol.name === 'FTP') expect(protocol.sizeQuestions(log)).toHaveLength(3);
		else expect(protocol.statRequests(folder) - before).toBe(3);
	});
});

describe('the trigger', () => {
	it('downloads the files it listed without asking for their sizes', async () => {
		const folder = `/watched-${++folderCounter}`;
		await fsp.mkdir(path.join(ftp.root, folder));
		await fsp.writeFile(path.join(ftp.root, folder, 'one.csv'), 'a,b\n1,2\n');
		await fsp.writeFile(path.join(ftp.root, folder, 'two.csv'), 'c,d\n3,4\n5,6\n');
		const { result, log } = await withLogs(
			async () =>
				await pollNode({
					nodeType: new FtpAutomationTrigger(),
					parameters: { path: folder, options: { download: true, emitExisting: true } },
					credentials: { ftpAutomationApi: ftpCredentials },
					staticData: {},
				}),
		);
		expect((result ?? []).map((item) => [item.json.name, item.json.size])).toEqual([
			['one.csv', 8],
			['two.csv', 12],
		]);
		for (const item of result ?? []) {
			const onServer = await fsp.readFile(path.join(ftp.root, folder, String(item.json.name)));
			expect(sha256(await readBinary(item.binary!.data))).toBe(sha256(onServer));
		}
		expect(log).not.toMatch(/> SIZE /);
		expect(log).toMatch(/> RETR /);
	});
});
