/**
 * The trigger's issue-17 behaviour as scenarios that run against any server whose files the test can touch on disk:
 * the embedded ones (test/integration/triggerEvents.test.ts) and real ones (test/interop/triggerEvents.test.ts).
 * Deleted File, New Folder (and a state saved before folders were watched), a Done File gate with the marker deleted,
 * a folder marker kept until every file it released is emitted, Exclude / Min Age / Min Size, Claim Folder, a poison
 * file moved aside while the poll goes on, and a manual test run that changes nothing.
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
import { HARNESS_NODE_NAME, pollNode, readBinary } from '../../tools/n8nHarness';
import { sha256 } from './nodeRun';
import { withStoreLimitOf1MiB } from './pickupScenarios';

/** A server the scenarios run against. */
export interface TriggerTarget {
	protocol: 'ftp' | 'sftp';
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/** The remote path (as the client sees it) of a path relative to the test user's folder. */
	remote(relative: string): string;
	/** The same path on disk. */
	onDisk(relative: string): string;
	/** Writes a file as the test user would own it (creating its folders). */
	write(relative: string, content: Buffer | string): Promise<void>;
	/** mkdir -p as the test user. */
	makeFolder(relative: string): Promise<void>;
	/**
	 * Optional: makes the next claim of a file of this name lose the race (the file moves elsewhere just before the
	 * server renames it), as when another execution claimed it first.
	 */
	loseNextClaim?(name: string): void;
}

const HOUR_AGO = () => new Date(Date.now() - 3600_000);
const FIXED_TIME = new Date('2024-03-05T06:07:00Z');

async function exists(file: string): Promise<boolean> {
	return await fsp.stat(file).then(
		() => true,
		() => false,
	);
}

const summary = (items: INodeExecutionData[]) =>
	items.map((item) => `${String(item.json.event)} ${String(item.json.name)}`);

/** Registers the scenarios in the calling describe block; `target` is read when a test runs. */
export function triggerScenarios(target: () => TriggerTarget): void {
	let counter = 0;

	/** A fresh folder for one test: its remote path, and helpers on disk. */
	async function inbox() {
		const t = target();
		const relative = `trigger-${process.pid}-${++counter}`;
		await t.makeFolder(relative);
		const at = (name: string) => `${relative}/${name}`;
		return {
			folder: t.remote(relative),
			remote: (name: string) => t.remote(at(name)),
			disk: (name: string) => t.onDisk(at(name)),
			write: async (name: string, content: Buffer | string, modified = HOUR_AGO()) => {
				await t.write(at(name), content);
				await fsp.utimes(t.onDisk(at(name)), modified, modified);
			},
			makeFolder: async (name: string) => await t.makeFolder(at(name)),
			remove: async (name: string) => await fsp.rm(t.onDisk(at(name))),
			names: async (name = '') => (await fsp.readdir(t.onDisk(at(name)))).sort(),
		};
	}

	/** An activated trigger: each poll() runs a new node instance on the same static data, as n8n does. */
	function activated(parameters: INodeParameters, staticData: IDataObject = {}) {
		const t = target();
		return {
			staticData,
			state: () =>
				(staticData[`node:${HARNESS_NODE_NAME}`] as { watch: { state: { seen: IDataObject } } })
					.watch.state,
			poll: async (mode: 'trigger' | 'manual' = 'trigger'): Promise<INodeExecutionData[]> =>
				(await pollNode({
					nodeType: new FtpAutomationTrigger(),
					parameters: { protocol: t.protocol, ...parameters },
					credentials: t.credentials,
					staticData,
					mode,
				})) ?? [],
		};
	}

	it('Deleted File: emits a seen file once it is gone, with the fields it had; files created later too', async () => {
		const box = await inbox();
		await box.write('a.csv', 'aaa', FIXED_TIME);
		await box.write('b.csv', 'b');
		const trigger = activated({ path: box.folder, event: 'fileDeleted' });
		expect(await trigger.poll()).toEqual([]);
		await box.remove('a.csv');
		const [item, ...rest] = await trigger.poll();
		expect(rest).toEqual([]);
		expect(item.json).toMatchObject({
			event: 'fileDeleted',
			name: 'a.csv',
			path: box.remote('a.csv'),
			type: 'file',
			size: 3,
		});
		expect(String(item.json.modifiedAt)).toMatch(/^2024-03-05T06:07/);
		expect(item.binary).toBeUndefined();
		expect(await trigger.poll()).toEqual([]);

		await box.write('c.csv', 'cc');
		expect(await trigger.poll()).toEqual([]); // a new file is not a deletion
		await box.remove('c.csv');
		expect(summary(await trigger.poll())).toEqual(['fileDeleted c.csv']);
		// Nothing of the gone files stays in the state.
		expect(Object.keys(trigger.state().seen)).toEqual([box.remote('b.csv')]);
	});

	it('New Folder: emits each new folder once (at any depth with Recursive), not folders there before or files', async () => {
		const box = await inbox();
		await box.write('old/x.csv', 'x');
		const trigger = activated({ path: box.folder, recursive: true, event: 'folderCreated' });
		expect(await trigger.poll()).toEqual([]);
		await box.makeFolder('new');
		await box.makeFolder('old/deeper');
		await box.write('top.csv', 't');
		const created = await trigger.poll();
		expect(summary(created).sort()).toEqual(['folderCreated deeper', 'folderCreated new']);
		expect(created.map((item) => item.json.type)).toEqual(['directory', 'directory']);
		expect(await trigger.poll()).toEqual([]);
	});

	it('New Folder on the state a New File trigger saved (no folders in it): no burst of existing folders', async () => {
		const box = await inbox();
		await box.makeFolder('2025');
		await box.write('2025/x.csv', 'x');
		const files = activated({ path: box.folder, event: 'fileCreated' });
		expect(await files.poll()).toEqual([]);
		expect(files.state()).not.toHaveProperty('folders');
		const folders = activated({ path: box.folder, event: 'folderCreated' }, files.staticData);
		expect(await folders.poll()).toEqual([]);
		await box.makeFolder('2026');
		expect(summary(await folders.poll())).toEqual(['folderCreated 2026']);
	});

	it('Done File: a file is emitted only once its marker exists; After Download delete and Delete Done File remove both', async () => {
		const box = await inbox();
		const trigger = activated({
			path: box.folder,
			filter: '*.csv',
			options: {
				download: true,
				afterDownload: 'delete',
				doneFile: '{name}.done',
				deleteDoneFile: true,
			},
		});
		expect(await trigger.poll()).toEqual([]);
		const content = Buffer.from('id,amount\n1,9.99\n');
		await box.write('pay.csv', content);
		expect(await trigger.poll()).toEqual([]);
		await box.write('pay.csv.done', '');
		const [item, ...rest] = await trigger.poll();
		expect(rest).toEqual([]);
		expect(item.json).toMatchObject({
			event: 'fileCreated',
			name: 'pay.csv',
			doneFile: box.remote('pay.csv.done'),
			deleted: true,
		});
		expect(sha256(await readBinary(item.binary!.data))).toBe(sha256(content));
		expect(await box.names()).toEqual([]);
		expect(await trigger.poll()).toEqual([]);
	});

	it('a folder marker (_SUCCESS) stays until every file it released was emitted', async () => {
		const box = await inbox();
		const trigger = activated({
			path: box.folder,
			options: {
				download: true,
				afterDownload: 'delete',
				doneFile: '_SUCCESS',
				deleteDoneFile: true,
				maxFilesPerPoll: 1,
			},
		});
		await box.write('a.csv', 'a', new Date(Date.now() - 7200_000));
		await box.write('b.csv', 'b');
		expect(await trigger.poll()).toEqual([]);
		await box.write('_SUCCESS', '');
		expect(summary(await trigger.poll())).toEqual(['fileCreated a.csv']);
		expect(await box.names()).toEqual(['_SUCCESS', 'b.csv']);
		expect(summary(await trigger.poll())).toEqual(['fileCreated b.csv']);
		expect(await box.names()).toEqual([]);
	});

	it('Exclude, Min Age and Min Size leave files out until they qualify', async () => {
		const box = await inbox();
		const trigger = activated({
			path: box.folder,
			recursive: true,
			options: { exclude: '*.tmp, archive/**', minAge: 600, minSize: 1 },
		});
		expect(await trigger.poll()).toEqual([]);
		await box.write('old.csv', 'data');
		await box.write('skip.tmp', 'tmp');
		await box.write('archive/kept.csv', 'archived');
		await box.write('empty.csv', '');
		await box.write('young.csv', 'y', new Date());
		expect(summary(await trigger.poll())).toEqual(['fileCreated old.csv']);
		expect(await trigger.poll()).toEqual([]);
		const hourAgo = HOUR_AGO();
		await fsp.utimes(box.disk('young.csv'), hourAgo, hourAgo);
		expect(summary(await trigger.poll())).toEqual(['fileCreated young.csv']);
	});

	it('Claim Folder: a file is renamed into the claim folder before its download; the claimed file is no new file', async () => {
		const box = await inbox();
		const claimFolder = `${box.folder}/.processing`;
		const trigger = activated({
			path: box.folder,
			recursive: true,
			event: 'fileCreated',
			options: { download: true, claimFolder },
		});
		expect(await trigger.poll()).toEqual([]);
		const content = Buffer.from('claimed bytes\n');
		await box.write('a.csv', content);
		const [item, ...rest] = await trigger.poll();
		expect(rest).toEqual([]);
		expect(item.json).toMatchObject({
			name: 'a.csv',
			claimed: true,
			claimedPath: `${claimFolder}/a.csv`,
		});
		expect(sha256(await readBinary(item.binary!.data))).toBe(sha256(content));
		expect(await box.names()).toEqual(['.processing']);
		expect(await box.names('.processing')).toEqual(['a.csv']);
		expect(await trigger.poll()).toEqual([]);

		const loseNextClaim = target().loseNextClaim;
		if (loseNextClaim === undefined) return;
		await box.write('b.csv', 'b', new Date(Date.now() - 7200_000));
		await box.write('c.csv', 'c');
		loseNextClaim('b.csv');
		// b.csv was claimed by "another execution": no item, not recorded; c.csv goes on.
		expect(summary(await trigger.poll())).toEqual(['fileCreated c.csv']);
		expect(Object.keys(trigger.state().seen)).not.toContain(box.remote('b.csv'));
	});

	it('After Failure: a poison file is moved aside and the poll goes on; a poll with only poison fails, explained', async () => {
		const box = await inbox();
		const failedFolder = `${box.folder}-failed`;
		const trigger = activated({
			path: box.folder,
			options: { download: true, afterFailure: 'moveTo', failedFolder },
		});
		expect(await trigger.poll()).toEqual([]);
		const poison = Buffer.alloc(2 * 1024 * 1024, 7);
		await box.write('poison.bin', poison, new Date(Date.now() - 7200_000));
		await box.write('good.csv', 'good');
		await withStoreLimitOf1MiB(async () => {
			expect(summary(await trigger.poll())).toEqual(['fileCreated good.csv']);
			expect(await box.names()).toEqual(['good.csv']);
			const failedOnDisk = target().onDisk(path.posix.basename(failedFolder));
			expect(sha256(await fsp.readFile(path.join(failedOnDisk, 'poison.bin')))).toBe(
				sha256(poison),
			);
			expect(await trigger.poll()).toEqual([]);

			await box.write('poison2.bin', poison);
			const error = (await trigger.poll().catch((failure: Error) => failure)) as Error;
			expect(error.message).toContain('larger than 1 MiB');
			expect(error.message).toContain(`moved to "${failedFolder}/poison2.bin"`);
			expect(await exists(path.join(failedOnDisk, 'poison2.bin'))).toBe(true);
			expect(await trigger.poll()).toEqual([]);
		});
	});

	it('a manual test run downloads but never claims, deletes or moves a file, nor a marker, and keeps no state', async () => {
		const box = await inbox();
		await box.write('x.csv', 'x');
		await box.write('x.csv.done', '');
		const trigger = activated({
			path: box.folder,
			options: {
				download: true,
				afterDownload: 'delete',
				claimFolder: `${box.folder}/.processing`,
				doneFile: '{name}.done',
				deleteDoneFile: true,
				afterFailure: 'moveTo',
				failedFolder: `${box.folder}/failed`,
			},
		});
		const sample = await trigger.poll('manual');
		expect(summary(sample)).toEqual(['fileCreated x.csv']);
		expect(sample[0].binary?.data).toBeDefined();
		expect(await box.names()).toEqual(['x.csv', 'x.csv.done']);
		expect(trigger.staticData).toEqual({});
	});
}
