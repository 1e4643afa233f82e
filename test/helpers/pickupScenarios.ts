/**
 * The pickup scenarios (Claim Folder, After Failure, Delete Done File, modifiedAt) run through n8n's real execution
 * context against any server: the integration suite runs them against the in-process FTP and SFTP servers, the
 * interop suite against vsftpd and OpenSSH. Results are compared with the files on disk (SHA-256), and every
 * scenario checks what is left in its folder.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { readBinary } from '../../tools/n8nHarness';
import { runFtpNode, sha256, within } from './nodeRun';

/** A server as the scenarios see it: how to reach it, and its files on disk. */
export interface PickupTarget {
	name: string;
	credentials: () => ICredentialDataDecryptedObject;
	/** e.g. `{ protocol: 'sftp' }`. */
	parameters: INodeParameters;
	/** The remote path of a path relative to the user's folder. */
	remote: (relative: string) => string;
	/** Its path on disk. */
	disk: (relative: string) => string;
	/** Writes a file (and its folders) as the server's user. */
	write: (relative: string, content: Buffer | string) => Promise<void>;
	/** How a file becomes poison here: unreadable for the server's user, or too large for n8n's store. */
	poison: 'unreadable' | 'tooLarge';
	/** What the error of an unreadable file says, e.g. /Permission denied/. */
	unreadableCause?: RegExp;
}

const download = (
	target: PickupTarget,
	items: INodeExecutionData[],
	options: IDataObject,
	continueOnFail = false,
) =>
	runFtpNode(
		target.credentials(),
		{
			...target.parameters,
			operation: 'download',
			path: '={{ $json.path }}',
			binaryPropertyName: 'data',
			// Version 3 (what new nodes get; the layout of version 2) shows After Download as fields of their own; the pickup
			// options are in the collection.
			...pick(options, ['afterDownload', 'moveToFolder', 'retries']),
			options: omit(options, ['afterDownload', 'moveToFolder', 'retries']),
		} as INodeParameters,
		{ typeVersion: 3, items, continueOnFail },
	);

const pick = (object: IDataObject, names: string[]) =>
	Object.fromEntries(Object.entries(object).filter(([name]) => names.includes(name)));
const omit = (object: IDataObject, names: string[]) =>
	Object.fromEntries(Object.entries(object).filter(([name]) => !names.includes(name)));

const itemsOf = (paths: string[], extra: (path: string) => IDataObject = () => ({})) =>
	paths.map((remotePath) => ({ json: { path: remotePath, ...extra(remotePath) } }));

/** Names in a folder on disk, sorted ([] when it does not exist). */
async function namesIn(folder: string): Promise<string[]> {
	return (await fsp.readdir(folder).catch(() => [] as string[])).sort();
}

/** Writes `count` files of random bytes and different sizes; returns remote path → SHA-256. */
async function writeFiles(
	target: PickupTarget,
	folder: string,
	count: number,
): Promise<Map<string, string>> {
	const hashes = new Map<string, string>();
	for (let index = 0; index < count; index++) {
		const content = randomBytes(500 + ((index * 7919) % 120_000));
		await target.write(`${folder}/file-${index}.bin`, content);
		hashes.set(target.remote(`${folder}/file-${index}.bin`), sha256(content));
	}
	return hashes;
}

async function expectBytes(item: INodeExecutionData, expected: string | undefined): Promise<void> {
	expect(item.binary?.data).toBeDefined();
	expect(sha256(await readBinary(item.binary!.data))).toBe(expected);
}

/** Claim, then delete or move the claimed file (After Download): nothing left in the folders the files passed. */
export async function claimThenAfterDownload(target: PickupTarget, folder: string): Promise<void> {
	const hashes = await writeFiles(target, folder, 3);
	const [first, ...rest] = [...hashes.keys()];
	const claimFolder = target.remote(`${folder}/.processing`);

	const deleted = await download(target, itemsOf([first]), {
		claimFolder,
		afterDownload: 'delete',
	});
	expect(deleted).toHaveLength(1);
	expect(deleted[0].json).toMatchObject({
		path: first,
		claimed: true,
		claimedPath: `${claimFolder}/file-0.bin`,
		deleted: true,
	});
	await expectBytes(deleted[0], hashes.get(first));

	const moved = await download(target, itemsOf(rest), {
		claimFolder,
		afterDownload: 'moveTo',
		moveToFolder: target.remote(`${folder}/archive`),
	});
	for (const item of moved) {
		const name = path.posix.basename(item.json.path as string);
		expect(item.json).toMatchObject({
			claimed: true,
			claimedPath: `${claimFolder}/${name}`,
			movedTo: target.remote(`${folder}/archive/${name}`),
		});
		await expectBytes(item, hashes.get(item.json.path as string));
	}
	expect(await namesIn(target.disk(folder))).toEqual(['.processing', 'archive']);
	expect(await namesIn(target.disk(`${folder}/.processing`))).toEqual([]);
	expect(await namesIn(target.disk(`${folder}/archive`))).toEqual(['file-1.bin', 'file-2.bin']);
}

/** A file of the same name already in the claim folder (an earlier claim) is never replaced: a unique name instead. */
export async function claimNeverReplaces(target: PickupTarget, folder: string): Promise<void> {
	const earlier = randomBytes(3000);
	await target.write(`${folder}/.processing/same.bin`, earlier);
	const content = randomBytes(5000);
	await target.write(`${folder}/same.bin`, content);
	const claimFolder = target.remote(`${folder}/.processing`);

	const [item] = await download(target, itemsOf([target.remote(`${folder}/same.bin`)]), {
		claimFolder,
	});

	const claimedPath = item.json.claimedPath as string;
	expect(claimedPath.startsWith(`${claimFolder}/same.`)).toBe(true);
	expect(path.posix.basename(claimedPath)).toMatch(/^same\.[0-9a-z]+-[0-9a-f]{6}\.bin$/);
	await expectBytes(item, sha256(content));
	expect(sha256(await fsp.readFile(target.disk(`${folder}/.processing/same.bin`)))).toBe(
		sha256(earlier),
	);
	const claimedName = path.posix.basename(claimedPath);
	expect(sha256(await fsp.readFile(target.disk(`${folder}/.processing/${claimedName}`)))).toBe(
		sha256(content),
	);
	expect(await namesIn(target.disk(folder))).toEqual(['.processing']);
	expect(await namesIn(target.disk(`${folder}/.processing`))).toEqual(
		[claimedName, 'same.bin'].sort(),
	);
}

/**
 * Two executions at once over the same 24 files, each with the same input and Concurrency 3: every file downloaded
 * exactly once across both (its bytes intact), the other item of each file `claimed: false`, no error, nothing left.
 */
export async function concurrentClaims(target: PickupTarget, folder: string): Promise<void> {
	const hashes = await writeFiles(target, folder, 24);
	const items = itemsOf([...hashes.keys()]);
	const options = {
		claimFolder: target.remote(`${folder}/.processing`),
		afterDownload: 'delete',
		concurrency: 3,
	};

	const [first, second] = await within(
		120_000,
		Promise.all([download(target, items, options), download(target, items, options)]),
	);

	expect(first).toHaveLength(24);
	expect(second).toHaveLength(24);
	const all = [...first, ...second];
	const claimed = all.filter((item) => item.json.claimed === true);
	expect(claimed.map((item) => item.json.path).sort()).toEqual([...hashes.keys()].sort());
	for (const item of claimed) await expectBytes(item, hashes.get(item.json.path as string));
	const skipped = all.filter((item) => item.json.claimed === false);
	expect(skipped).toHaveLength(24);
	for (const item of skipped) {
		expect(item.binary).toBeUndefined();
		expect(Object.keys(item.json).sort()).toEqual(['claimed', 'path']);
	}
	expect(await namesIn(target.disk(folder))).toEqual(['.processing']);
	expect(await namesIn(target.disk(`${folder}/.processing`))).toEqual([]);
}

/** Runs `work` with n8n's store limited to 1 MiB (binary data mode "database"), as the download sees it. */
export async function withStoreLimitOf1MiB<T>(work: () => Promise<T>): Promise<T> {
	const saved = {
		mode: process.env.N8N_DEFAULT_BINARY_DATA_MODE,
		limit: process.env.N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE,
	};
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'database';
	process.env.N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE = '1';
	try {
		return await work();
	} finally {
		for (const [name, value] of [
			['N8N_DEFAULT_BINARY_DATA_MODE', saved.mode],
			['N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE', saved.limit],
		] as const) {
			if (value === undefined) delete process.env[name];
			else process.env[name] = value;
		}
	}
}

/**
 * A poison file among good ones, all released by one folder marker: the poison file is moved into the Failed
 * Folder (its error names the cause and the new place), the others are downloaded and deleted, and the folder marker
 * stays (one of its files failed).
 */
export async function poisonFileMovedAside(target: PickupTarget, folder: string): Promise<void> {
	const hashes = await writeFiles(target, folder, 4);
	const poison = randomBytes(2 * 1024 * 1024 + 10);
	await target.write(`${folder}/poison.bin`, poison);
	if (target.poison === 'unreadable') await fsp.chmod(target.disk(`${folder}/poison.bin`), 0o000);
	await target.write(`${folder}/_SUCCESS`, '');
	const poisonPath = target.remote(`${folder}/poison.bin`);
	const marker = target.remote(`${folder}/_SUCCESS`);
	const items = itemsOf([...hashes.keys(), poisonPath], () => ({ doneFile: marker }));
	const failedFolder = target.remote(`${folder}/failed`);
	const run = async () =>
		await download(
			target,
			items,
			{
				claimFolder: target.remote(`${folder}/.processing`),
				afterDownload: 'delete',
				afterFailure: 'moveTo',
				failedFolder,
				deleteDoneFile: true,
				concurrency: 2,
				retries: 0,
			},
			true,
		);

	const output = target.poison === 'tooLarge' ? await withStoreLimitOf1MiB(run) : await run();

	expect(output).toHaveLength(5);
	const failed = output[4];
	const error = String(failed.json.error);
	expect(error).toContain(`${folder}/.processing/poison.bin`);
	if (target.poison === 'tooLarge') expect(error).toContain('is larger than 1 MiB');
	else expect(error).toMatch(target.unreadableCause!);
	expect(error).toContain(`The file was moved to "${failedFolder}/poison.bin" (After Failure)`);
	expect(failed.binary).toBeUndefined();
	for (const item of output.slice(0, 4)) {
		expect(item.json).toMatchObject({ claimed: true, deleted: true });
		expect(item.json.doneFileDeleted).toBeUndefined();
		await expectBytes(item, hashes.get(item.json.path as string));
	}
	await fsp.chmod(target.disk(`${folder}/failed/poison.bin`), 0o644);
	expect(sha256(await fsp.readFile(target.disk(`${folder}/failed/poison.bin`)))).toBe(
		sha256(poison),
	);
	expect(await namesIn(target.disk(folder))).toEqual(['.processing', '_SUCCESS', 'failed']);
	expect(await namesIn(target.disk(`${folder}/.processing`))).toEqual([]);
}

/**
 * Delete Done File: per-file markers go with their file (a missing one is fine), a folder marker with the last of
 * the items that name it, once all of them were downloaded.
 */
export async function doneFilesDeleted(target: PickupTarget, folder: string): Promise<void> {
	await target.write(`${folder}/a.csv`, 'a\n');
	await target.write(`${folder}/a.csv.done`, '');
	await target.write(`${folder}/b.csv`, 'b\n');
	for (const name of ['x1', 'x2', 'x3']) await target.write(`${folder}/batch/${name}.csv`, name);
	await target.write(`${folder}/batch/_SUCCESS`, '');
	const marker = target.remote(`${folder}/batch/_SUCCESS`);
	const items = [
		...itemsOf([target.remote(`${folder}/a.csv`)], (file) => ({ doneFile: `${file}.done` })),
		...itemsOf([target.remote(`${folder}/b.csv`)], (file) => ({ doneFile: `${file}.done` })),
		...itemsOf(
			['x1', 'x2', 'x3'].map((name) => target.remote(`${folder}/batch/${name}.csv`)),
			() => ({ doneFile: marker }),
		),
	];

	const output = await download(target, items, {
		afterDownload: 'delete',
		deleteDoneFile: true,
		concurrency: 2,
	});

	expect(output.map((item) => item.json.deleted)).toEqual([true, true, true, true, true]);
	expect(output[0].json.doneFileDeleted).toBe(target.remote(`${folder}/a.csv.done`));
	// b.csv.done never existed: fine, and said as done.
	expect(output[1].json.doneFileDeleted).toBe(target.remote(`${folder}/b.csv.done`));
	const folderMarkerDeletions = output.slice(2).filter((item) => item.json.doneFileDeleted);
	expect(folderMarkerDeletions.map((item) => item.json.doneFileDeleted)).toEqual([marker]);
	expect(output.some((item) => item.json.doneFileError !== undefined)).toBe(false);
	expect(await namesIn(target.disk(folder))).toEqual(['batch']);
	expect(await namesIn(target.disk(`${folder}/batch`))).toEqual([]);
}

/** modifiedAt is the server's time of the file: asked for a path, taken from List's item after a listing. */
export async function modifiedAtOfServer(target: PickupTarget, folder: string): Promise<void> {
	const time = new Date('2024-03-05T06:07:08Z');
	await target.write(`${folder}/dated.csv`, 'dated\n');
	await fsp.utimes(target.disk(`${folder}/dated.csv`), time, time);
	const remotePath = target.remote(`${folder}/dated.csv`);

	const [asked] = await download(target, itemsOf([remotePath]), {});
	expect(new Date(asked.json.modifiedAt as string).toISOString()).toBe(time.toISOString());

	const listed = await runFtpNode(
		target.credentials(),
		{ ...target.parameters, operation: 'list', folder: target.remote(folder) },
		{ typeVersion: 2 },
	);
	const [fromListing] = await download(target, listed, {
		claimFolder: target.remote(`${folder}/c`),
	});
	expect(fromListing.json.claimedPath).toBe(target.remote(`${folder}/c/dated.csv`));
	expect(new Date(fromListing.json.modifiedAt as string).toISOString()).toBe(time.toISOString());
	// The claim kept the file's time.
	expect((await fsp.stat(target.disk(`${folder}/c/dated.csv`))).mtime.toISOString()).toBe(
		time.toISOString(),
	);
}
