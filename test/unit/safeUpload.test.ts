/**
 * The safe upload (transport/safeUpload.ts) against the in-memory server: a temporary name, a size check, a rename
 * (moving an existing file aside where the server will not rename onto it), and never a partial file under the
 * target's name nor a temporary file left behind. Bytes are compared by SHA-256.
 */
import { randomBytes } from 'node:crypto';

import { RemoteFailure } from '../../nodes/FtpAutomation/transport/failures';
import { uploadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import type { UploadOptions } from '../../nodes/FtpAutomation/transport/safeUpload';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import {
	CHUNK_BYTES,
	MemoryProtocol,
	memorySession,
	sha256,
	sourceOf,
} from '../helpers/memoryConnection';

const TARGET = '/outbox/report.csv';
const OLD = Buffer.from('the previous report\n');
const NEW = randomBytes(3 * CHUNK_BYTES + 99);
const TEMPORARY = /^\/outbox\/\.report\.csv\.[0-9a-f]{8}\.part$/;
const ASIDE = /^\/outbox\/\.report\.csv\.[0-9a-f]{8}\.old$/;

let server: MemoryProtocol;
let session: RemoteSession;
let opened: number;

beforeEach(async () => {
	server = new MemoryProtocol();
	server.fs.put(TARGET, OLD);
	session = await memorySession(server);
	opened = 0;
});

const openSource = async () => {
	opened++;
	return sourceOf(NEW);
};
const upload = async (options: UploadOptions = {}, path = TARGET) =>
	await uploadFile(session, openSource, path, options);

async function failedUpload(options: UploadOptions = {}, path = TARGET): Promise<RemoteFailure> {
	const error = await upload(options, path).then(
		() => new Error('the upload succeeded'),
		(failure: unknown) => failure,
	);
	expect(error).toBeInstanceOf(RemoteFailure);
	return error as RemoteFailure;
}

const hashAt = (path: string) => sha256(server.fs.files.get(path) ?? Buffer.from('(no file)'));
const leftovers = () => server.fs.paths().filter((path) => /\.(part|old)$/.test(path));
const log = () => session.log.tail(200).join('\n');
/** What changed files on the server, in order: [op, path, to]. */
const changes = () =>
	server.calls
		.filter((call) => ['write', 'rename', 'removeFile'].includes(call.op))
		.map((call) => [call.op, call.path, ...(call.to === undefined ? [] : [call.to])]);

describe('an atomic upload (the default)', () => {
	it('writes a hidden temporary file beside the target, then renames it onto the target', async () => {
		const result = await upload();
		expect(result).toEqual({ path: TARGET, size: NEW.length });
		expect(hashAt(TARGET)).toBe(sha256(NEW));
		const [write, ...rest] = changes();
		expect(write).toEqual(['write', expect.stringMatching(TEMPORARY)]);
		expect(server.callsOf('write')[0].mode).toBe('replace');
		expect(rest).toEqual([['rename', write[1], TARGET]]);
		// The size was checked between the two.
		const sizeAt = server.calls.findIndex((call) => call.op === 'size' && call.path === write[1]);
		expect(sizeAt).toBeGreaterThan(server.calls.indexOf(server.callsOf('write')[0]));
		expect(sizeAt).toBeLessThan(server.calls.indexOf(server.callsOf('rename')[0]));
		expect(leftovers()).toEqual([]);
		expect(opened).toBe(1);
	});

	it.each([0, 1, CHUNK_BYTES, NEW.length - 1, NEW.length])(
		'failing after %i bytes keeps the old target and leaves no temporary file',
		async (at) => {
			server.faults.writes.push({ attempt: 1, afterBytes: at, kind: 'drop' });
			const failure = await failedUpload({ retries: 0 });
			expect(failure.message).toContain('closed unexpectedly');
			expect(hashAt(TARGET)).toBe(sha256(OLD));
			expect(server.fs.paths()).toEqual([TARGET]);
			expect(server.callsOf('rename')).toEqual([]);
			expect(log()).toMatch(
				/Removed the incomplete upload "\/outbox\/\.report\.csv\.[0-9a-f]{8}\.part"/,
			);
		},
	);

	it.each([
		['deletes the partial file itself', { kind: 'drop', keepPartial: false }],
		['refuses with 552 (no space)', { kind: 'reply', code: 552 }],
	] as const)('failing where the server %s leaves nothing either', async (_, fault) => {
		server.faults.writes.push({ attempt: 1, afterBytes: CHUNK_BYTES + 1, ...fault });
		await failedUpload({ retries: 0 });
		expect(hashAt(TARGET)).toBe(sha256(OLD));
		expect(server.fs.paths()).toEqual([TARGET]);
	});

	it('with retries, succeeds after a transient failure from a fresh source', async () => {
		server.faults.writes.push({ attempt: 1, afterBytes: CHUNK_BYTES + 1, kind: 'drop' });
		const result = await upload({ retries: 2 });
		expect(result.size).toBe(NEW.length);
		expect(hashAt(TARGET)).toBe(sha256(NEW));
		expect(opened).toBe(2);
		const writes = server.callsOf('write');
		expect(writes.map((call) => call.connection)).toEqual([1, 2]);
		expect(writes[1].path).toBe(writes[0].path);
		expect(leftovers()).toEqual([]);
	});

	it('a size after the write that differs is transient: retried', async () => {
		server.faults.sizeAfterWrite = { writes: [1], delta: -1 };
		await upload({ retries: 1 });
		expect(hashAt(TARGET)).toBe(sha256(NEW));
		expect(server.callsOf('write')).toHaveLength(2);
		expect(log()).toContain(`the server holds ${NEW.length - 1} bytes of "`);
		expect(leftovers()).toEqual([]);
	});

	it('a size that differs after every write fails once the retries are used up', async () => {
		server.faults.sizeAfterWrite = { writes: 'every', delta: 1 };
		const failure = await failedUpload({ retries: 2 });
		expect(failure.message).toContain(`the server holds ${NEW.length + 1} bytes of "`);
		expect(failure.message).toMatch(/\(tried 3 times\)$/);
		expect(server.callsOf('write')).toHaveLength(3);
		expect(hashAt(TARGET)).toBe(sha256(OLD));
		expect(server.fs.paths()).toEqual([TARGET]);
	});

	it('says so when the incomplete upload cannot be removed', async () => {
		server.faults.writes.push({ attempt: 1, afterBytes: 10, kind: 'drop' });
		server.faults.removeFileFails = /\.part$/;
		const failure = await failedUpload({ retries: 0 });
		expect(failure.message).toContain('closed unexpectedly');
		expect(hashAt(TARGET)).toBe(sha256(OLD));
		expect(log()).toContain('Could not remove the incomplete upload');
	});
});

describe('a server that will not rename onto an existing file', () => {
	it.each([550, 553] as const)(
		'(refusing with %i): the old file is moved aside, then removed',
		async (code) => {
			server.faults.renameOntoExisting = code;
			await upload();
			expect(hashAt(TARGET)).toBe(sha256(NEW));
			const [write, refused, aside, renamed, removed] = changes();
			const temporary = write[1];
			expect(temporary).toMatch(TEMPORARY);
			expect(refused).toEqual(['rename', temporary, TARGET]);
			expect(aside).toEqual(['rename', TARGET, expect.stringMatching(ASIDE)]);
			expect(renamed).toEqual(['rename', temporary, TARGET]);
			expect(removed).toEqual(['removeFile', aside[2]]);
			expect(changes()).toHaveLength(5);
			expect(leftovers()).toEqual([]);
			expect(log()).toContain(`Replaced the existing "${TARGET}"`);
		},
	);

	it('puts the old file back when the upload cannot be renamed onto the target', async () => {
		server.faults.renameOntoExisting = 550;
		server.faults.renameFailures.push({ from: /\.part$/, time: 2, code: 550 });
		const failure = await failedUpload();
		expect(failure.refusal).toBe('missingOrDenied');
		expect(hashAt(TARGET)).toBe(sha256(OLD));
		const [write, , aside, , putBack, removed] = changes();
		expect(putBack).toEqual(['rename', aside[2], TARGET]);
		expect(removed).toEqual(['removeFile', write[1]]);
		expect(server.fs.paths()).toEqual([TARGET]);
	});

	it('keeps the old file aside, and says where, when it cannot be put back', async () => {
		server.faults.renameOntoExisting = 550;
		server.faults.renameFailures.push(
			{ from: /\.part$/, time: 2, code: 550 },
			{ from: /\.old$/, time: 1, code: 550 },
		);
		await failedUpload();
		const [aside] = server.fs.paths().filter((path) => ASIDE.test(path));
		expect(hashAt(aside)).toBe(sha256(OLD));
		expect(server.fs.paths()).toEqual([aside]);
		expect(log()).toContain(
			`The previous "${TARGET}" could not be put back; it is kept as "${aside}"`,
		);
	});

	it('does not move the old file aside when the server may rename onto it', async () => {
		server.faults.renameFailures.push({ from: /\.part$/, time: 1, code: 550 });
		await failedUpload();
		expect(hashAt(TARGET)).toBe(sha256(OLD));
		expect(server.callsOf('rename')).toHaveLength(1);
		expect(server.fs.paths()).toEqual([TARGET]);
	});
});

describe('a non-atomic upload', () => {
	it('writes to the target itself', async () => {
		await upload({ atomic: false });
		expect(hashAt(TARGET)).toBe(sha256(NEW));
		expect(changes()).toEqual([['write', TARGET]]);
	});
});

describe('If File Exists', () => {
	it('skip: reports the existing size and writes nothing', async () => {
		const result = await upload({ ifExists: 'skip' });
		expect(result).toEqual({ path: TARGET, size: OLD.length, skipped: true });
		expect(changes()).toEqual([]);
		expect(opened).toBe(0);
		expect(hashAt(TARGET)).toBe(sha256(OLD));
	});

	it('skip: uploads when nothing is there', async () => {
		await upload({ ifExists: 'skip' }, '/outbox/new.csv');
		expect(hashAt('/outbox/new.csv')).toBe(sha256(NEW));
	});

	it('error: fails for the node to name the field, and writes nothing', async () => {
		const failure = await failedUpload({ ifExists: 'error' });
		expect(failure.fixInNode).toBe('targetExists');
		expect(failure.message).toBe(`"${TARGET}" already exists on the server (${OLD.length} bytes)`);
		expect(changes()).toEqual([]);
		expect(hashAt(TARGET)).toBe(sha256(OLD));
	});

	it.each(['skip', 'error', 'append'] as const)(
		'%s: a folder at the target fails, and nothing is written',
		async (ifExists) => {
			server.fs.put('/outbox/folder.csv/inside.txt', 'kept');
			const failure = await failedUpload({ ifExists }, '/outbox/folder.csv');
			expect(failure.fixInNode).toBe('uploadOntoFolder');
			expect(changes()).toEqual([]);
		},
	);

	// Overwrite (the default) does not ask what is at the target; on a server that will not rename onto an existing
	// name (FTP: always assumed), the refused rename must not move a folder aside as if it were an old file.
	it('overwrite: a folder at the target fails, and the folder stays where it is', async () => {
		server.faults.renameOntoExisting = 550;
		server.fs.put('/outbox/folder.csv/inside.txt', 'kept');
		const outcome = await upload({}, '/outbox/folder.csv').then(
			() => 'uploaded',
			(failure: unknown) => failure,
		);
		expect(server.fs.paths()).toEqual(['/outbox/folder.csv/inside.txt', TARGET]);
		expect(server.fs.folders.has('/outbox/folder.csv')).toBe(true);
		expect(outcome).toBeInstanceOf(RemoteFailure);
		expect((outcome as RemoteFailure).fixInNode).toBe('uploadOntoFolder');
	});

	it('append: adds the bytes to the end and checks the size', async () => {
		const result = await upload({ ifExists: 'append', retries: 2 });
		expect(result).toEqual({ path: TARGET, size: NEW.length, appended: true });
		expect(hashAt(TARGET)).toBe(sha256(Buffer.concat([OLD, NEW])));
		expect(changes()).toEqual([['write', TARGET]]);
		expect(server.callsOf('write')[0].mode).toBe('append');
		expect(server.calls.at(-1)).toMatchObject({ op: 'size', path: TARGET });
	});

	it('append: creates a missing file', async () => {
		await upload({ ifExists: 'append' }, '/outbox/new.csv');
		expect(hashAt('/outbox/new.csv')).toBe(sha256(NEW));
	});

	it('append: a size that does not add up fails, and is not retried', async () => {
		server.faults.sizeAfterWrite = { writes: 'every', delta: 5 };
		const failure = await failedUpload({ ifExists: 'append', retries: 2 });
		expect(failure.message).toContain(
			`After appending ${NEW.length} bytes to "${TARGET}" (${OLD.length} bytes before), the server holds ${OLD.length + NEW.length + 5} bytes`,
		);
		expect(server.callsOf('write')).toHaveLength(1);
	});

	it('append: interrupted after the server stored part, fails and is not retried', async () => {
		server.faults.writes.push({ attempt: 1, afterBytes: 1000, kind: 'drop' });
		const failure = await failedUpload({ ifExists: 'append', retries: 2 });
		expect(failure.message).toContain(
			`The append to "${TARGET}" was interrupted after the server had stored part of it: the file has ${OLD.length + 1000} bytes now, ${OLD.length} before`,
		);
		expect(failure.retryable).toBe(false);
		expect(server.callsOf('write')).toHaveLength(1);
		expect(opened).toBe(1);
		expect(hashAt(TARGET)).toBe(sha256(Buffer.concat([OLD, NEW.subarray(0, 1000)])));
	});

	it('append: interrupted before the server stored anything, is retried', async () => {
		server.faults.writes.push({ attempt: 1, afterBytes: 1000, kind: 'drop', keepPartial: false });
		await upload({ ifExists: 'append', retries: 2 });
		expect(server.callsOf('write')).toHaveLength(2);
		expect(opened).toBe(2);
		expect(hashAt(TARGET)).toBe(sha256(Buffer.concat([OLD, NEW])));
	});
});

describe('Create Directories', () => {
	it('creates the missing parent folders, top down', async () => {
		await upload({ createDirectories: true }, '/outbox/new/deeper/report.csv');
		expect(server.callsOf('makeFolder').map((call) => call.path)).toEqual([
			'/outbox/new',
			'/outbox/new/deeper',
		]);
		expect(hashAt('/outbox/new/deeper/report.csv')).toBe(sha256(NEW));
		expect(leftovers()).toEqual([]);
	});

	it('without it, an upload into a missing folder fails and creates nothing', async () => {
		const failure = await failedUpload({}, '/outbox/missing/report.csv');
		expect(failure.refusal).toBe('badName');
		expect(server.callsOf('makeFolder')).toEqual([]);
		expect(server.fs.paths()).toEqual([TARGET]);
	});
});
