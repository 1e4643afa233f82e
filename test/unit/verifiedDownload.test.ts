/**
 * The verified download (transport/verifiedDownload.ts) against the in-memory server: resumes at the exact byte,
 * verifies the bytes against the announced size, and never hands on a download that failed. Bytes are compared by
 * SHA-256, never by length alone.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

import { RemoteFailure } from '../../nodes/FtpAutomation/transport/failures';
import { downloadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import { CHUNK_BYTES, MemoryProtocol, memorySession, sha256 } from '../helpers/memoryConnection';

const FILE = '/inbound/report.bin';
const CONTENT = randomBytes(5 * CHUNK_BYTES + 123);

let server: MemoryProtocol;
let session: RemoteSession;

beforeEach(async () => {
	server = new MemoryProtocol();
	server.fs.put(FILE, CONTENT);
	session = await memorySession(server);
});

/** n8n's store, as far as the download sees it: collects the stream; records each stream and how it ended. */
function store(options: { slow?: boolean; failOnChunk?: number } = {}) {
	const streams: Readable[] = [];
	const outcomes: Array<Promise<'stored' | Error>> = [];
	const consume = async (stream: Readable): Promise<Buffer> => {
		streams.push(stream);
		const stored = (async () => {
			const chunks: Buffer[] = [];
			for await (const chunk of stream as AsyncIterable<Buffer>) {
				if (chunks.length + 1 === options.failOnChunk)
					throw new Error('ENOSPC: no space left on device');
				chunks.push(chunk);
				// A slow disk: each read takes what is buffered, then the store is busy for a while.
				if (options.slow) await new Promise((resolve) => setTimeout(resolve, 5));
			}
			return Buffer.concat(chunks);
		})();
		outcomes.push(
			stored.then(
				() => 'stored' as const,
				(error: Error) => error,
			),
		);
		return await stored;
	};
	return { consume, streams, outcomes };
}

const readOffsets = () => server.callsOf('read').map((call) => [call.offset, call.connection]);
const log = () => session.log.tail(200).join('\n');

async function failureOfDownload(
	consume: (stream: Readable) => Promise<Buffer>,
	retries: number,
	path = FILE,
): Promise<RemoteFailure> {
	const error = await downloadFile(session, path, consume, { retries }).then(
		() => new Error('the download succeeded'),
		(failure: unknown) => failure,
	);
	expect(error).toBeInstanceOf(RemoteFailure);
	return error as RemoteFailure;
}

/** A download that failed after data flowed was not handed on: its stream was destroyed, `consume` rejected. */
async function expectNothingHandedOn(seen: ReturnType<typeof store>): Promise<void> {
	expect(seen.streams).toHaveLength(1);
	expect(seen.streams[0].destroyed).toBe(true);
	expect(await seen.outcomes[0]).toBeInstanceOf(Error);
}

describe('a clean download', () => {
	it('hands the bytes on in one stream, read once from byte 0', async () => {
		const seen = store();
		const { result, size } = await downloadFile(session, FILE, seen.consume, { retries: 2 });
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		expect(seen.streams).toHaveLength(1);
		expect(await seen.outcomes[0]).toBe('stored');
		expect(readOffsets()).toEqual([[0, 1]]);
		expect(server.opens).toBe(1);
	});

	it('hands on an empty file as one empty stream', async () => {
		server.fs.put('/empty.txt', '');
		const seen = store();
		const { result, size } = await downloadFile(session, '/empty.txt', seen.consume);
		expect(sha256(result)).toBe(sha256(Buffer.alloc(0)));
		expect(size).toBe(0);
		expect(seen.streams).toHaveLength(1);
	});
});

describe('a transient failure resumes at the byte that arrived', () => {
	const last = CONTENT.length - 1;
	it.each([
		0,
		1,
		CHUNK_BYTES - 1,
		CHUNK_BYTES,
		CHUNK_BYTES + 1,
		2 * CHUNK_BYTES,
		last,
		CONTENT.length,
	])('after %i bytes', async (at) => {
		server.faults.reads.push({ attempt: 1, afterBytes: at, kind: 'drop' });
		const seen = store();
		const { result, size } = await downloadFile(session, FILE, seen.consume, { retries: 1 });
		expect(sha256(result)).toBe(sha256(CONTENT));
		expect(size).toBe(CONTENT.length);
		// The broken connection is replaced, and the second read starts exactly where the first one stopped.
		expect(readOffsets()).toEqual([
			[0, 1],
			[at, 2],
		]);
		expect(server.opens).toBe(2);
		expect(seen.streams).toHaveLength(1);
		if (at > 0) expect(log()).toContain(`Resuming the download of "${FILE}" at byte ${at}`);
		else expect(log()).not.toContain('Resuming');
		expect(log()).toContain('Attempt 1 of 2 to download failed');
	});

	it('resumes twice into a slow store, whose back-pressure holds the transfer', async () => {
		// More than the download's two 1 MiB buffers (its sink and its output) per attempt.
		const big = randomBytes(8 * 1024 * 1024 + 17);
		server.fs.put('/big.bin', big);
		const first = 3584 * 1024 + 3;
		const second = 3 * 1024 * 1024 - 5;
		server.faults.reads.push(
			{ attempt: 1, afterBytes: first, kind: 'drop' },
			{ attempt: 2, afterBytes: second, kind: 'drop' },
		);
		const seen = store({ slow: true });
		const { result } = await downloadFile(session, '/big.bin', seen.consume, { retries: 2 });
		expect(sha256(result)).toBe(sha256(big));
		expect(readOffsets()).toEqual([
			[0, 1],
			[first, 2],
			[first + second, 3],
		]);
		expect(log()).toContain(`Resuming the download of "/big.bin" at byte ${first + second}`);
		expect(server.backPressureWaits).toBeGreaterThan(0);
	});

	it('stops after the retries, and hands nothing on', async () => {
		for (const attempt of [1, 2, 3])
			server.faults.reads.push({ attempt, afterBytes: 1000, kind: 'drop' });
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 2);
		expect(failure.message).toMatch(/\(tried 3 times\)$/);
		expect(failure.message).toContain('closed unexpectedly');
		expect(readOffsets()).toEqual([
			[0, 1],
			[1000, 2],
			[2000, 3],
		]);
		await expectNothingHandedOn(seen);
	});

	it('is not retried without retries', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: 1000, kind: 'drop' });
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 0);
		expect(failure.message).not.toContain('tried');
		expect(readOffsets()).toEqual([[0, 1]]);
		await expectNothingHandedOn(seen);
	});
});

describe('a permanent failure', () => {
	it('of a missing file is not retried, and leaves nothing in the store', async () => {
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 3, '/inbound/missing.bin');
		expect(failure.refusal).toBe('missingOrDenied');
		expect(failure.message).toContain('"/inbound/missing.bin"');
		expect(server.callsOf('read')).toHaveLength(1);
		expect(server.opens).toBe(1);
		expect(seen.streams).toHaveLength(0);
	});

	it('refused before the first byte is not retried, and leaves nothing in the store', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: 0, kind: 'reply', code: 550 });
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 3);
		expect(failure.refusal).toBe('missingOrDenied');
		expect(failure.replyCode).toBe(550);
		expect(readOffsets()).toEqual([[0, 1]]);
		expect(seen.streams).toHaveLength(0);
	});

	it('after bytes arrived is not retried, and hands nothing on', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: 4096, kind: 'reply', code: 550 });
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 3);
		expect(failure.message).toContain('after 4096 bytes');
		expect(failure.retryable).toBe(false);
		expect(readOffsets()).toEqual([[0, 1]]);
		await expectNothingHandedOn(seen);
	});

	it('of a folder says so, for the node to name the field', async () => {
		server.fs.makeFolders('/inbound/folder');
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 2, '/inbound/folder');
		expect(failure.fixInNode).toBe('downloadOfFolder');
		expect(failure.message).toBe('"/inbound/folder" is a folder, not a file');
		expect(server.callsOf('read')).toHaveLength(1);
		expect(seen.streams).toHaveLength(0);
	});
});

describe('the bytes are checked against the announced size', () => {
	it('a transfer that ends early without an error is resumed where it ended', async () => {
		const at = 2 * CHUNK_BYTES + 7;
		server.faults.reads.push({ attempt: 1, afterBytes: at, kind: 'truncate' });
		const seen = store();
		const { result } = await downloadFile(session, FILE, seen.consume, { retries: 1 });
		expect(sha256(result)).toBe(sha256(CONTENT));
		// The connection stayed open: the same one resumes.
		expect(readOffsets()).toEqual([
			[0, 1],
			[at, 1],
		]);
		expect(log()).toContain(
			`the transfer ended after ${at} of the ${CONTENT.length} bytes the server announced`,
		);
	});

	it('fewer bytes than announced every time: retried, then failed', async () => {
		server.faults.announcedSize.set(FILE, CONTENT.length + 10);
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 2);
		expect(failure.message).toContain(
			`the transfer ended after ${CONTENT.length} of the ${CONTENT.length + 10} bytes the server announced`,
		);
		expect(failure.message).toMatch(/\(tried 3 times\)$/);
		expect(readOffsets()).toEqual([
			[0, 1],
			[CONTENT.length, 1],
			[CONTENT.length, 1],
		]);
		await expectNothingHandedOn(seen);
	});

	it('more bytes than announced: the file changed, not retried', async () => {
		server.faults.announcedSize.set(FILE, CONTENT.length - 10);
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 2);
		expect(failure.message).toBe(
			`"${FILE}" changed during the download: the server announced ${CONTENT.length - 10} bytes, ${CONTENT.length} arrived`,
		);
		expect(readOffsets()).toEqual([[0, 1]]);
		await expectNothingHandedOn(seen);
	});
});

describe("n8n's store failing", () => {
	it('is explained as storing, and not tried again', async () => {
		const seen = store({ failOnChunk: 2 });
		const failure = await failureOfDownload(seen.consume, 2);
		expect(failure.message).toContain('store the downloaded data of');
		expect(failure.message).toContain('ENOSPC: no space left on device');
		expect(failure.retryable).toBe(false);
		expect(readOffsets()).toEqual([[0, 1]]);
	});

	it('stops the download even when the connection dropped too', async () => {
		server.faults.reads.push({ attempt: 1, afterBytes: CHUNK_BYTES, kind: 'drop' });
		const seen = store({ failOnChunk: 1 });
		const failure = await failureOfDownload(seen.consume, 2);
		expect(failure.message).toContain('store the downloaded data of');
		expect(failure.message).toContain('ENOSPC');
		expect(failure.message).not.toContain('tried');
		// The second attempt (on a new connection) found the store failed and read nothing.
		expect(log()).toContain('Attempt 1 of 3 to download failed (Download: read ECONNRESET');
		expect(server.opens).toBe(2);
		expect(readOffsets()).toEqual([[0, 1]]);
	});
});

describe('a server that cannot resume', () => {
	it('fails with an explanation after the bytes that arrived', async () => {
		server.faults.resumeRefused = true;
		server.faults.reads.push({ attempt: 1, afterBytes: 5000, kind: 'drop' });
		const seen = store();
		const failure = await failureOfDownload(seen.consume, 3);
		expect(failure.message).toContain(
			`The download of "${FILE}" was interrupted after 5000 bytes, and the server cannot resume it (REST refused: 502 Command not implemented.)`,
		);
		expect(failure.replyCode).toBe(502);
		// Refused resumption is final: no third read.
		expect(readOffsets()).toEqual([
			[0, 1],
			[5000, 2],
		]);
		await expectNothingHandedOn(seen);
	});
});
