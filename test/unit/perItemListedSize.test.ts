/**
 * A download of a file that a listing just described (List's output item, the trigger's entry) takes the listed size
 * as the size to verify against instead of asking the server before every file; only when the bytes that arrived do
 * not match is the server asked, once, and the download judged by its answer. In-memory server; bytes by SHA-256.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import { listedSizeOf } from '../../nodes/FtpAutomation/helpers/downloadToBinary';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport/failures';
import { downloadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import { CHUNK_BYTES, MemoryProtocol, memorySession, sha256 } from '../helpers/memoryConnection';
import { within } from '../helpers/nodeRun';

const FILE = '/inbound/listed.bin';
const CONTENT = randomBytes(3 * CHUNK_BYTES + 77);

let server: MemoryProtocol;
let session: RemoteSession;

beforeEach(async () => {
	server = new MemoryProtocol();
	server.fs.put(FILE, CONTENT);
	session = await memorySession(server);
});

async function collect(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
	return Buffer.concat(chunks);
}

const sizeCalls = () => server.callsOf('size').length + server.callsOf('stat').length;
const readOffsets = () => server.callsOf('read').map((call) => call.offset);
const log = () => session.log.tail(200).join('\n');

async function download(listedSize: number | undefined, retries = 2) {
	return await within(
		5000,
		downloadFile(session, FILE, collect, { retries, listedSize: listedSize }),
	);
}

describe('a download with the size a listing gave', () => {
	it('asks the server nothing before the transfer when the bytes match the listing', async () => {
		const { result, size } = await download(CONTENT.length);
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		expect(sizeCalls()).toBe(0);
		expect(readOffsets()).toEqual([0]);
	});

	it('still asks without a listed size', async () => {
		await download(undefined);
		expect(server.callsOf('size')).toHaveLength(1);
	});

	it('an empty file listed with 0 bytes arrives whole without a question', async () => {
		server.fs.put(FILE, Buffer.alloc(0));
		const { result, size } = await download(0);
		expect(result).toHaveLength(0);
		expect(size).toBe(0);
		expect(sizeCalls()).toBe(0);
	});

	it('a file that grew after the listing: asks once, hands on the whole file, says so in the log', async () => {
		const { result, size } = await download(CONTENT.length - 1000);
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		expect(server.callsOf('size')).toHaveLength(1);
		expect(readOffsets()).toEqual([0]);
		expect(log()).toContain(
			`"${FILE}" was listed with ${CONTENT.length - 1000} bytes; the server now says ${CONTENT.length}`,
		);
	});

	it('a file that shrank after the listing: asks once, hands on the file as it is now', async () => {
		const { result, size } = await download(CONTENT.length + 5000);
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		expect(server.callsOf('size')).toHaveLength(1);
		expect(readOffsets()).toEqual([0]);
	});

	it('a transfer cut short without an error: the server confirms the listed size, the rest is resumed', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: CHUNK_BYTES + 10, kind: 'truncate' });
		const { result, size } = await download(CONTENT.length);
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		expect(server.callsOf('size')).toHaveLength(1);
		expect(readOffsets()).toEqual([0, CHUNK_BYTES + 10]);
	});

	it('a broken transfer resumes at the exact byte without asking for the size', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: 2 * CHUNK_BYTES, kind: 'drop' });
		const { result } = await download(CONTENT.length);
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(sizeCalls()).toBe(0);
		expect(readOffsets()).toEqual([0, 2 * CHUNK_BYTES]);
	});

	it('a file cut short every time fails after its retries, never handed on, asking the size only once', async () => {
		for (let attempt = 1; attempt <= 3; attempt++)
			server.faults.reads.push({ attempt, afterBytes: 100, kind: 'truncate' });
		const failure = await download(CONTENT.length).then(
			() => new Error('the download succeeded'),
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(RemoteFailure);
		expect((failure as RemoteFailure).message).toContain('tried 3 times');
		expect(server.callsOf('size')).toHaveLength(1);
	});

	it('a server whose size answer still differs from what arrived: the download fails as before', async () => {
		// The listing said more than arrives, and the server announces yet another size: the file is changing.
		server.faults.announcedSize.set(FILE, CONTENT.length - 10);
		const failure = await download(CONTENT.length + 10).then(
			() => new Error('the download succeeded'),
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(RemoteFailure);
		expect((failure as RemoteFailure).message).toContain('changed during the download');
		expect(server.callsOf('size')).toHaveLength(1);
	});
});

describe('listedSizeOf', () => {
	const entry = { path: FILE, type: 'file', size: 10 };

	it('takes the size of a listed file at exactly this path', () => {
		expect(listedSizeOf(entry, FILE)).toBe(10);
		expect(listedSizeOf({ ...entry, size: 0 }, FILE)).toBe(0);
	});

	it.each([
		['another path', { ...entry, path: '/inbound/other.bin' }],
		['a folder', { ...entry, type: 'directory' }],
		['a link', { ...entry, type: 'symbolicLink' }],
		['no size', { ...entry, size: null }],
		['a negative size', { ...entry, size: -1 }],
		['a fraction', { ...entry, size: 1.5 }],
		['a size beyond 2^53', { ...entry, size: 2 ** 53 }],
		['a size as text', { ...entry, size: '10' }],
	])('ignores %s', (_case, listed) => {
		expect(listedSizeOf(listed, FILE)).toBeUndefined();
	});

	it('ignores an item that is no listing', () => {
		expect(listedSizeOf(undefined, FILE)).toBeUndefined();
		expect(listedSizeOf({}, FILE)).toBeUndefined();
	});
});
