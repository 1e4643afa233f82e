/**
 * List's selection options (Exclude, age, size, Done File, Hide Done Files), Sort By and Return All / Limit, through
 * n8n's real execution context against the in-process FTP server (ftp-srv) and SFTP server (tools/sftpServer.ts), in
 * both node versions. Real servers: test/interop/selection.test.ts.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { credentialsFor, failingRun, runWithLog } from '../helpers/nodeRun';
import {
	listOn,
	putSelectionTree,
	relativeOutput,
	SELECTED,
	SELECTED_WITH_MARKERS,
	SELECTION_OPTIONS,
	type WriteOnServer,
} from '../helpers/selectionScenario';

interface Target {
	credentials: ICredentialDataDecryptedObject;
	protocol: 'ftp' | 'sftp';
	root: string;
	close(): Promise<void>;
}

async function ftpTarget(): Promise<Target> {
	const server: TestFtpServer = await startFtpServer({ security: 'none' });
	return {
		credentials: credentialsFor(server, 'none'),
		protocol: 'ftp',
		root: server.root,
		close: async () => await server.close(),
	};
}

async function sftpTarget(): Promise<Target> {
	const server: TestSftpServer = await startSftpServer();
	return {
		credentials: {
			host: server.host,
			port: server.port,
			username: server.username,
			password: server.password,
			hostKeyFingerprint: server.hostKeyFingerprint,
			connectionTimeout: 10,
		},
		protocol: 'sftp',
		root: server.root,
		close: async () => await server.close(),
	};
}

const FOLDER = '/sel';

/** Writes straight into the folder a server serves as "/". */
function writerUnder(root: string): WriteOnServer {
	return async (remotePath, content) => {
		const onDisk = path.join(root, remotePath);
		await fsp.mkdir(path.dirname(onDisk), { recursive: true });
		await fsp.writeFile(onDisk, content);
		return onDisk;
	};
}

const sortedPaths = (output: INodeExecutionData[]) =>
	relativeOutput(output, FOLDER)
		.map((entry) => entry.path)
		.sort();

describe.each([
	{ name: 'FTP (ftp-srv)', start: ftpTarget },
	{ name: 'SFTP (in-process server)', start: sftpTarget },
])('$name', ({ start }) => {
	let target: Target;

	let list: ReturnType<typeof listOn>;

	beforeAll(async () => {
		target = await start();
		list = listOn(target.credentials, target.protocol);
		await putSelectionTree(FOLDER, writerUnder(target.root));
	});

	afterAll(async () => {
		await target.close();
	});

	it('selects by Exclude, age, size and Done File; each file names its marker; markers hidden', async () => {
		const output = await list({ path: FOLDER, options: SELECTION_OPTIONS });
		const selected = relativeOutput(output, FOLDER).sort((a, b) => a.path.localeCompare(b.path));
		expect(selected).toEqual([
			{ path: 'big.csv', doneFile: 'big.csv.done', size: 5000 },
			{ path: 'old.csv', doneFile: 'old.csv.done', size: 200 },
			{ path: 'sub/a.csv', doneFile: 'sub/a.csv.done', size: 50 },
		]);
		expect(output[0].json.doneFile).toMatch(/^\/sel\/.+\.done$/);
	});

	it('shows the markers with Hide Done Files off, released or not', async () => {
		const output = await list({
			path: FOLDER,
			options: { ...SELECTION_OPTIONS, hideDoneFiles: false },
		});
		expect(sortedPaths(output)).toEqual(SELECTED_WITH_MARKERS);
		const markers = output.filter((item) => String(item.json.name).endsWith('.done'));
		expect(markers.every((item) => item.json.doneFile === undefined)).toBe(true);
	});

	it('finds markers that Filter hides, and releases a folder with a folder marker', async () => {
		const byFilter = await list({
			path: FOLDER,
			options: { recursive: true, filter: '*.csv', doneFile: '{name}.done' },
		});
		expect(sortedPaths(byFilter)).toEqual([
			'big.csv',
			'empty.csv',
			'new.csv',
			'old.csv',
			'stale.csv',
			'sub/a.csv',
		]);

		const batches = await list({
			path: FOLDER,
			options: { recursive: true, include: 'files', doneFile: '_SUCCESS', filter: '*/*.csv' },
		});
		expect(relativeOutput(batches, FOLDER).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
			{ path: 'batch/x.csv', doneFile: 'batch/_SUCCESS', size: 10 },
			{ path: 'batch/y.csv', doneFile: 'batch/_SUCCESS', size: 20 },
		]);
	});

	it('sorts, then limits (version 1 layout)', async () => {
		const bySize = await list({
			path: FOLDER,
			returnAll: false,
			limit: 2,
			options: { ...SELECTION_OPTIONS, sortBy: 'size', sortDirection: 'descending' },
		});
		expect(relativeOutput(bySize, FOLDER).map((entry) => entry.path)).toEqual([
			'big.csv',
			'old.csv',
		]);

		const oldestFirst = await list({
			path: FOLDER,
			options: { ...SELECTION_OPTIONS, sortBy: 'modifiedAt' },
		});
		expect(relativeOutput(oldestFirst, FOLDER).map((entry) => entry.path)).toEqual([
			'big.csv',
			'old.csv',
			'sub/a.csv',
		]);
	});

	it('the same in the version 2 layout, sorted by name', async () => {
		const output = await list(
			{
				folder: FOLDER,
				returnAll: false,
				limit: 2,
				options: { ...SELECTION_OPTIONS, sortBy: 'name', sortDirection: 'ascending' },
			},
			2,
		);
		// By name, not by path: sub/a.csv is "a.csv".
		expect(relativeOutput(output, FOLDER).map((entry) => entry.path)).toEqual([
			'sub/a.csv',
			'big.csv',
		]);
		const all = await list({ folder: FOLDER, options: SELECTION_OPTIONS }, 2);
		expect(sortedPaths(all)).toEqual(SELECTED);
	});

	it('without the new options, List outputs what it did before (same entries, order and fields)', async () => {
		const before = await list({ path: FOLDER, options: { recursive: true } });
		const withDefaults = await list({
			path: FOLDER,
			returnAll: true,
			options: { recursive: true },
		});
		expect(withDefaults.map((item) => item.json)).toEqual(before.map((item) => item.json));
		expect(before).toHaveLength(25);
		expect(before.every((item) => !('doneFile' in item.json))).toBe(true);
		expect(Object.keys(before[0].json).sort()).toEqual(
			['group', 'modifiedAt', 'name', 'owner', 'path', 'permissions', 'size', 'type'].sort(),
		);
	});

	it('refuses a Done File that names the file itself, before listing anything', async () => {
		const error = await failingRun(target.credentials, {
			protocol: target.protocol,
			operation: 'list',
			path: FOLDER,
			options: { doneFile: '{name}' },
		});
		expect(error.message).toMatch(/every file would be its own marker/);
	});
});

describe('FTP without exact times in the listing (MDTM per file)', () => {
	let target: Target;

	beforeAll(async () => {
		target = await ftpTarget();
		await putSelectionTree(FOLDER, writerUnder(target.root));
	});

	afterAll(async () => {
		await target.close();
	});

	const timesAsked = (log: string) =>
		[...log.matchAll(/MDTM (\/\S+)/g)].map((match) => path.posix.relative(FOLDER, match[1])).sort();

	it('asks the time only of files the rules can select: not of hidden markers nor of what Exclude leaves out', async () => {
		const { output, log } = await runWithLog(target.credentials, {
			operation: 'list',
			path: FOLDER,
			options: SELECTION_OPTIONS,
		});
		expect(sortedPaths(output)).toEqual(SELECTED);
		expect(timesAsked(log)).toEqual([
			'big.csv',
			'empty.csv',
			'new.csv',
			'nomarker.csv',
			'old.csv',
			'stale.csv',
			'sub/a.csv',
			'sub/sub.csv',
		]);
	});

	it('asks the time of shown markers too, so that every entry output has one', async () => {
		const { output, log } = await runWithLog(target.credentials, {
			operation: 'list',
			path: FOLDER,
			options: { ...SELECTION_OPTIONS, hideDoneFiles: false },
		});
		expect(sortedPaths(output)).toEqual(SELECTED_WITH_MARKERS);
		expect(output.every((item) => typeof item.json.modifiedAt === 'string')).toBe(true);
		expect(timesAsked(log)).toEqual(
			expect.arrayContaining(SELECTED_WITH_MARKERS.filter((file) => file.endsWith('.done'))),
		);
	});
});
