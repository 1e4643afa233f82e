/**
 * Versions 1 and 2 of the action node are one node with two layouts: version 1 keeps every setting in Options and
 * the remote path in Path, version 2 shows the settings that change what an operation does as fields of their own
 * and keeps a folder in Folder. A workflow saved in either layout must make the operation do the same thing: the
 * same input (actions/operationInput.ts, read through n8n's real execution context) and, against a real FTP
 * server, the same output and the same files on the server.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameters,
	INodeType,
} from 'n8n-workflow';

import { FtpAutomation } from '../../nodes/FtpAutomation/FtpAutomation.node';
import { operationInput } from '../../nodes/FtpAutomation/actions/operationInput';
import type { FtpOperation } from '../../nodes/FtpAutomation/actions/types';
import { DEFAULTS } from '../../nodes/FtpAutomation/transport';
import { ftpNodeOfVersion } from '../../tools/ftpNode';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, runNode } from '../../tools/n8nHarness';
import { credentialsFor, runFtpNode, sha256 } from '../helpers/nodeRun';

/** What the operation would be given, read by n8n's execution context from a node of `typeVersion`. */
async function inputOf(typeVersion: number, parameters: INodeParameters) {
	const node = ftpNodeOfVersion(typeVersion);
	const probe: INodeType = {
		description: node.description,
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const operation = this.getNodeParameter('operation', 0) as FtpOperation;
			return [[{ json: operationInput(this, 0, operation) as unknown as IDataObject }]];
		},
	};
	const [output] = await runNode({ nodeType: probe, parameters });
	return output.json;
}

beforeAll(async () => {
	await initBinaryData();
});

afterAll(async () => {
	await cleanupBinaryData();
});

describe('the same input from a workflow saved with version 1 or version 2', () => {
	it.each([
		[
			'List',
			{
				operation: 'list',
				path: '/inbound',
				options: { filter: '*.csv', recursive: true, maxFolders: 7, retries: 0, concurrency: 3 },
			},
			{
				operation: 'list',
				folder: '/inbound',
				retries: 0,
				options: { filter: '*.csv', recursive: true, maxFolders: 7, concurrency: 3 },
			},
		],
		[
			'Download, moved after download',
			{
				operation: 'download',
				path: '/in/a.csv',
				options: { afterDownload: 'moveTo', moveToFolder: '/done', retries: 5 },
			},
			{
				operation: 'download',
				path: '/in/a.csv',
				afterDownload: 'moveTo',
				moveToFolder: '/done',
				retries: 5,
			},
		],
		[
			'Upload, skipping an existing file, no temporary name, no folders created',
			{
				operation: 'upload',
				path: '/out/r.csv',
				options: {
					ifExists: 'skip',
					atomicUpload: false,
					createDirectories: false,
					retries: 1,
					includeConnectionLog: true,
				},
			},
			{
				operation: 'upload',
				path: '/out/r.csv',
				ifExists: 'skip',
				atomicUpload: false,
				createDirectories: false,
				retries: 1,
				options: { includeConnectionLog: true },
			},
		],
		[
			'Delete of a folder with everything in it',
			{
				operation: 'delete',
				path: '/old',
				options: { folder: true, recursive: true, timeLimit: 9 },
			},
			{
				operation: 'delete',
				deleteTarget: 'folder',
				folder: '/old',
				recursive: true,
				options: { timeLimit: 9 },
			},
		],
		[
			'Rename, creating folders',
			{ operation: 'rename', oldPath: '/a', newPath: '/x/b', options: { createDirectories: true } },
			{ operation: 'rename', oldPath: '/a', newPath: '/x/b', createDirectories: true },
		],
		[
			'Create Folder without its parents',
			{ operation: 'createFolder', path: '/a/b', options: { recursive: false } },
			{ operation: 'createFolder', folder: '/a/b', recursive: false },
		],
	] as Array<[string, INodeParameters, INodeParameters]>)(
		'%s',
		async (_, savedWithVersion1, savedWithVersion2) => {
			const fromVersion1 = await inputOf(1, savedWithVersion1);
			const fromVersion2 = await inputOf(2, savedWithVersion2);
			expect(fromVersion2.path).toEqual(fromVersion1.path);
			expect(fromVersion2.options).toEqual(fromVersion1.options);
		},
	);

	it("version 2's visible defaults are the values version 1 falls back to when an option is not added", async () => {
		const upload = await inputOf(2, { operation: 'upload', path: '/r.csv' });
		expect(upload.options).toEqual({
			ifExists: DEFAULTS.ifExists,
			atomicUpload: DEFAULTS.atomicUpload,
			createDirectories: DEFAULTS.uploadCreatesDirectories,
			retries: DEFAULTS.retries,
		});
		const download = await inputOf(2, { operation: 'download', path: '/a.csv' });
		// Move to Folder is hidden (and not read) unless After Download is "Move the File".
		expect(download.options).toEqual({ afterDownload: 'keep', retries: DEFAULTS.retries });
		const createFolder = await inputOf(2, { operation: 'createFolder', folder: '/a' });
		expect(createFolder.options).toEqual({ recursive: DEFAULTS.createFolderRecursive });
		const deleteFile = await inputOf(2, { operation: 'delete', path: '/a.csv' });
		expect(deleteFile).toEqual({ path: '/a.csv', pathLabel: 'Path', options: { folder: false } });
	});
});

describe('the same result on a real server', () => {
	let server: TestFtpServer;
	const onServer = (remotePath: string) => path.join(server.root, remotePath);
	const run = async (typeVersion: number, parameters: INodeParameters) =>
		await runFtpNode(credentialsFor(server, 'explicit'), parameters, { typeVersion });

	beforeAll(async () => {
		server = await startFtpServer({ security: 'explicit' });
	});

	afterAll(async () => {
		await server.close();
	});

	it('Download with "Move the File": the file arrives and is moved, in both layouts', async () => {
		const content = Buffer.from('id,name\n1,Zoë\n');
		const outputs: IDataObject[] = [];
		for (const [typeVersion, parameters] of [
			[1, { options: { afterDownload: 'moveTo', moveToFolder: '/done1' } }],
			[2, { afterDownload: 'moveTo', moveToFolder: '/done2' }],
		] as Array<[number, INodeParameters]>) {
			await fsp.mkdir(onServer('in'), { recursive: true });
			await fsp.writeFile(onServer('in/a.csv'), content);
			const [item] = await run(typeVersion, {
				operation: 'download',
				path: '/in/a.csv',
				...parameters,
			});
			expect(item.binary?.data.fileSize).toBeDefined();
			expect(sha256(await fsp.readFile(onServer(`done${typeVersion}/a.csv`)))).toBe(
				sha256(content),
			);
			await expect(fsp.stat(onServer('in/a.csv'))).rejects.toThrow('ENOENT');
			outputs.push(item.json);
		}
		expect(outputs[1]).toEqual({ ...outputs[0], movedTo: '/done2/a.csv' });
	});

	it('Download outputs the modification time from version 3 on; versions 1 and 2 keep the output saved workflows map', async () => {
		await fsp.mkdir(onServer('timed'), { recursive: true });
		await fsp.writeFile(onServer('timed/a.csv'), 'id\n1\n');
		const time = new Date('2024-03-15T10:20:30Z');
		await fsp.utimes(onServer('timed/a.csv'), time, time);
		const outputs: IDataObject[] = [];
		for (const typeVersion of [1, 2, 3]) {
			const [item] = await run(typeVersion, { operation: 'download', path: '/timed/a.csv' });
			outputs.push(item.json);
		}
		expect(outputs).toEqual([
			{ path: '/timed/a.csv', size: 5 },
			{ path: '/timed/a.csv', size: 5 },
			{ path: '/timed/a.csv', size: 5, modifiedAt: '2024-03-15T10:20:30.000Z' },
		]);
	});

	it('version 3 has the fields of version 2 (the contract of each is in test/unit/publicContract.json)', () => {
		const shownIn = (version: number) =>
			new FtpAutomation().description.properties
				.filter((property) => {
					const versions = property.displayOptions?.show?.['@version'];
					return versions === undefined || (versions as number[]).includes(version);
				})
				.map((property) => property.name);
		expect(shownIn(3)).toEqual(shownIn(2));
		expect(new FtpAutomation().description.defaultVersion).toBe(3);
	});

	it('Upload with If File Exists "Skip": the existing file is left alone, in both layouts', async () => {
		await fsp.writeFile(onServer('kept.txt'), 'old');
		const results = [];
		for (const [typeVersion, parameters] of [
			[1, { options: { ifExists: 'skip' } }],
			[2, { ifExists: 'skip' }],
		] as Array<[number, INodeParameters]>) {
			const [item] = await run(typeVersion, {
				operation: 'upload',
				path: '/kept.txt',
				binaryData: false,
				fileContent: 'new',
				...parameters,
			});
			results.push(item.json);
		}
		expect(results[1]).toEqual(results[0]);
		expect(results[0].skipped).toBe(true);
		expect(await fsp.readFile(onServer('kept.txt'), 'utf8')).toBe('old');
	});

	it('Delete of a folder with everything in it, in both layouts', async () => {
		for (const [typeVersion, parameters] of [
			[1, { path: '/tree1', options: { folder: true, recursive: true } }],
			[2, { deleteTarget: 'folder', folder: '/tree2', recursive: true }],
		] as Array<[number, INodeParameters]>) {
			await fsp.mkdir(onServer(`tree${typeVersion}/sub`), { recursive: true });
			await fsp.writeFile(onServer(`tree${typeVersion}/sub/f.txt`), 'x');
			const [item] = await run(typeVersion, { operation: 'delete', ...parameters });
			expect(item.json).toEqual({ path: `/tree${typeVersion}`, deleted: true });
			await expect(fsp.stat(onServer(`tree${typeVersion}`))).rejects.toThrow('ENOENT');
		}
	});

	it('version 2 names the Folder field when it is empty', async () => {
		const failure = await run(2, { operation: 'createFolder', folder: '' }).then(
			() => undefined,
			(error: Error) => error,
		);
		expect(failure?.message).toMatch(/^Folder is empty/);
	});
});
