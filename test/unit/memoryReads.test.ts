/**
 * What an SFTP download allocates: reads land in the pieces that are handed on (no buffer per read, no copy), the
 * memory asked for but not yet handed on stays bounded, and a piece is never written again once a consumer holds it
 * (n8n's database and S3 stores keep every piece until the end). Bytes round-trip by SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Client, SFTPWrapper } from 'ssh2';

import { SftpRequests } from '../../nodes/FtpAutomation/transport/sftp/requests';
import {
	BYTES_IN_FLIGHT,
	CHUNK_BYTES,
	PIECE_BYTES,
	readPipelined,
} from '../../nodes/FtpAutomation/transport/sftp/transfers';

/** ssh2's SFTPWrapper.read: handle, buffer, offset in it, length, position in the file, callback. */
type ReadArguments = [
	Buffer,
	Buffer,
	number,
	number,
	number,
	(error: Error | undefined, bytesRead: number) => void,
];

/** Serves `file` like ssh2 does: copies each answer into the caller's buffer, answers in a shuffled order. */
function channelServing(file: Buffer, shortReadEvery = 0): SftpRequests {
	let reads = 0;
	const read = (...[, buffer, at, length, position, answer]: ReadArguments) => {
		const index = reads++;
		const whole = Math.max(0, Math.min(length, file.length - position));
		const short = shortReadEvery > 0 && index % shortReadEvery === shortReadEvery - 1;
		const count = short && whole > 10 ? Math.floor(whole / 3) : whole;
		// Copied on answering, as the library does: a piece handed on too early would change under its holder.
		const respond = () => {
			if (count > 0) file.copy(buffer, at, position, position + count);
			answer(undefined, count);
		};
		setTimeout(respond, (index * 7) % 5);
	};
	const client = Object.assign(new EventEmitter(), { end: () => undefined });
	return new SftpRequests({ read } as unknown as SFTPWrapper, client as unknown as Client, 5000);
}

/** Keeps every piece (as n8n's database store does) with a copy of what it held when it arrived. */
function keepingConsumer() {
	const pieces: Array<{ piece: Buffer; atArrival: Buffer }> = [];
	const sink = new Writable({
		highWaterMark: PIECE_BYTES,
		write(chunk: Buffer, _encoding, callback) {
			const atArrival = Buffer.alloc(chunk.length);
			chunk.copy(atArrival);
			pieces.push({ piece: chunk, atArrival });
			setTimeout(callback, 1);
		},
	});
	return { sink, pieces };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const handle = Buffer.from('h');

describe('memory of an SFTP download', () => {
	let allocations: jest.SpyInstance;
	beforeEach(() => {
		allocations = jest.spyOn(Buffer, 'allocUnsafe');
	});
	afterEach(() => allocations.mockRestore());

	it('reads into the pieces it hands on: one buffer per MiB, not one per read', async () => {
		const file = randomBytes(8 * PIECE_BYTES + 12_345);
		const consumer = keepingConsumer();
		let allocated = 0;
		let handedOn = 0;
		let worst = 0;
		let reading = true;
		allocations.mockImplementation(((size: number) => {
			if (!reading) return Buffer.alloc(size);
			allocated += size;
			// Asked for but not yet handed on (the destination's own buffer is the destination's business): pieces with
			// requests in flight plus the one being handed on, until the end of the file was found (the pieces of the
			// requests past it are dropped then).
			if (handedOn < file.length) worst = Math.max(worst, allocated - handedOn);
			return Buffer.alloc(size);
		}) as typeof Buffer.allocUnsafe);
		await readPipelined(
			channelServing(file),
			handle,
			consumer.sink,
			0,
			(count) => (handedOn += count),
		);
		reading = false;
		const calls = allocations.mock.calls.length;
		expect(sha256(Buffer.concat(consumer.pieces.map(({ piece }) => piece)))).toBe(sha256(file));
		// 64 KiB reads would have allocated 130 buffers. Here: the pieces grow 64 KiB, 128 KiB, … 1 MiB (4 + 8), and up
		// to 2 MiB of requests were already asked past the end when the short read there answered (at most 3 more).
		expect(calls).toBeLessThanOrEqual(4 + 8 + 1 + 3);
		expect(worst).toBeLessThanOrEqual(BYTES_IN_FLIGHT + PIECE_BYTES);
		// Whole pieces: the PassThrough in front of n8n's store hands each on as it is, without concatenating.
		const full = consumer.pieces.filter(({ piece }) => piece.length === PIECE_BYTES);
		expect(full.length).toBeGreaterThanOrEqual(7);
		expect(Math.max(...consumer.pieces.map(({ piece }) => piece.length))).toBe(PIECE_BYTES);
	});

	it('never writes into a piece a consumer holds, with short reads and answers out of order', async () => {
		const file = randomBytes(5 * PIECE_BYTES + 777);
		const consumer = keepingConsumer();
		await readPipelined(channelServing(file, 9), handle, consumer.sink, 0, () => undefined);
		for (const { piece, atArrival } of consumer.pieces) expect(piece.equals(atArrival)).toBe(true);
		expect(sha256(Buffer.concat(consumer.pieces.map(({ piece }) => piece)))).toBe(sha256(file));
	});

	it('gives a small file one small buffer, and resumes into fresh pieces', async () => {
		const small = randomBytes(16 * 1024);
		const consumer = keepingConsumer();
		await readPipelined(channelServing(small), handle, consumer.sink, 0, () => undefined);
		const sizes = allocations.mock.calls.map(([size]) => size);
		expect(Buffer.concat(consumer.pieces.map(({ piece }) => piece)).equals(small)).toBe(true);
		// The read that finds the 16 KiB and the one that finds the end, as before: no piece larger than one read.
		expect(sizes).toEqual([CHUNK_BYTES, CHUNK_BYTES]);

		const file = randomBytes(3 * PIECE_BYTES);
		const resumed = keepingConsumer();
		await readPipelined(channelServing(file), handle, resumed.sink, 1_000_000, () => undefined);
		expect(
			Buffer.concat(resumed.pieces.map(({ piece }) => piece)).equals(file.subarray(1_000_000)),
		).toBe(true);
	});
});
