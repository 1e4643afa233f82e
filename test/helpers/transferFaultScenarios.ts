/**
 * The transfer engine's fault tests, written once and run against any plain-FTP server: the in-process ftp-srv
 * (test/integration/transferFaults.test.ts) and Debian's vsftpd (test/interop/transferFaults.test.ts). A fault
 * proxy (faultProxy.ts) between the node and the server cuts, stalls or refuses the control or a data connection
 * at an exact byte; the tests prove that downloads resume byte-identical, that retries stop at their limit and
 * never follow a permanent failure, that a failed upload leaves no temporary file, and that no partial file ever
 * appears under the target name.
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

import { startFaultProxy, type Fault, type FaultProxy } from './faultProxy';
import { binaryItem, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, runFtpNode } from './nodeRun';

/** A plain-FTP server on loopback and how to reach its files on disk. */
export interface FaultTarget {
	host: string;
	port: number;
	username: string;
	password: string;
	/** Absolute path on disk of a remote path. */
	onDisk(remotePath: string): string;
	/** Puts a file on the server's disk, readable and writable by the FTP user. */
	put(remotePath: string, content: Buffer | string): Promise<void>;
}

const EIGHT_MIB = 8 * 1024 * 1024;
const ONE_MIB = 1024 * 1024;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The bytes the client sent on the control connection up to and including the first command matching `last`. */
function commandBytesUntil(log: string[], password: string, last: RegExp): number {
	let bytes = 0;
	for (const line of log) {
		const command = /^\S+ (?:\[\d+\] )?> (.*)$/.exec(line)?.[1];
		if (command === undefined) continue;
		bytes += Buffer.byteLength(`${command === 'PASS ***' ? `PASS ${password}` : command}\r\n`);
		if (last.test(command)) return bytes;
	}
	throw new Error(`no command matching ${last} in the log`);
}

/**
 * Checks that the log shows the download resumed (REST) at the byte where the fault struck, and returns that byte.
 * A reset (or a close right after a FIN) discards what the client's kernel had received but the node had not read
 * yet, so on a busy machine the node may have fewer bytes than the proxy forwarded: it resumes from what it has.
 */
/**
 * The file once the server has finished writing it: a server may still be flushing what arrived before the cut when
 * the node has already failed (ftp-srv on a loaded machine). Waits until its size stays the same for 200 ms (at most 5 s).
 */
async function settledFile(file: string): Promise<Buffer> {
	let size = -1;
	for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
		const now = (await fsp.stat(file)).size;
		if (now === size) break;
		size = now;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return await fsp.readFile(file);
}

function expectResumedAtMost(
	log: string,
	remotePath: string,
	forwarded: number,
	total: number,
): number {
	const resumedAt = Number(/> REST (\d+)/.exec(log)?.[1]);
	expect(resumedAt).toBeGreaterThan(0);
	expect(resumedAt).toBeLessThanOrEqual(forwarded);
	expect(log).toContain(
		`Downloaded "${remotePath}" from byte ${resumedAt}: ${total - resumedAt} bytes`,
	);
	return resumedAt;
}

/**
 * Registers the fault tests for `target()` (read when the tests run, so that it can come from a beforeAll).
 * `options.credentials` adds credential fields, e.g. a connection timeout suited to the server.
 */
export function describeTransferFaults(
	label: string,
	target: () => FaultTarget,
	options: { credentials?: IDataObject } = {},
): void {
	describe(`transfer faults (${label})`, () => {
		let content: Buffer;
		let contentHash: string;
		let proxy: FaultProxy | undefined;
		let counter = 0;
		/** A fresh remote name per test, so that tests never see each other's files. */
		const fresh = (name: string) => `/faults/${++counter}-${name}`;

		beforeAll(() => {
			content = randomBytes(EIGHT_MIB);
			contentHash = sha256(content);
		});

		afterEach(async () => {
			await proxy?.close();
			proxy = undefined;
		});

		/** Credentials that go through a new fault proxy with `faults`; 2 s timeout so stalls are found quickly. */
		const throughProxy = async (faults: Fault[]): Promise<ICredentialDataDecryptedObject> => {
			const server = target();
			proxy = await startFaultProxy({ host: server.host, port: server.port }, faults);
			return credentialsFor({ ...server, port: proxy.port }, 'none', {
				connectionTimeout: 2,
				...options.credentials,
			});
		};

		const run = async (
			credentials: ICredentialDataDecryptedObject,
			parameters: INodeParameters,
			items?: INodeExecutionData[],
		): Promise<INodeExecutionData> => {
			const output = await runFtpNode(
				credentials,
				{
					...parameters,
					options: { includeConnectionLog: true, ...(parameters.options as IDataObject) },
				},
				{ continueOnFail: true, ...(items ? { items } : {}) },
			);
			expect(output).toHaveLength(1);
			return output[0];
		};

		const logOf = (item: INodeExecutionData) =>
			(item.json.connectionLog as string[] | undefined)?.join('\n') ?? '';

		const download = async (
			credentials: ICredentialDataDecryptedObject,
			remotePath: string,
			extra: INodeParameters = {},
		) => await run(credentials, { operation: 'download', path: remotePath, options: extra });

		const upload = async (
			credentials: ICredentialDataDecryptedObject,
			remotePath: string,
			data: Buffer,
			extra: INodeParameters = {},
		) =>
			await run(credentials, { operation: 'upload', path: remotePath, options: extra }, [
				await binaryItem(data, path.posix.basename(remotePath)),
			]);

		const expectDownloaded = async (item: INodeExecutionData) => {
			expect(item.json.error).toBeUndefined();
			expect(item.json.size).toBe(EIGHT_MIB);
			expect(sha256(await readBinary(item.binary!.data))).toBe(contentHash);
		};

		/** Names in the remote folder of `remotePath` (on disk), to find leftovers. */
		const namesBeside = async (remotePath: string) =>
			await fsp.readdir(path.dirname(target().onDisk(remotePath)));

		/** Records every size the file at `remotePath` has on disk while `work` runs. */
		const sizesSeenDuring = async <T>(
			remotePath: string,
			work: () => Promise<T>,
		): Promise<{ result: T; sizes: Set<number | 'absent'> }> => {
			const sizes = new Set<number | 'absent'>();
			let running = true;
			const watcher = (async () => {
				while (running) {
					sizes.add(
						await fsp.stat(target().onDisk(remotePath)).then(
							(stat) => stat.size,
							() => 'absent' as const,
						),
					);
					await new Promise((resolve) => setTimeout(resolve, 2));
				}
			})();
			try {
				return { result: await work(), sizes };
			} finally {
				running = false;
				await watcher;
			}
		};

		it('a download whose data connection is reset mid-file resumes where it stopped (REST) and is byte-identical', async () => {
			const remotePath = fresh('reset.bin');
			await target().put(remotePath, content);
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'reset',
					afterBytes: ONE_MIB,
					direction: 'toClient',
					connections: [1],
				},
			]);
			const item = await download(credentials, remotePath);
			await expectDownloaded(item);
			expect(proxy!.stats.triggered).toEqual([{ channel: 'data', connection: 1, action: 'reset' }]);
			expect(logOf(item)).toMatch(/Attempt 1 of 3 to download failed \(.*\); retrying in 500 ms/);
			expectResumedAtMost(logOf(item), remotePath, ONE_MIB, EIGHT_MIB);
		});

		it('a download whose data connection stalls is given up after the timeout, then resumed', async () => {
			const remotePath = fresh('stall.bin');
			await target().put(remotePath, content);
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'stall',
					afterBytes: 2 * ONE_MIB,
					direction: 'toClient',
					connections: [1],
				},
			]);
			const item = await download(credentials, remotePath);
			await expectDownloaded(item);
			expect(logOf(item)).toMatch(/Attempt 1 of 3 to download failed \(Timeout \(data socket\)\)/);
			expect(logOf(item)).toContain(`> REST ${2 * ONE_MIB}`);
			expect(logOf(item)).toContain(
				`Downloaded "${remotePath}" from byte ${2 * ONE_MIB}: ${6 * ONE_MIB} bytes`,
			);
		});

		it('a download whose data connection ends early (FIN) is not taken as complete: it resumes', async () => {
			const remotePath = fresh('short.bin');
			await target().put(remotePath, content);
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'close',
					afterBytes: 3 * ONE_MIB,
					direction: 'toClient',
					connections: [1],
				},
			]);
			const item = await download(credentials, remotePath);
			await expectDownloaded(item);
			expectResumedAtMost(logOf(item), remotePath, 3 * ONE_MIB, EIGHT_MIB);
		});

		it('a download whose control connection is reset right after RETR reconnects and completes', async () => {
			const remotePath = fresh('control.bin');
			await target().put(remotePath, content);
			// Measure how many bytes the node sends up to RETR, then cut the next control connection right there.
			const measured = await download(await throughProxy([]), remotePath, { retries: 0 });
			await expectDownloaded(measured);
			const untilRetr = commandBytesUntil(
				measured.json.connectionLog as string[],
				target().password,
				/^RETR /,
			);
			await proxy!.close();
			const credentials = await throughProxy([
				{
					channel: 'control',
					action: 'reset',
					afterBytes: untilRetr,
					direction: 'toServer',
					connections: [1],
				},
			]);
			const item = await download(credentials, remotePath);
			await expectDownloaded(item);
			expect(proxy!.stats.triggered).toEqual([
				{ channel: 'control', connection: 1, action: 'reset' },
			]);
			expect(proxy!.stats.controlConnections).toBe(2);
			expect(logOf(item)).toContain('The previous connection was closed; reconnecting');
		});

		it('a reconnect that is refused is retried too, with a growing wait', async () => {
			const remotePath = fresh('refused.bin');
			await target().put(remotePath, content);
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'reset',
					afterBytes: ONE_MIB,
					direction: 'toClient',
					connections: [1],
				},
				{ channel: 'control', action: 'refuse', connections: [2] },
			]);
			const item = await download(credentials, remotePath);
			await expectDownloaded(item);
			expect(logOf(item)).toMatch(/Attempt 1 of 3 to download failed .*; retrying in 500 ms/);
			expect(logOf(item)).toMatch(/Attempt 2 of 3 to download failed .*; retrying in 1000 ms/);
			expect(proxy!.stats.controlConnections).toBe(3);
		});

		it('retries stop at the limit: a connection that always drops fails after Retries + 1 attempts, saying so', async () => {
			const remotePath = fresh('always.bin');
			await target().put(remotePath, content);
			const credentials = await throughProxy([
				{ channel: 'data', action: 'reset', afterBytes: ONE_MIB, direction: 'toClient' },
			]);
			const item = await download(credentials, remotePath, { retries: 1 });
			expect(item.json.error).toMatch(
				new RegExp(
					`^The data connection was dropped in the middle of the transfer while trying to download "${remotePath}" .* \\(tried 2 times\\)$`,
				),
			);
			expect(item.binary).toBeUndefined();
			expect(proxy!.stats.triggered.map((fault) => fault.connection)).toEqual([1, 2]);
		});

		it('a permanent failure (file not found) is not retried', async () => {
			const credentials = await throughProxy([]);
			const item = await download(credentials, fresh('missing.bin'));
			expect(item.json.error).toMatch(/missing\.bin/);
			expect(item.json.error).not.toMatch(/tried/);
			expect(proxy!.stats.controlConnections).toBe(1);
			expect(proxy!.stats.dataConnections).toBeLessThanOrEqual(1);
		});

		it('an upload whose data connection is reset is retried; the target only ever holds the old or the new file', async () => {
			const remotePath = fresh('report.bin');
			await target().put(remotePath, 'the old version\n');
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'reset',
					afterBytes: ONE_MIB,
					direction: 'toServer',
					connections: [1],
				},
			]);
			const { result: item, sizes } = await sizesSeenDuring(
				remotePath,
				async () => await upload(credentials, remotePath, content),
			);
			expect(item.json).toMatchObject({ path: remotePath, size: EIGHT_MIB });
			expect(logOf(item)).toMatch(/Attempt 1 of 3 to upload failed/);
			expect(sha256(await fsp.readFile(target().onDisk(remotePath)))).toBe(contentHash);
			expect([...sizes].filter((size) => size !== 16 && size !== EIGHT_MIB)).toEqual([]);
			expect((await namesBeside(remotePath)).filter((name) => name.endsWith('.part'))).toEqual([]);
		});

		it('a failed upload leaves the old file untouched and no temporary file behind', async () => {
			const remotePath = fresh('keep.bin');
			await target().put(remotePath, 'the old version\n');
			const credentials = await throughProxy([
				{ channel: 'data', action: 'reset', afterBytes: ONE_MIB, direction: 'toServer' },
			]);
			const { result: item, sizes } = await sizesSeenDuring(
				remotePath,
				async () => await upload(credentials, remotePath, content, { retries: 0 }),
			);
			expect(item.json.error).toMatch(/upload/);
			expect(await fsp.readFile(target().onDisk(remotePath), 'utf8')).toBe('the old version\n');
			expect([...sizes]).toEqual([16]);
			expect((await namesBeside(remotePath)).filter((name) => name.endsWith('.part'))).toEqual([]);
			expect(logOf(item)).toMatch(/Removed the incomplete upload "\/faults\/.*\.part"/);
		});

		it('a new file whose upload fails never appears under its name', async () => {
			const remotePath = fresh('new.bin');
			await target().put(fresh('anchor.txt'), 'so that the folder exists');
			const credentials = await throughProxy([
				{ channel: 'data', action: 'close', afterBytes: 2 * ONE_MIB, direction: 'toServer' },
			]);
			const { result: item, sizes } = await sizesSeenDuring(
				remotePath,
				async () => await upload(credentials, remotePath, content, { retries: 1 }),
			);
			expect(item.json.error).toBeDefined();
			expect([...sizes]).toEqual(['absent']);
			expect((await namesBeside(remotePath)).filter((name) => name.includes('new.bin'))).toEqual(
				[],
			);
		});

		it('an append that was cut after the server stored part of it is not retried (no byte is appended twice)', async () => {
			const remotePath = fresh('journal.log');
			await target().put(remotePath, 'line 0\n');
			// A FIN (not a reset, which may discard bytes in flight): the server surely stores the first MiB.
			const credentials = await throughProxy([
				{
					channel: 'data',
					action: 'close',
					afterBytes: ONE_MIB,
					direction: 'toServer',
					connections: [1],
				},
			]);
			const item = await upload(credentials, remotePath, content, { ifExists: 'append' });
			expect(item.json.error).toMatch(
				/^The append to ".*journal\.log" was interrupted after the server had stored part of it: the file has \d+ bytes now, 7 before/,
			);
			expect(proxy!.stats.dataConnections).toBe(1);
			const stored = await settledFile(target().onDisk(remotePath));
			expect(stored.length).toBe(7 + ONE_MIB);
			expect(stored.subarray(0, 7).toString()).toBe('line 0\n');
			expect(stored.subarray(7).equals(content.subarray(0, ONE_MIB))).toBe(true);
		});
	});
}
