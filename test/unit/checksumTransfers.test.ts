/**
 * Verify Checksum and Preserve Modification Time in the engine (verifiedDownload.ts, safeUpload.ts) against the
 * in-memory server: the hash covers every byte of a resumed download, a mismatch names both values and hands
 * nothing on, and an upload is checked (and its time set) before it gets the target's name.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import { downloadFile, uploadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import {
	CHUNK_BYTES,
	MemoryProtocol,
	memorySession,
	remoteFailureOf,
	sha256,
	sourceOf,
} from '../helpers/memoryConnection';

const FILE = '/inbound/report.bin';
const CONTENT = randomBytes(5 * CHUNK_BYTES + 123);
const TARGET = '/outbox/report.csv';
const TEMPORARY = /^\/outbox\/\.report\.csv\.[0-9a-f]{8}\.part$/;

let server: MemoryProtocol;
let session: RemoteSession;
/** Whether n8n's store was handed a stream that ended whole. */
let storedWhole: boolean;

beforeEach(async () => {
	server = new MemoryProtocol();
	server.fs.put(FILE, CONTENT);
	server.fs.makeFolders('/outbox');
	session = await memorySession(server);
	storedWhole = false;
});

const consume = async (stream: Readable): Promise<Buffer> => {
	const chunks: Buffer[] = [];
	for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
	storedWhole = true;
	return Buffer.concat(chunks);
};

describe('download with verifyChecksum', () => {
	it("verifies a resumed download with the server's strongest hash", async () => {
		server.checksums = ['md5', 'sha256', 'crc32'];
		server.faults.reads.push({ attempt: 1, afterBytes: 2 * CHUNK_BYTES + 7, kind: 'drop' });
		const result = await downloadFile(session, FILE, consume, {
			retries: 2,
			verifyChecksum: true,
		});
		expect(server.callsOf('read').map((call) => call.offset)).toEqual([0, 2 * CHUNK_BYTES + 7]);
		expect(sha256(result.result)).toBe(sha256(CONTENT));
		expect(result.checksum).toEqual({
			algorithm: 'sha256',
			value: sha256(CONTENT),
			verified: true,
			source: 'server',
		});
		expect(server.callsOf('checksum')).toHaveLength(1);
	});

	it('fails a mismatch naming both values, without retrying or handing the data on', async () => {
		server.checksums = ['sha512'];
		const stale = createHash('sha512').update('an older version').digest('hex');
		server.checksumReplies.set(FILE, stale);
		const failure = await remoteFailureOf(
			downloadFile(session, FILE, consume, { retries: 2, verifyChecksum: true }),
		);
		const computed = createHash('sha512').update(CONTENT).digest('hex');
		expect(failure.message).toContain(computed);
		expect(failure.message).toContain(`the server computed ${stale}`);
		expect(failure.step).toBe('transfer');
		expect(failure.retryable).toBe(false);
		expect(server.callsOf('read')).toHaveLength(1);
		expect(storedWhole).toBe(false);
	});

	it('asks nothing extra and reports nothing when verifyChecksum is off', async () => {
		server.checksums = ['sha256'];
		const result = await downloadFile(session, FILE, consume);
		expect(result.checksum).toBeUndefined();
		expect(server.callsOf('checksum')).toHaveLength(0);
		expect(server.callsOf('stat')).toHaveLength(0);
	});

	it('verifies with a sidecar file where the server computes no hash', async () => {
		server.fs.put(`${FILE}.sha1`, 'not read: sha256 is stronger');
		server.fs.put(`${FILE}.sha256`, `${sha256(CONTENT)}  report.bin\n`);
		const result = await downloadFile(session, FILE, consume, { verifyChecksum: true });
		expect(result.checksum).toEqual({
			algorithm: 'sha256',
			value: sha256(CONTENT),
			verified: true,
			source: 'sidecar',
		});
		expect(server.callsOf('read').map((call) => call.path)).toEqual([`${FILE}.sha256`, FILE]);
	});

	it('fails when the sidecar holds another hash, naming both', async () => {
		const wrong = createHash('md5').update('other').digest('hex');
		server.fs.put(`${FILE}.md5`, `${wrong}\n`);
		const failure = await remoteFailureOf(
			downloadFile(session, FILE, consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain(createHash('md5').update(CONTENT).digest('hex'));
		expect(failure.message).toContain(`its sidecar file says ${wrong}`);
		expect(storedWhole).toBe(false);
	});

	it('explains a sidecar that does not parse, before downloading', async () => {
		server.fs.put(`${FILE}.sha256`, 'checksums are published on our website\n');
		const failure = await remoteFailureOf(
			downloadFile(session, FILE, consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain(`"${FILE}.sha256" holds no sha256 for "report.bin"`);
		expect(failure.hint).toContain('sha256sum report.bin > report.bin.sha256');
		expect(server.callsOf('read').map((call) => call.path)).toEqual([`${FILE}.sha256`]);
	});

	it('refuses a sidecar too large to be one, without reading it', async () => {
		server.fs.put(`${FILE}.sha256`, Buffer.alloc(100_000, 'a'));
		const failure = await remoteFailureOf(
			downloadFile(session, FILE, consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain('has 100000 bytes');
		expect(server.callsOf('read')).toHaveLength(0);
	});

	it('says the server cannot compute checksums, and downloads nothing', async () => {
		const failure = await remoteFailureOf(
			downloadFile(session, FILE, consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain('The server cannot compute checksums');
		expect(failure.hint).toContain('Turn off Verify Checksum');
		expect(server.callsOf('read')).toHaveLength(0);
	});

	it('reports a missing file as missing, not as a checksum problem', async () => {
		const failure = await remoteFailureOf(
			downloadFile(session, '/inbound/none.bin', consume, { verifyChecksum: true }),
		);
		expect(failure.message).not.toContain('checksum');
	});
});

describe('upload with verifyChecksum and modifiedAt', () => {
	const DATA = randomBytes(3 * CHUNK_BYTES + 5);
	const source = async () => sourceOf(DATA);

	it('verifies the temporary file, sets its time, then renames it', async () => {
		server.checksums = ['sha1', 'sha256'];
		server.setsModifiedAt = true;
		const result = await uploadFile(session, source, TARGET, {
			verifyChecksum: true,
			modifiedAt: '2024-05-01T12:00:00Z',
		});
		expect(result).toMatchObject({
			path: TARGET,
			size: DATA.length,
			modifiedAt: '2024-05-01T12:00:00Z',
			checksum: { algorithm: 'sha256', value: sha256(DATA), verified: true, source: 'server' },
		});
		expect(sha256(server.fs.files.get(TARGET)!)).toBe(sha256(DATA));
		const order = server.calls.map((call) => call.op).filter((op) => op !== 'size');
		expect(order.slice(-4)).toEqual(['write', 'checksum', 'setModifiedAt', 'rename']);
		expect(server.callsOf('checksum')[0].path).toMatch(TEMPORARY);
		expect([...server.modifiedTimes.entries()]).toEqual([
			[server.callsOf('setModifiedAt')[0].path, '2024-05-01T12:00:00Z'],
		]);
	});

	it('hashes each attempt anew: a retried upload verifies the bytes of the last one', async () => {
		server.checksums = ['sha256'];
		server.faults.writes.push({ attempt: 1, afterBytes: CHUNK_BYTES, kind: 'drop' });
		const result = await uploadFile(session, source, TARGET, { verifyChecksum: true, retries: 1 });
		expect(result.checksum?.value).toBe(sha256(DATA));
		expect(server.callsOf('write')).toHaveLength(2);
	});

	it('deletes the temporary file and fails on a mismatch, leaving the target as it was', async () => {
		server.checksums = ['sha256'];
		server.fs.put(TARGET, 'the previous report');
		const wrong = sha256(Buffer.from('damaged'));
		server.checksumReply = (path) => (TEMPORARY.test(path) ? wrong : undefined);
		let uploads = 0;
		const counted = async () => {
			uploads++;
			return sourceOf(DATA);
		};
		const failure = await remoteFailureOf(
			uploadFile(session, counted, TARGET, { verifyChecksum: true, retries: 2 }),
		);
		expect(failure.message).toContain(`the uploaded bytes hash to ${sha256(DATA)}`);
		expect(failure.message).toContain(`the server computed ${wrong}`);
		expect(failure.retryable).toBe(false);
		expect(uploads).toBe(1);
		expect(server.fs.paths()).toEqual([FILE, TARGET]);
		expect(server.fs.files.get(TARGET)?.toString()).toBe('the previous report');
	});

	it('deletes the file itself on a mismatch without a temporary name', async () => {
		server.checksums = ['md5'];
		server.checksumReplies.set(TARGET, 'a'.repeat(32));
		await remoteFailureOf(
			uploadFile(session, source, TARGET, { verifyChecksum: true, atomic: false }),
		);
		expect(server.fs.paths()).toEqual([FILE]);
	});

	it('says the server cannot compute checksums before sending anything', async () => {
		const failure = await remoteFailureOf(
			uploadFile(session, source, TARGET, { verifyChecksum: true }),
		);
		expect(failure.message).toContain('The server cannot compute checksums');
		expect(failure.message).toContain('nothing was uploaded');
		expect(server.callsOf('write')).toHaveLength(0);
		expect(server.fs.paths()).toEqual([FILE]);
	});

	it('refuses to verify an append before sending anything', async () => {
		server.checksums = ['sha256'];
		const failure = await remoteFailureOf(
			uploadFile(session, source, TARGET, { verifyChecksum: true, ifExists: 'append' }),
		);
		expect(failure.message).toContain('cannot be verified');
		expect(server.callsOf('write')).toHaveLength(0);
	});

	it('says the server cannot set modification times before sending anything', async () => {
		const failure = await remoteFailureOf(
			uploadFile(session, source, TARGET, { modifiedAt: '2024-05-01T12:00:00Z' }),
		);
		expect(failure.message).toContain('The server cannot set modification times');
		expect(server.callsOf('write')).toHaveLength(0);
	});

	it('sets the time after an append, once', async () => {
		server.setsModifiedAt = true;
		server.fs.put(TARGET, 'head;');
		const result = await uploadFile(session, source, TARGET, {
			ifExists: 'append',
			modifiedAt: '2020-01-02T03:04:05Z',
		});
		expect(result.modifiedAt).toBe('2020-01-02T03:04:05Z');
		expect(server.modifiedTimes.get(TARGET)).toBe('2020-01-02T03:04:05Z');
		expect(server.callsOf('setModifiedAt')).toHaveLength(1);
	});
});
