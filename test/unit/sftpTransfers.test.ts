/**
 * The pipelined SFTP transfers against a scripted SFTP channel: the order of bytes survives short reads and answers
 * in any order, the requests in flight stay bounded, a server that stops answering is given up after the timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import type { Client, SFTPWrapper } from 'ssh2';

import { SftpRequests, StalledRequest } from '../../nodes/FtpAutomation/transport/sftp/requests';
import {
	BYTES_IN_FLIGHT,
	CHUNK_BYTES,
	chunkBytesFor,
	readPipelined,
	REQUESTS_IN_FLIGHT,
	writePipelined,
} from '../../nodes/FtpAutomation/transport/sftp/transfers';

type ReadCallback = (error: Error | undefined, bytesRead: number) => void;

/** An SFTP channel serving `file`; `behaviour` decides how much each read returns and when it answers. */
function fakeChannel(
	file: Buffer,
	behaviour: {
		shortReadEvery?: number;
		answerAfterMs?: (index: number) => number;
		stallAfterReads?: number;
		failWriteAt?: number;
	} = {},
) {
	let reads = 0;
	let inFlight = 0;
	let maxInFlight = 0;
	const written = new Map<number, Buffer>();
	const ended = { value: false };
	const sftp = {
		read(
			_handle: Buffer,
			buffer: Buffer,
			offset: number,
			length: number,
			position: number,
			callback: ReadCallback,
		) {
			const index = reads++;
			inFlight++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			if (behaviour.stallAfterReads !== undefined && index >= behaviour.stallAfterReads) return;
			let count = Math.max(0, Math.min(length, file.length - position));
			if (behaviour.shortReadEvery && index % behaviour.shortReadEvery === 1 && count > 10) {
				count = Math.floor(count / 3);
			}
			if (count > 0) file.copy(buffer, offset, position, position + count);
			setTimeout(
				() => {
					inFlight--;
					callback(undefined, count);
				},
				behaviour.answerAfterMs?.(index) ?? 0,
			);
		},
		write(
			_handle: Buffer,
			data: Buffer,
			offset: number,
			length: number,
			position: number,
			callback: (error?: Error) => void,
		) {
			inFlight++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			written.set(position, Buffer.from(data.subarray(offset, offset + length)));
			const fail = behaviour.failWriteAt !== undefined && position >= behaviour.failWriteAt;
			setTimeout(() => {
				inFlight--;
				callback(fail ? Object.assign(new Error('No space left'), { code: 4 }) : undefined);
			}, 1);
		},
	};
	const client = Object.assign(new EventEmitter(), { end: () => (ended.value = true) });
	return {
		requests: (timeoutMs = 5000) =>
			new SftpRequests(sftp as unknown as SFTPWrapper, client as unknown as Client, timeoutMs),
		maxInFlight: () => maxInFlight,
		reads: () => reads,
		ended,
		writtenFile: () =>
			Buffer.concat([...written.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk)),
	};
}

/** A destination that takes its time: bytes count as arrived only once it has processed them. */
function collector(): { sink: Writable; bytes: () => Buffer } {
	const chunks: Buffer[] = [];
	return {
		sink: new Writable({
			highWaterMark: 1024 * 1024,
			write(chunk: Buffer, _encoding, callback) {
				setTimeout(() => {
					chunks.push(chunk);
					callback();
				}, 5);
			},
		}),
		bytes: () => Buffer.concat(chunks),
	};
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const handle = Buffer.from('h');

describe('readPipelined', () => {
	it('delivers every byte in order, with answers arriving out of order and short reads', async () => {
		const file = randomBytes(40 * CHUNK_BYTES + 12345);
		const channel = fakeChannel(file, {
			shortReadEvery: 7,
			answerAfterMs: (index) => (index * 7919) % 5,
		});
		const { sink, bytes } = collector();
		let counted = 0;
		await readPipelined(channel.requests(), handle, sink, 0, (count) => (counted += count));
		expect(sha256(bytes())).toBe(sha256(file));
		expect(counted).toBe(file.length);
		expect(channel.maxInFlight()).toBeLessThanOrEqual(REQUESTS_IN_FLIGHT);
		expect(channel.maxInFlight()).toBeGreaterThan(1);
	});

	it('reads in requests no larger than the server takes, keeping at most 2 MiB in flight', async () => {
		expect(chunkBytesFor(261_120)).toBe(64 * 1024);
		expect(chunkBytesFor(33_900)).toBe(33_900);
		expect(chunkBytesFor(1000)).toBe(32 * 1024);
		expect(chunkBytesFor(undefined)).toBe(CHUNK_BYTES);
		const file = randomBytes(30 * 261_120 + 7);
		const channel = fakeChannel(file, { shortReadEvery: 5 });
		const { sink, bytes } = collector();
		await readPipelined(channel.requests(), handle, sink, 0, () => {}, 261_120);
		expect(sha256(bytes())).toBe(sha256(file));
		expect(channel.maxInFlight() * 261_120).toBeLessThanOrEqual(BYTES_IN_FLIGHT);
	});

	it('starts at an offset (a resumed download) and handles an empty file', async () => {
		const file = randomBytes(3 * CHUNK_BYTES + 5);
		const resumed = collector();
		await readPipelined(fakeChannel(file).requests(), handle, resumed.sink, 100_000, () => {});
		expect(resumed.bytes().equals(file.subarray(100_000))).toBe(true);
		const empty = collector();
		await readPipelined(fakeChannel(Buffer.alloc(0)).requests(), handle, empty.sink, 0, () => {});
		expect(empty.bytes().length).toBe(0);
	});

	it('gives up a server that stops answering after the timeout, and closes the connection', async () => {
		const channel = fakeChannel(randomBytes(100 * CHUNK_BYTES), { stallAfterReads: 40 });
		const started = Date.now();
		const failure = await readPipelined(
			channel.requests(300),
			handle,
			collector().sink,
			0,
			() => {},
		).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(StalledRequest);
		expect(Date.now() - started).toBeLessThan(3000);
		expect(channel.ended.value).toBe(true);
	});
});

describe('writePipelined', () => {
	it('writes every byte at its position, with a bounded number of writes in flight', async () => {
		const file = randomBytes(50 * CHUNK_BYTES + 999);
		const channel = fakeChannel(Buffer.alloc(0));
		// Pieces of odd sizes, as a stream from n8n's binary store might deliver them.
		const pieces: Buffer[] = [];
		for (let start = 0; start < file.length; start += 100_003) {
			pieces.push(file.subarray(start, start + 100_003));
		}
		const sent = await writePipelined(channel.requests(), handle, Readable.from(pieces), 0);
		expect(sent).toBe(file.length);
		expect(sha256(channel.writtenFile())).toBe(sha256(file));
		expect(channel.maxInFlight()).toBeLessThanOrEqual(REQUESTS_IN_FLIGHT);
	});

	it('fails with the server’s refusal and stops reading the source', async () => {
		const channel = fakeChannel(Buffer.alloc(0), { failWriteAt: 5 * CHUNK_BYTES });
		let pulled = 0;
		const source = new Readable({
			read() {
				pulled++;
				this.push(pulled > 1000 ? null : randomBytes(CHUNK_BYTES));
			},
		});
		const failure = await writePipelined(channel.requests(), handle, source, 0).catch(
			(error: Error) => error,
		);
		expect((failure as Error).message).toBe('No space left');
		expect(pulled).toBeLessThan(100);
		expect(source.destroyed).toBe(true);
	});
});
