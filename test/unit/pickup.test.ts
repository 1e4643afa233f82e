/**
 * Pickup around downloadToBinary against the in-memory server: claiming (a file another execution has is skipped,
 * a refused claim is an error, a name in the claim folder is never replaced), After Failure (the file whose download
 * failed is moved aside and the error says where; never a file that downloaded, never a file that is missing), Delete
 * Done File (per-file and folder markers), and modifiedAt. Bytes compared by SHA-256.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import {
	downloadToBinary,
	type DownloadToBinaryOptions,
} from '../../nodes/FtpAutomation/helpers/downloadToBinary';
import { movedAsideTo, uniqueVariant } from '../../nodes/FtpAutomation/helpers/pickup';
import { DoneFileTracker } from '../../nodes/FtpAutomation/helpers/pickupDoneFiles';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import { MemoryProtocol, memorySession, sha256 } from '../helpers/memoryConnection';

/** n8n's store as a download sees it: keeps every file it was given, by name. */
function memoryStore(options: { fails?: boolean } = {}) {
	const stored: Buffer[] = [];
	const prepareBinaryData = async (stream: Readable, fileName?: string, mimeType?: string) => {
		const chunks: Buffer[] = [];
		for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
		if (options.fails) throw new Error('ENOSPC: no space left on device');
		const data = Buffer.concat(chunks);
		stored.push(data);
		return {
			data: data.toString('base64'),
			mimeType: mimeType ?? '',
			fileName,
			fileSize: String(data.length),
		} as IBinaryData;
	};
	const context = { helpers: { prepareBinaryData } } as unknown as IExecuteFunctions;
	return { context, stored };
}

const bytesOf = (binary: IBinaryData | undefined) => Buffer.from(binary?.data ?? '', 'base64');

async function failureOf(work: Promise<unknown>): Promise<RemoteFailure> {
	return await work.then(
		() => {
			throw new Error('expected a failure');
		},
		(error: unknown) => {
			expect(error).toBeInstanceOf(RemoteFailure);
			return error as RemoteFailure;
		},
	);
}

let server: MemoryProtocol;
let session: RemoteSession;

beforeEach(async () => {
	server = new MemoryProtocol();
	session = await memorySession(server);
});

describe('Claim Folder', () => {
	it('claims, downloads the claimed file and deletes it there (After Download)', async () => {
		const content = randomBytes(100_000);
		server.fs.put('/in/orders.csv', content);
		const { context, stored } = memoryStore();

		const { json, binary } = await downloadToBinary(context, session, '/in/orders.csv', {
			claimFolder: '/in/.processing',
			afterDownload: 'delete',
		});

		expect(json).toEqual({
			path: '/in/orders.csv',
			claimed: true,
			claimedPath: '/in/.processing/orders.csv',
			size: 100_000,
			deleted: true,
		});
		expect(sha256(bytesOf(binary))).toBe(sha256(content));
		expect(stored).toHaveLength(1);
		expect(server.callsOf('read').map((call) => call.path)).toEqual(['/in/.processing/orders.csv']);
		expect(server.callsOf('removeFile').map((call) => call.path)).toEqual([
			'/in/.processing/orders.csv',
		]);
		expect(server.fs.paths()).toEqual([]);
		expect(server.fs.folders.has('/in/.processing')).toBe(true);
	});

	it('takes the size and time of the listed file for its claimed copy', async () => {
		server.fs.put('/in/l.csv', 'listed');
		const listed = { path: '/in/l.csv', type: 'file', size: 6, modifiedAt: '2024-01-02T03:04:05Z' };
		const { json } = await downloadToBinary(memoryStore().context, session, '/in/l.csv', {
			claimFolder: '/in/.processing',
			listed,
			outputModifiedAt: true,
		});
		expect(json).toMatchObject({ size: 6, modifiedAt: '2024-01-02T03:04:05Z' });
		expect(server.callsOf('size')).toHaveLength(0);
		expect(server.callsOf('modifiedAt')).toHaveLength(0);
	});

	it('moves the claimed file into Move to Folder under its own name', async () => {
		server.fs.put('/in/a.csv', 'a');
		const { context } = memoryStore();
		const { json } = await downloadToBinary(context, session, '/in/a.csv', {
			claimFolder: '/in/.processing',
			afterDownload: 'moveTo',
			moveToFolder: '/archive',
		});
		expect(json.movedTo).toBe('/archive/a.csv');
		expect(server.fs.paths()).toEqual(['/archive/a.csv']);
	});

	it('never replaces a file of the same name in the claim folder: claims under a unique name', async () => {
		const earlier = Buffer.from('an earlier claim, still being processed');
		const content = Buffer.from('the new file');
		server.fs.put('/in/.processing/x.csv', earlier);
		server.fs.put('/in/x.csv', content);
		const { context } = memoryStore();

		const { json, binary } = await downloadToBinary(context, session, '/in/x.csv', {
			claimFolder: '/in/.processing',
		});

		expect(json.claimedPath).toMatch(/^\/in\/\.processing\/x\.[0-9a-z]+-[0-9a-f]{6}\.csv$/);
		expect(bytesOf(binary).toString()).toBe('the new file');
		expect(server.fs.files.get('/in/.processing/x.csv')).toEqual(earlier);
		expect(server.fs.files.get(json.claimedPath as string)).toEqual(content);
		expect(server.fs.files.has('/in/x.csv')).toBe(false);
	});

	it('skips a file another execution claimed first: claimed false, no binary, nothing read', async () => {
		server.fs.makeFolders('/in');
		const { context, stored } = memoryStore();

		const result = await downloadToBinary(context, session, '/in/gone.csv', {
			claimFolder: '/in/.processing',
			afterDownload: 'delete',
		});

		expect(result).toEqual({ json: { path: '/in/gone.csv', claimed: false } });
		expect(server.callsOf('read')).toHaveLength(0);
		expect(stored).toHaveLength(0);
	});

	it('fails, naming the cause, when the rename is refused while the file is still there', async () => {
		const content = Buffer.from('keep me');
		server.fs.put('/in/locked.csv', content);
		server.faults.renameFailures.push({ from: /locked/, time: 1, code: 550 });
		const { context } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/locked.csv', { claimFolder: '/in/.processing' }),
		);

		expect(failure.message).toContain(
			'"/in/locked.csv" could not be claimed (renamed into "/in/.processing")',
		);
		expect(failure.message).toContain('Rename refused');
		expect(failure.hint).toContain('The file is still where it was');
		expect(server.fs.files.get('/in/locked.csv')).toEqual(content);
		expect(server.callsOf('read')).toHaveLength(0);
	});

	it('downloads a file already in the claim folder where it is', async () => {
		server.fs.put('/in/.processing/x.csv', 'x');
		const { context } = memoryStore();
		const { json } = await downloadToBinary(context, session, '/in/.processing/x.csv', {
			claimFolder: '/in/.processing',
		});
		expect(json).toMatchObject({ claimed: true, claimedPath: '/in/.processing/x.csv' });
		expect(server.callsOf('rename')).toHaveLength(0);
	});

	it('two executions claiming the same 24 files at once process each exactly once', async () => {
		const originals = new Map<string, string>();
		for (let index = 0; index < 24; index++) {
			const content = randomBytes(1000 + index * 997);
			server.fs.put(`/in/f${index}.bin`, content);
			originals.set(`/in/f${index}.bin`, sha256(content));
		}
		const sessions = await Promise.all([1, 2, 3, 4].map(async () => await memorySession(server)));
		const { context } = memoryStore();
		const execution = async (connections: RemoteSession[]) => {
			const paths = [...originals.keys()];
			const results: Array<{ json: IDataObject; binary?: IBinaryData }> = [];
			// Concurrency 2: each connection takes the next path as soon as it is free.
			await Promise.all(
				connections.map(async (connection) => {
					for (let next = paths.shift(); next !== undefined; next = paths.shift()) {
						results.push(
							await downloadToBinary(context, connection, next, {
								claimFolder: '/in/.processing',
								afterDownload: 'delete',
							}),
						);
					}
				}),
			);
			return results;
		};

		const [first, second] = await Promise.all([
			execution(sessions.slice(0, 2)),
			execution(sessions.slice(2)),
		]);

		const downloaded = [...first, ...second].filter((item) => item.json.claimed === true);
		expect(downloaded.map((item) => item.json.path).sort()).toEqual([...originals.keys()].sort());
		for (const item of downloaded)
			expect(sha256(bytesOf(item.binary))).toBe(originals.get(item.json.path as string));
		const skipped = [...first, ...second].filter((item) => item.json.claimed === false);
		expect(skipped).toHaveLength(48 - 24);
		expect(skipped.every((item) => item.binary === undefined)).toBe(true);
		expect(server.fs.paths()).toEqual([]);
	});
});

describe('After Failure', () => {
	const moveAside: DownloadToBinaryOptions = { afterFailure: 'moveTo', failedFolder: '/failed' };

	it('moves a file whose size check fails into the Failed Folder and says where', async () => {
		const content = randomBytes(10_000);
		server.fs.put('/in/poison.bin', content);
		server.faults.announcedSize.set('/in/poison.bin', 20_000);
		const { context, stored } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/poison.bin', { ...moveAside, retries: 0 }),
		);

		expect(failure.message).toContain('10000 of the 20000 bytes the server announced');
		expect(failure.message).toContain('The file was moved to "/failed/poison.bin" (After Failure)');
		expect(movedAsideTo(failure)).toBe('/failed');
		expect(server.fs.paths()).toEqual(['/failed/poison.bin']);
		expect(sha256(server.fs.files.get('/failed/poison.bin')!)).toBe(sha256(content));
		expect(stored).toHaveLength(0);
	});

	it('moves the claimed file, never replacing one in the Failed Folder', async () => {
		server.fs.put('/failed/p.bin', 'an earlier failure');
		server.fs.put('/in/p.bin', 'short');
		server.faults.announcedSize.set('/in/.processing/p.bin', 99);
		const { context } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/p.bin', {
				...moveAside,
				claimFolder: '/in/.processing',
				retries: 0,
			}),
		);

		const [moved] = server.fs.paths().filter((path) => path !== '/failed/p.bin');
		expect(moved).toMatch(/^\/failed\/p\.[0-9a-z]+-[0-9a-f]{6}\.bin$/);
		expect(server.fs.files.get(moved)!.toString()).toBe('short');
		expect(server.fs.files.get('/failed/p.bin')!.toString()).toBe('an earlier failure');
		expect(failure.message).toContain(`The file was moved to "${moved}"`);
		expect(movedAsideTo(failure)).toBe('/failed');
	});

	it('moves a file the server refuses to read', async () => {
		server.fs.put('/in/denied.bin', 'secret');
		server.faults.reads.push({ attempt: 1, afterBytes: 0, kind: 'reply', code: 550 });
		const { context } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/denied.bin', moveAside),
		);

		expect(failure.message).toContain('Transfer refused');
		expect(failure.message).toContain('moved to "/failed/denied.bin"');
		expect(server.fs.paths()).toEqual(['/failed/denied.bin']);
	});

	it('moves a file too large for n8n’s store, without saying it was left in place', async () => {
		server.fs.put('/in/big.bin', randomBytes(300_000));
		const { context } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/big.bin', {
				...moveAside,
				store: { maxFileBytes: 100_000, limitVariable: 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE' },
			}),
		);

		expect(failure.message).toContain('is larger than 0.1 MiB');
		expect(failure.message).not.toContain('left where it is');
		expect(failure.message).toContain('moved to "/failed/big.bin"');
		expect(server.fs.paths()).toEqual(['/failed/big.bin']);
	});

	it('ends (and moves the file) when a transfer breaks into a size-limited store', async () => {
		// The store sits behind the limit's cap: a download abandoned mid-way used to leave it waiting for ever.
		server.fs.put('/in/cut.bin', randomBytes(300_000));
		server.faults.reads.push({ attempt: 1, afterBytes: 128 * 1024, kind: 'reply', code: 550 });
		const failure = await failureOf(
			downloadToBinary(memoryStore().context, session, '/in/cut.bin', {
				...moveAside,
				retries: 0,
				store: { maxFileBytes: 1_000_000, limitVariable: 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE' },
			}),
		);
		expect(failure.message).toContain('dropped in the middle of the transfer');
		expect(failure.message).toContain('moved to "/failed/cut.bin"');
		expect(server.fs.paths()).toEqual(['/failed/cut.bin']);
	});

	it('leaves a file that downloaded, one that is missing, and one n8n could not store', async () => {
		server.fs.put('/in/fine.bin', 'fine');
		const fine = await downloadToBinary(memoryStore().context, session, '/in/fine.bin', moveAside);
		expect(fine.json).toEqual({ path: '/in/fine.bin', size: 4 });

		const missing = await failureOf(
			downloadToBinary(memoryStore().context, session, '/in/missing.bin', moveAside),
		);
		expect(movedAsideTo(missing)).toBeUndefined();
		expect(missing.message).not.toContain('moved');

		server.fs.put('/in/stored.bin', 'data');
		const full = await failureOf(
			downloadToBinary(memoryStore({ fails: true }).context, session, '/in/stored.bin', moveAside),
		);
		expect(full.message).toContain('no space left on device');
		expect(movedAsideTo(full)).toBeUndefined();

		expect(server.fs.paths()).toEqual(['/in/fine.bin', '/in/stored.bin']);
		expect(server.callsOf('rename')).toHaveLength(0);
	});

	it('keeps the original error and says the file stayed when the move fails too', async () => {
		server.fs.put('/in/stuck.bin', 'stuck');
		server.faults.announcedSize.set('/in/stuck.bin', 1000);
		server.faults.renameFailures.push({ from: /stuck/, time: 1, code: 550 });
		const { context } = memoryStore();

		const failure = await failureOf(
			downloadToBinary(context, session, '/in/stuck.bin', { ...moveAside, retries: 0 }),
		);

		expect(failure.message).toContain('5 of the 1000 bytes the server announced');
		expect(failure.message).toContain('Moving the file into "/failed" failed too');
		expect(failure.message).toContain('it stayed at "/in/stuck.bin"');
		expect(movedAsideTo(failure)).toBeUndefined();
		expect(server.fs.files.get('/in/stuck.bin')!.toString()).toBe('stuck');
	});
});

describe('Delete Done File', () => {
	it('deletes the per-file marker after the download and After Download; a missing one is fine', async () => {
		server.fs.put('/in/a.csv', 'a');
		server.fs.put('/in/a.csv.done', '');
		server.fs.put('/in/b.csv', 'b');
		const { context } = memoryStore();

		const a = await downloadToBinary(context, session, '/in/a.csv', {
			afterDownload: 'delete',
			deleteDoneFile: true,
			listed: { path: '/in/a.csv', doneFile: '/in/a.csv.done' },
		});
		const b = await downloadToBinary(context, session, '/in/b.csv', {
			deleteDoneFile: true,
			listed: { path: '/in/b.csv', doneFile: '/in/b.csv.done' },
		});

		expect(a.json).toMatchObject({ deleted: true, doneFileDeleted: '/in/a.csv.done' });
		expect(b.json).toMatchObject({ doneFileDeleted: '/in/b.csv.done' });
		expect(b.json.doneFileError).toBeUndefined();
		expect(server.fs.paths()).toEqual(['/in/b.csv']);
		// The marker goes only after the file: the delete of a.csv came first.
		expect(server.callsOf('removeFile').map((call) => call.path)).toEqual([
			'/in/a.csv',
			'/in/a.csv.done',
			'/in/b.csv.done',
		]);
	});

	it('keeps the marker of a file whose download failed', async () => {
		server.fs.put('/in/a.csv', 'a');
		server.fs.put('/in/a.csv.done', '');
		server.faults.announcedSize.set('/in/a.csv', 50);
		await failureOf(
			downloadToBinary(memoryStore().context, session, '/in/a.csv', {
				deleteDoneFile: true,
				retries: 0,
				listed: { path: '/in/a.csv', doneFile: '/in/a.csv.done' },
			}),
		);
		expect(server.fs.files.has('/in/a.csv.done')).toBe(true);
	});

	it('deletes a folder marker with the last item that names it, only if none failed', async () => {
		for (const name of ['a', 'b', 'c']) server.fs.put(`/in/${name}.csv`, name);
		server.fs.put('/in/_SUCCESS', '');
		const items = ['a', 'b', 'c'].map((name) => ({
			path: `/in/${name}.csv`,
			doneFile: '/in/_SUCCESS',
		}));
		const doneFiles = new DoneFileTracker(items.map((item) => item.doneFile));
		const { context } = memoryStore();

		const outputs: IDataObject[] = [];
		for (const item of items) {
			expect(server.fs.files.has('/in/_SUCCESS')).toBe(true);
			const { json } = await downloadToBinary(context, session, item.path, {
				deleteDoneFile: true,
				doneFiles,
				listed: item,
				afterDownload: 'delete',
			});
			outputs.push(json);
		}

		expect(outputs.map((json) => json.doneFileDeleted)).toEqual([
			undefined,
			undefined,
			'/in/_SUCCESS',
		]);
		expect(server.fs.paths()).toEqual([]);
	});

	it('keeps a folder marker when one of its files failed', async () => {
		for (const name of ['a', 'b']) server.fs.put(`/in/${name}.csv`, name);
		server.fs.put('/in/_SUCCESS', '');
		server.faults.announcedSize.set('/in/a.csv', 40);
		const doneFiles = new DoneFileTracker(['/in/_SUCCESS', '/in/_SUCCESS']);
		const options = (path: string): DownloadToBinaryOptions => ({
			deleteDoneFile: true,
			doneFiles,
			retries: 0,
			listed: { path, doneFile: '/in/_SUCCESS' },
		});

		await failureOf(
			downloadToBinary(memoryStore().context, session, '/in/a.csv', options('/in/a.csv')),
		);
		const b = await downloadToBinary(
			memoryStore().context,
			session,
			'/in/b.csv',
			options('/in/b.csv'),
		);

		expect(b.json.doneFileDeleted).toBeUndefined();
		expect(server.fs.files.has('/in/_SUCCESS')).toBe(true);
	});

	it('reports a marker it could not delete on the item without failing the download', async () => {
		server.fs.put('/in/a.csv', 'a');
		server.fs.put('/in/a.csv.done', '');
		server.faults.removeFileFails = /\.done$/;
		const { json, binary } = await downloadToBinary(memoryStore().context, session, '/in/a.csv', {
			deleteDoneFile: true,
			listed: { path: '/in/a.csv', doneFile: '/in/a.csv.done' },
		});
		expect(bytesOf(binary).toString()).toBe('a');
		expect(json.doneFileError).toContain('The Done File "/in/a.csv.done" could not be deleted');
		expect(json.doneFileError).toContain('Permission denied');
	});
});

describe('modifiedAt (node version 3)', () => {
	it('is neither asked nor output for versions 1 and 2, whose saved workflows map the output as it was', async () => {
		server.fs.put('/in/a.csv', 'a');
		const listed = { path: '/in/a.csv', type: 'file', modifiedAt: '2024-03-05T06:07:08.000Z' };
		const { json } = await downloadToBinary(memoryStore().context, session, 'in/a.csv', {
			listed: { ...listed, path: '/elsewhere/a.csv' },
		});
		expect(json).not.toHaveProperty('modifiedAt');
		expect(server.callsOf('modifiedAt')).toHaveLength(0);
	});

	it('takes the listed time for the listed path, and asks the server for another path', async () => {
		server.fs.put('/in/a.csv', 'a');
		const { context } = memoryStore();
		const listed = { path: '/in/a.csv', type: 'file', modifiedAt: '2024-03-05T06:07:08.000Z' };

		const fromListing = await downloadToBinary(context, session, '/in/a.csv', {
			listed,
			outputModifiedAt: true,
		});
		expect(fromListing.json.modifiedAt).toBe('2024-03-05T06:07:08.000Z');
		expect(server.callsOf('modifiedAt')).toHaveLength(0);

		const other = await downloadToBinary(context, session, 'in/a.csv', {
			listed: { ...listed, path: '/elsewhere/a.csv' },
			outputModifiedAt: true,
		});
		// The in-memory server knows no times: asked, and left out rather than invented.
		expect(server.callsOf('modifiedAt').map((call) => call.path)).toEqual(['/in/a.csv']);
		expect(other.json).not.toHaveProperty('modifiedAt');
	});
});

describe('uniqueVariant', () => {
	it('keeps the extension and differs each time', () => {
		const names = new Set(Array.from({ length: 50 }, () => uniqueVariant('orders.csv')));
		expect(names.size).toBe(50);
		for (const name of names) expect(name).toMatch(/^orders\.[0-9a-z]+-[0-9a-f]{6}\.csv$/);
		expect(uniqueVariant('README')).toMatch(/^README\.[0-9a-z]+-[0-9a-f]{6}$/);
	});
});
