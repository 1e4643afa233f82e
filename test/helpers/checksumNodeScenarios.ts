/**
 * Verify Checksum through the node (Download, both node versions) and through the trigger (Download + Verify
 * Checksum), against any server whose files the test can touch on disk: the embedded ones
 * (test/integration/checksumNode.test.ts) and real ones (test/interop/checksumNode.test.ts). Every expected hash is
 * computed by the test from the bytes on disk; every scenario checks what is left in its folder.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { pollNode, readBinary } from '../../tools/n8nHarness';
import { runFtpNode } from './nodeRun';

/** How a server vouches for a file's bytes: its own hash (HASH, check-file), or only a sidecar beside the file. */
export type ChecksumSource = { source: 'server'; algorithm: string } | { source: 'sidecar' };

/** A server as the scenarios see it: how to reach it, and its files on disk. */
export interface ChecksumTarget {
	name: string;
	protocol: 'ftp' | 'sftp';
	credentials: () => ICredentialDataDecryptedObject;
	/** The remote path of a path relative to the user's folder. */
	remote: (relative: string) => string;
	/** Its path on disk. */
	disk: (relative: string) => string;
	/** Writes a file (and its folders) as the server's user. */
	write: (relative: string, content: Buffer | string) => Promise<void>;
	hashes: ChecksumSource;
}

export const hashOf = (algorithm: string, data: Buffer | string): string =>
	createHash(algorithm).update(data).digest('hex');

const HOURS_AGO = (hours: number) => new Date(Date.now() - hours * 3600_000);

/** Names in a folder on disk, sorted ([] when it does not exist). */
async function namesIn(folder: string): Promise<string[]> {
	return (await fsp.readdir(folder).catch(() => [] as string[])).sort();
}

async function bytesOnDisk(target: ChecksumTarget, relative: string): Promise<Buffer> {
	return await fsp.readFile(target.disk(relative));
}

/** The Download operation's parameters in the layout of `typeVersion` (version 1: all in the options collection). */
function downloadParameters(
	target: ChecksumTarget,
	typeVersion: 1 | 2,
	options: IDataObject,
): INodeParameters {
	const ownFields = ['afterDownload', 'moveToFolder', 'retries'];
	const own = Object.fromEntries(Object.entries(options).filter(([n]) => ownFields.includes(n)));
	const rest = Object.fromEntries(Object.entries(options).filter(([n]) => !ownFields.includes(n)));
	return {
		...(target.protocol === 'sftp' ? { protocol: 'sftp' } : {}),
		operation: 'download',
		path: '={{ $json.path }}',
		binaryPropertyName: 'data',
		...(typeVersion === 2 ? { ...own, options: rest } : { options: { ...own, ...rest } }),
	} as INodeParameters;
}

const download = async (
	target: ChecksumTarget,
	typeVersion: 1 | 2,
	paths: string[],
	options: IDataObject,
	continueOnFail = false,
): Promise<INodeExecutionData[]> =>
	await runFtpNode(
		target.credentials(),
		downloadParameters(target, typeVersion, { verifyChecksum: true, ...options }),
		{
			typeVersion,
			items: paths.map((remotePath) => ({ json: { path: remotePath } })),
			continueOnFail,
		},
	);

/** What a verified item must carry: the hash of the bytes on disk, under the algorithm the server vouched with. */
async function expectVerified(
	item: INodeExecutionData,
	bytes: Buffer,
	algorithm: string,
): Promise<void> {
	expect(item.json).toMatchObject({
		checksum: hashOf(algorithm, bytes),
		checksumAlgorithm: algorithm,
		checksumVerified: true,
		size: bytes.length,
	});
	expect(item.binary?.data).toBeDefined();
	expect(hashOf('sha256', await readBinary(item.binary!.data))).toBe(hashOf('sha256', bytes));
}

/**
 * Writes `name` with random bytes and, on a sidecar-only server, its sidecar: `sha256sum` format for SHA-256,
 * bare hex for MD5. Returns the bytes and the algorithm the download must report.
 */
async function fileWithSidecar(
	target: ChecksumTarget,
	folder: string,
	name: string,
	sidecar: 'sha256' | 'md5',
	size: number,
): Promise<{ bytes: Buffer; algorithm: string }> {
	const bytes = randomBytes(size);
	await target.write(`${folder}/${name}`, bytes);
	if (target.hashes.source === 'server') return { bytes, algorithm: target.hashes.algorithm };
	const value = hashOf(sidecar, bytes);
	await target.write(
		`${folder}/${name}.${sidecar}`,
		sidecar === 'sha256' ? `${value}  ${name}\n` : `${value.toUpperCase()}\n`,
	);
	return { bytes, algorithm: sidecar };
}

/** Download with Verify Checksum in node version `typeVersion`: verified fields equal to the bytes on disk. */
export async function verifiedDownload(
	target: ChecksumTarget,
	folder: string,
	typeVersion: 1 | 2,
): Promise<void> {
	const first = await fileWithSidecar(target, folder, 'first.bin', 'sha256', 300_000);
	const second = await fileWithSidecar(target, folder, 'second.bin', 'md5', 4_321);

	const output = await download(
		target,
		typeVersion,
		[target.remote(`${folder}/first.bin`), target.remote(`${folder}/second.bin`)],
		{ concurrency: 2 },
	);

	expect(output).toHaveLength(2);
	await expectVerified(output[0], first.bytes, first.algorithm);
	await expectVerified(output[1], second.bytes, second.algorithm);
	// What the node verified is what the server holds: the files are unchanged and nothing was added.
	expect(hashOf('sha256', await bytesOnDisk(target, `${folder}/first.bin`))).toBe(
		hashOf('sha256', first.bytes),
	);
	expect(await namesIn(target.disk(folder))).toEqual(
		target.hashes.source === 'server'
			? ['first.bin', 'second.bin']
			: ['first.bin', 'first.bin.sha256', 'second.bin', 'second.bin.md5'],
	);
}

/** A wrong sidecar: the run fails naming both values and the source; After Download "delete" did not delete it. */
export async function mismatchFailsTheRun(target: ChecksumTarget, folder: string): Promise<void> {
	const bytes = randomBytes(20_000);
	const wrong = hashOf('sha256', 'another version of the file');
	await target.write(`${folder}/bad.bin`, bytes);
	await target.write(`${folder}/bad.bin.sha256`, `${wrong}  bad.bin\n`);
	const remotePath = target.remote(`${folder}/bad.bin`);

	const failures: Error[] = [];
	for (const typeVersion of [1, 2] as const) {
		failures.push(
			await runFtpNode(
				target.credentials(),
				downloadParameters(target, typeVersion, { verifyChecksum: true, afterDownload: 'delete' }),
				{ typeVersion, items: [{ json: { path: remotePath } }] },
			).then(
				() => new Error(`node version ${typeVersion} did not fail`),
				(failure: unknown) => failure as Error,
			),
		);
	}

	for (const failure of failures) {
		const message = failure.message;
		expect(message).toContain(`"${remotePath}" does not match`);
		expect(message).toContain(`hash to ${hashOf('sha256', bytes)}`);
		expect(message).toContain(`its sidecar file says ${wrong}`);
	}
	expect(hashOf('sha256', await bytesOnDisk(target, `${folder}/bad.bin`))).toBe(
		hashOf('sha256', bytes),
	);
	expect(await namesIn(target.disk(folder))).toEqual(['bad.bin', 'bad.bin.sha256']);
}

/**
 * A wrong sidecar with Continue On Fail, After Download "delete" and After Failure "moveTo": the item is an error
 * item without binary saying where the file went, the file is in the Failed Folder (bytes intact), not deleted; the
 * good file beside it is downloaded, verified and deleted.
 */
export async function mismatchMovedAside(
	target: ChecksumTarget,
	folder: string,
	typeVersion: 1 | 2,
): Promise<void> {
	const good = await fileWithSidecar(target, folder, 'good.bin', 'sha256', 50_000);
	const bytes = randomBytes(30_000);
	const wrong = hashOf('sha256', 'another version of the file');
	await target.write(`${folder}/bad.bin`, bytes);
	await target.write(`${folder}/bad.bin.sha256`, `${wrong}\n`);
	const failedFolder = target.remote(`${folder}/failed`);

	const output = await download(
		target,
		typeVersion,
		[target.remote(`${folder}/bad.bin`), target.remote(`${folder}/good.bin`)],
		{ afterDownload: 'delete', afterFailure: 'moveTo', failedFolder, retries: 0 },
		true,
	);

	expect(output).toHaveLength(2);
	const [failed, downloaded] = output;
	const error = String(failed.json.error);
	expect(error).toContain(`hash to ${hashOf('sha256', bytes)}`);
	expect(error).toContain(`its sidecar file says ${wrong}`);
	expect(error).toContain(`The file was moved to "${failedFolder}/bad.bin" (After Failure)`);
	expect(failed.binary).toBeUndefined();
	expect(failed.json.checksumVerified).toBeUndefined();
	await expectVerified(downloaded, good.bytes, good.algorithm);
	expect(downloaded.json.deleted).toBe(true);

	expect(hashOf('sha256', await bytesOnDisk(target, `${folder}/failed/bad.bin`))).toBe(
		hashOf('sha256', bytes),
	);
	expect(await namesIn(target.disk(`${folder}/failed`))).toEqual(['bad.bin']);
	// The sidecars stay where they were: neither the delete nor the move touches them.
	expect(await namesIn(target.disk(folder))).toEqual([
		'bad.bin.sha256',
		'failed',
		'good.bin.sha256',
	]);
}

/**
 * No sidecar on a server that computes no hashes: "the server cannot compute checksums", explained; After Download
 * and After Failure left the file where it was (not the file's fault), and no binary was handed on.
 */
export async function noChecksumAvailable(target: ChecksumTarget, folder: string): Promise<void> {
	const bytes = randomBytes(10_000);
	await target.write(`${folder}/plain.bin`, bytes);
	const remotePath = target.remote(`${folder}/plain.bin`);

	for (const typeVersion of [1, 2] as const) {
		const [item, ...rest] = await download(
			target,
			typeVersion,
			[remotePath],
			{
				afterDownload: 'delete',
				afterFailure: 'moveTo',
				failedFolder: target.remote(`${folder}/failed`),
			},
			true,
		);
		expect(rest).toEqual([]);
		const error = String(item.json.error);
		expect(error).toContain(
			`The server cannot compute checksums, so "${remotePath}" cannot be verified`,
		);
		expect(error).not.toContain('moved to');
		expect(item.binary).toBeUndefined();
	}
	expect(await namesIn(target.disk(folder))).toEqual(['plain.bin']);
	expect(hashOf('sha256', await bytesOnDisk(target, `${folder}/plain.bin`))).toBe(
		hashOf('sha256', bytes),
	);
}

/** An activated trigger watching `folder` for `*.bin` with Download + Verify Checksum (+ `options`). */
function activatedTrigger(target: ChecksumTarget, folder: string, options: IDataObject) {
	const staticData: IDataObject = {};
	const credentialName = target.protocol === 'sftp' ? 'sftpAutomationApi' : 'ftpAutomationApi';
	return async (): Promise<INodeExecutionData[]> =>
		(await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: {
				protocol: target.protocol,
				path: target.remote(folder),
				filter: '*.bin',
				options: { download: true, verifyChecksum: true, ...options },
			},
			credentials: { [credentialName]: target.credentials() },
			staticData,
		})) ?? [];
}

async function writeAged(
	target: ChecksumTarget,
	relative: string,
	content: Buffer | string,
	modified: Date,
): Promise<void> {
	await target.write(relative, content);
	await fsp.utimes(target.disk(relative), modified, modified);
}

/** The trigger emits verified items: checksum fields equal to the bytes on disk, binary equal too. */
export async function triggerEmitsVerified(target: ChecksumTarget, folder: string): Promise<void> {
	await target.write(`${folder}/.keep`, '');
	const poll = activatedTrigger(target, folder, {});
	expect(await poll()).toEqual([]);
	const { bytes, algorithm } = await fileWithSidecar(target, folder, 'new.bin', 'sha256', 70_000);
	await fsp.utimes(target.disk(`${folder}/new.bin`), HOURS_AGO(1), HOURS_AGO(1));

	const [item, ...rest] = await poll();

	expect(rest).toEqual([]);
	expect(item.json).toMatchObject({ event: 'fileCreated', name: 'new.bin' });
	await expectVerified(item, bytes, algorithm);
	expect(await poll()).toEqual([]);
}

/**
 * The trigger with After Failure "moveTo": a file whose sidecar does not match is moved aside, the good file of the
 * same poll is emitted, and the next file is emitted by the next poll (the bad one blocks nothing).
 */
export async function triggerMovesMismatchAside(
	target: ChecksumTarget,
	folder: string,
): Promise<void> {
	await target.write(`${folder}/.keep`, '');
	const failedFolder = `${target.remote(folder)}-failed`;
	const poll = activatedTrigger(target, folder, { afterFailure: 'moveTo', failedFolder });
	expect(await poll()).toEqual([]);
	const bad = randomBytes(40_000);
	// Older: listed first, so the good file after it proves the poll went on.
	await writeAged(target, `${folder}/bad.bin`, bad, HOURS_AGO(2));
	await target.write(`${folder}/bad.bin.sha256`, `${hashOf('sha256', 'not these bytes')}\n`);
	const good = await fileWithSidecar(target, folder, 'good.bin', 'sha256', 5_000);
	await fsp.utimes(target.disk(`${folder}/good.bin`), HOURS_AGO(1), HOURS_AGO(1));

	const emitted = await poll();

	expect(emitted.map((item) => item.json.name)).toEqual(['good.bin']);
	await expectVerified(emitted[0], good.bytes, good.algorithm);
	const failedOnDisk = target.disk(`${folder}-failed`);
	expect(await namesIn(failedOnDisk)).toEqual(['bad.bin']);
	expect(hashOf('sha256', await fsp.readFile(path.join(failedOnDisk, 'bad.bin')))).toBe(
		hashOf('sha256', bad),
	);

	const next = await fileWithSidecar(target, folder, 'next.bin', 'md5', 6_000);
	await fsp.utimes(target.disk(`${folder}/next.bin`), HOURS_AGO(1), HOURS_AGO(1));
	const [nextItem, ...rest] = await poll();
	expect(rest).toEqual([]);
	expect(nextItem.json.name).toBe('next.bin');
	await expectVerified(nextItem, next.bytes, next.algorithm);
	expect(await poll()).toEqual([]);
}

let folderCounter = 0;
const freshFolder = (what: string) => `checksum-node-${process.pid}-${what}-${++folderCounter}`;

/** Registers, in the calling describe block, the tests of a server that hashes files itself (no sidecar written). */
export function ownHashScenarios(target: ChecksumTarget): void {
	it.each([1, 2] as const)(
		'Download (node version %i) outputs the hash the server computed, equal to the bytes',
		async (typeVersion) => {
			await verifiedDownload(target, freshFolder('verified'), typeVersion);
		},
	);

	it('the trigger emits verified files', async () => {
		await triggerEmitsVerified(target, freshFolder('trigger'));
	});
}

/** Registers, in the calling describe block, the tests of a server that hashes nothing (sidecar files only). */
export function sidecarScenarios(target: ChecksumTarget): void {
	it.each([1, 2] as const)(
		'Download (node version %i) verifies with NAME.sha256 and NAME.md5 and outputs the checksum',
		async (typeVersion) => {
			await verifiedDownload(target, freshFolder('verified'), typeVersion);
		},
	);

	it('a wrong sidecar fails the run naming both values and the sidecar; After Download deleted nothing', async () => {
		await mismatchFailsTheRun(target, freshFolder('mismatch'));
	});

	it.each([1, 2] as const)(
		'a wrong sidecar with Continue On Fail and After Failure (node version %i): moved aside, error item without binary',
		async (typeVersion) => {
			await mismatchMovedAside(target, freshFolder('moved'), typeVersion);
		},
	);

	it('without a sidecar: "the server cannot compute checksums", nothing moved or deleted', async () => {
		await noChecksumAvailable(target, freshFolder('none'));
	});

	it('the trigger emits verified files', async () => {
		await triggerEmitsVerified(target, freshFolder('trigger'));
	});

	it('the trigger moves a mismatching file aside and still emits the others', async () => {
		await triggerMovesMismatchAside(target, freshFolder('trigger-mismatch'));
	});
}
