/**
 * The FTP Automation Trigger's poll() through n8n's real PollContext (tools/n8nHarness.ts) against an
 * in-process ftp-srv, while files are created, grown (still uploading), finished, updated and deleted: each version
 * is emitted once, growing files are held back until stable, the state survives a new trigger instance with the same
 * static data, the cap is respected, downloads stream into n8n's binary store, and failures are explained.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import {
	cleanupBinaryData,
	HARNESS_NODE_NAME,
	initBinaryData,
	pollNode,
	readBinary,
} from '../../tools/n8nHarness';
import { credentialsFor, sha256 } from '../helpers/nodeRun';
import { logOf, type ShownError } from '../helpers/shownError';

let server: TestFtpServer;
let credentials: ICredentialDataDecryptedObject;
let folderCounter = 0;

beforeAll(async () => {
	await initBinaryData();
	server = await startFtpServer({ security: 'explicit' });
	credentials = credentialsFor(server, 'explicit');
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

/** A fresh watched folder per test, and helpers to change files in it as a partner's upload would. */
async function watchedFolder() {
	const folder = `/inbound-${++folderCounter}`;
	const onDisk = (name: string) => path.join(server.root, folder, name);
	await fsp.mkdir(path.join(server.root, folder), { recursive: true });
	return {
		folder,
		onDisk,
		write: async (name: string, content: string | Buffer, modified?: Date) => {
			await fsp.mkdir(path.dirname(onDisk(name)), { recursive: true });
			await fsp.writeFile(onDisk(name), content);
			if (modified) await fsp.utimes(onDisk(name), modified, modified);
		},
		append: async (name: string, content: string) => await fsp.appendFile(onDisk(name), content),
		remove: async (name: string) => await fsp.rm(onDisk(name)),
	};
}

/** An activated trigger: each poll() runs a new node instance on the same static data, as n8n does. */
function activatedTrigger(parameters: INodeParameters, staticData: IDataObject = {}) {
	return {
		staticData,
		poll: async (mode: 'trigger' | 'manual' = 'trigger'): Promise<INodeExecutionData[]> =>
			(await pollNode({
				nodeType: new FtpAutomationTrigger(),
				parameters,
				credentials: { ftpAutomationApi: credentials },
				staticData,
				mode,
			})) ?? [],
	};
}

const summary = (items: INodeExecutionData[]) =>
	items.map(
		(item) => `${String(item.json.event)} ${String(item.json.name)} ${String(item.json.size)}`,
	);

describe('FTP Automation Trigger', () => {
	it('on activation remembers what is there; then emits each new or changed version exactly once', async () => {
		const inbox = await watchedFolder();
		await inbox.write('old.csv', 'old\n');
		const trigger = activatedTrigger({
			path: inbox.folder,
			filter: '*.csv',
			event: 'fileCreatedOrUpdated',
		});
		expect(await trigger.poll()).toEqual([]);

		await inbox.write('orders.csv', 'id\n1\n');
		await inbox.write('notes.txt', 'not a csv');
		const created = await trigger.poll();
		expect(summary(created)).toEqual(['fileCreated orders.csv 5']);
		expect(created[0].json).toMatchObject({
			path: `${inbox.folder}/orders.csv`,
			type: 'file',
			modifiedAt: expect.any(String),
		});
		expect(await trigger.poll()).toEqual([]);

		await inbox.append('orders.csv', '2\n');
		expect(summary(await trigger.poll())).toEqual(['fileUpdated orders.csv 7']);
		expect(await trigger.poll()).toEqual([]);

		await inbox.remove('orders.csv');
		expect(await trigger.poll()).toEqual([]);
		await inbox.write('orders.csv', 'id\n3\n');
		expect(summary(await trigger.poll())).toEqual(['fileCreated orders.csv 5']);
	});

	it("never emits a safe upload's temporary file (running, or left by a killed upload) unless the Filter asks for hidden names", async () => {
		const inbox = await watchedFolder();
		const everything = activatedTrigger({ path: inbox.folder, event: 'fileCreated' });
		const hidden = activatedTrigger({ path: inbox.folder, filter: '.*', event: 'fileCreated' });
		await everything.poll();
		await hidden.poll();
		await inbox.write('.big.bin.0a1b2c3d.part', 'half of it');
		await inbox.write('.report.csv.89abcdef.old', 'the replaced version');
		await inbox.write('.profile', 'a hidden file of the partner');
		await inbox.write('orders.csv', 'id\n1\n');
		expect(summary(await everything.poll()).sort()).toEqual([
			'fileCreated .profile 28',
			'fileCreated orders.csv 5',
		]);
		expect(summary(await hidden.poll()).sort()).toEqual([
			'fileCreated .big.bin.0a1b2c3d.part 10',
			'fileCreated .profile 28',
			'fileCreated .report.csv.89abcdef.old 20',
		]);
	});

	it('New File only: an update is not emitted', async () => {
		const inbox = await watchedFolder();
		const trigger = activatedTrigger({ path: inbox.folder, event: 'fileCreated' });
		await trigger.poll();
		await inbox.write('a.csv', 'a');
		expect(summary(await trigger.poll())).toEqual(['fileCreated a.csv 1']);
		await inbox.append('a.csv', 'more');
		expect(await trigger.poll()).toEqual([]);
	});

	it('holds back a file that is still growing until it has stayed the same for Stable For', async () => {
		const inbox = await watchedFolder();
		const trigger = activatedTrigger({
			path: inbox.folder,
			event: 'fileCreated',
			options: { stableFor: 1 },
		});
		await trigger.poll();
		await inbox.write('export.csv', 'part 1\n');
		expect(await trigger.poll()).toEqual([]); // first seen: the wait starts
		await inbox.append('export.csv', 'part 2\n');
		expect(await trigger.poll()).toEqual([]); // grew: the wait starts again
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect(summary(await trigger.poll())).toEqual(['fileCreated export.csv 14']);
		expect(await trigger.poll()).toEqual([]);
	});

	it('keeps its state in the static data: a new instance after a restart emits nothing twice', async () => {
		const inbox = await watchedFolder();
		const first = activatedTrigger({ path: inbox.folder });
		await first.poll();
		await inbox.write('one.csv', '1');
		expect(summary(await first.poll())).toEqual(['fileCreated one.csv 1']);

		const restarted = activatedTrigger(
			{ path: inbox.folder },
			JSON.parse(JSON.stringify(first.staticData)) as IDataObject,
		);
		expect(await restarted.poll()).toEqual([]);
		await inbox.write('two.csv', '22');
		expect(summary(await restarted.poll())).toEqual(['fileCreated two.csv 2']);
		// The stored state holds one short entry per file there now.
		expect(
			Object.keys(
				(
					restarted.staticData[`node:${HARNESS_NODE_NAME}`] as {
						watch: { state: { seen: object } };
					}
				).watch.state.seen,
			).sort(),
		).toEqual([`${inbox.folder}/one.csv`, `${inbox.folder}/two.csv`]);
	});

	it('emits at most Max Files per Poll, oldest first, and the rest at later polls', async () => {
		const inbox = await watchedFolder();
		const trigger = activatedTrigger({ path: inbox.folder, options: { maxFilesPerPoll: 2 } });
		await trigger.poll();
		for (const [index, name] of ['e', 'c', 'a', 'd', 'b'].entries()) {
			await inbox.write(
				`${name}.csv`,
				name,
				new Date(Date.UTC(2026, 0, 1 + 'abcde'.indexOf(name), 0, index)),
			);
		}
		expect(summary(await trigger.poll())).toEqual(['fileCreated a.csv 1', 'fileCreated b.csv 1']);
		expect(summary(await trigger.poll())).toEqual(['fileCreated c.csv 1', 'fileCreated d.csv 1']);
		expect(summary(await trigger.poll())).toEqual(['fileCreated e.csv 1']);
		expect(await trigger.poll()).toEqual([]);
	});

	it('Emit Existing Files emits what is there at the first poll; Recursive watches subfolders', async () => {
		const inbox = await watchedFolder();
		await inbox.write('top.csv', 't');
		await inbox.write('2026/11/deep.csv', 'dd');
		const trigger = activatedTrigger({
			path: inbox.folder,
			recursive: true,
			options: { emitExisting: true },
		});
		expect(summary(await trigger.poll()).sort()).toEqual([
			'fileCreated deep.csv 2',
			'fileCreated top.csv 1',
		]);
		expect(await trigger.poll()).toEqual([]);
	});

	it('Download attaches each file as binary data, and Move to Folder archives it only after it is stored', async () => {
		const inbox = await watchedFolder();
		const trigger = activatedTrigger({
			path: inbox.folder,
			filter: '*.csv',
			options: { download: true, afterDownload: 'moveTo', moveToFolder: `${inbox.folder}-archive` },
		});
		await trigger.poll();
		const content = Buffer.from('id,amount\n1,9.99\n');
		await inbox.write('pay.csv', content);
		const [item, ...rest] = await trigger.poll();
		expect(rest).toEqual([]);
		expect(item.json).toMatchObject({
			event: 'fileCreated',
			path: `${inbox.folder}/pay.csv`,
			size: content.length,
			movedTo: `${inbox.folder}-archive/pay.csv`,
		});
		expect(item.binary?.data.fileName).toBe('pay.csv');
		expect(sha256(await readBinary(item.binary!.data))).toBe(sha256(content));
		expect(await fsp.readFile(path.join(server.root, `${inbox.folder}-archive/pay.csv`))).toEqual(
			content,
		);
		await expect(fsp.stat(inbox.onDisk('pay.csv'))).rejects.toThrow(/ENOENT/);
		expect(await trigger.poll()).toEqual([]);
	});

	it('a manual test run shows the newest files without changing the state, and moves or deletes nothing', async () => {
		const inbox = await watchedFolder();
		await inbox.write('older.csv', 'o', new Date('2026-01-01T00:00:00Z'));
		await inbox.write('newer.csv', 'n', new Date('2026-02-01T00:00:00Z'));
		const trigger = activatedTrigger({
			path: inbox.folder,
			options: { download: true, afterDownload: 'delete', maxFilesPerPoll: 1 },
		});
		const sample = await trigger.poll('manual');
		expect(summary(sample)).toEqual(['fileCreated newer.csv 1']);
		expect(sample[0].binary?.data).toBeDefined();
		expect(await fsp.readFile(inbox.onDisk('newer.csv'), 'utf8')).toBe('n');
		expect(trigger.staticData).toEqual({});
	});

	it('a failing poll raises the explained error, without the password', async () => {
		const trigger = {
			poll: async () =>
				await pollNode({
					nodeType: new FtpAutomationTrigger(),
					parameters: { path: '/' },
					credentials: { ftpAutomationApi: { ...credentials, password: 'wrong-password-123' } },
					staticData: {},
				}),
		};
		const error = (await trigger.poll().catch((failure: unknown) => failure)) as ShownError;
		expect(error.message).toMatch(/password|log in|login/i);
		expect(logOf(error)).toContain('> PASS ***');
		expect(
			JSON.stringify({
				message: error.message,
				description: error.description,
				messages: error.messages,
			}),
		).not.toContain('wrong-password-123');

		const missing = await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: { path: '/no/such/folder' },
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		}).catch((failure: Error) => failure);
		expect((missing as Error).message).toBe(
			'The folder "/no/such/folder" does not exist or cannot be opened',
		);
	});
});
