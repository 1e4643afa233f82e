import type { Readable, Writable } from 'node:stream';

import { DEFAULTS } from '../defaults';
import type { SftpRequests } from './requests';

/**
 * Several requests in flight, as OpenSSH's sftp client does (64 × 32 KiB): one request at a time would wait a round
 * trip per chunk. Reads use the largest request the server takes (chunkBytesFor) within BYTES_IN_FLIGHT; writes send
 * the source's pieces (64 KiB from n8n's store) as they come. This bounds a transfer's memory, whatever the file's size.
 */
export const CHUNK_BYTES = 64 * 1024;
export const REQUESTS_IN_FLIGHT = 32;

/**
 * Bytes asked for but not yet handed on, in each direction: bounds a transfer's memory whatever the chunk size (a
 * download holds at most this plus the piece being handed on, see PIECE_BYTES).
 */
export const BYTES_IN_FLIGHT = 2 * 1024 * 1024;
export const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * The read size: 64 KiB, or less where the server takes less in one piece (the library would split a larger request
 * into requests one after another). Larger reads (OpenSSH takes 255 KiB) were faster outside n8n (a 256 MiB download
 * 0.8 s instead of 1.25 s) but not inside it, where n8n's binary store sets the pace, and held more memory: see
 * BENCHMARKS.md.
 */
export function chunkBytesFor(serverLimit: number | undefined): number {
	if (serverLimit === undefined || !Number.isFinite(serverLimit)) return CHUNK_BYTES;
	return Math.max(32 * 1024, Math.min(MAX_CHUNK_BYTES, Math.floor(serverLimit)));
}

/** Resolves once `destination` takes more, or rejects when it fails or closes first. */
async function drained(destination: Writable): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const cleanup = () => {
			destination.off('drain', onDrain);
			destination.off('error', onError);
			destination.off('close', onClose);
		};
		const onDrain = () => {
			cleanup();
			resolve();
		};
		const onError = (error: Error) => {
			cleanup();
			reject(error);
		};
		const onClose = () => {
			cleanup();
			reject(new Error('The destination of the download was closed'));
		};
		destination.on('drain', onDrain);
		destination.on('error', onError);
		destination.on('close', onClose);
	});
}

/**
 * Resolves once `destination` has processed every chunk written to it: a read resolves only when all its bytes
 * arrived where they go (the engine counts and checks them then).
 */
async function flushed(destination: Writable): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		destination.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
	});
}

async function deliver(destination: Writable, data: Buffer): Promise<void> {
	if (destination.destroyed || destination.writableEnded) {
		throw new Error('The destination of the download was closed');
	}
	if (!destination.write(data)) await drained(destination);
}

/**
 * Reads the file behind `handle` from `offset` to its end into `destination`, in order, with requests pipelined. A
 * short read (a server may answer with fewer bytes than asked) discards the requests after it and continues from
 * where it ended, so no byte is skipped or doubled; a read of 0 bytes is the end of the file.
 */
export async function readPipelined(
	requests: SftpRequests,
	handle: Buffer,
	destination: Writable,
	offset: number,
	onBytes: (count: number) => void,
	chunkBytes = CHUNK_BYTES,
): Promise<void> {
	await requests.watched('read requests', async (progress) => {
		// Called after each chunk was handed on: waiting for a slow destination is not the server stalling.
		const report = (count: number) => {
			progress();
			onBytes(count);
		};
		await readInOrder(requests, handle, destination, offset, report, chunkBytes);
	});
}

/**
 * The largest piece handed on: n8n's filesystem store writes each piece with one awaited write, so pieces of 1 MiB
 * keep it fast. Reads land directly in these pieces (no buffer per read, and the PassThrough after us finds one
 * piece and need not concatenate): every buffer allocated for a download is one n8n keeps, so the garbage V8 has to
 * collect is halved (see test/unit/memoryReads.test.ts).
 */
export const PIECE_BYTES = DEFAULTS.transferBufferBytes;

/** A piece being filled by consecutive reads; handed on (and never written again) once its reads all answered. */
interface Piece {
	buffer: Buffer;
	filled: number;
}

async function readInOrder(
	requests: SftpRequests,
	handle: Buffer,
	destination: Writable,
	offset: number,
	onBytes: (count: number) => void,
	chunkBytes: number,
): Promise<void> {
	let next = offset;
	const maxRequests = Math.max(
		4,
		Math.min(REQUESTS_IN_FLIGHT, Math.floor(BYTES_IN_FLIGHT / chunkBytes)),
	);
	const maxSlots = Math.max(1, Math.floor(PIECE_BYTES / chunkBytes));
	// Starts with one request and doubles with every full chunk (up to maxRequests): a small file costs one or two
	// reads, not a volley of requests past its end, and a large one reaches full speed after a few chunks. A piece
	// has room for the requests of one window, so a small file is not given a 1 MiB buffer.
	let window = 1;
	let issuing: Piece | undefined;
	let issuingUsed = 0;
	const inFlight: Array<{ position: number; piece: Piece; at: number; data: Promise<number> }> = [];
	const request = () => {
		if (issuing === undefined || issuingUsed === issuing.buffer.length) {
			const slots = Math.min(maxSlots, window);
			issuing = { buffer: Buffer.allocUnsafe(slots * chunkBytes), filled: 0 };
			issuingUsed = 0;
		}
		const position = next;
		const at = issuingUsed;
		next += chunkBytes;
		issuingUsed += chunkBytes;
		const data = requests.readInto(handle, issuing.buffer, at, chunkBytes, position);
		// Answers are awaited in order; a failure of a later one must not go unhandled meanwhile.
		data.catch(() => undefined);
		inFlight.push({ position, piece: issuing, at, data });
	};
	const handOn = async (piece: Piece) => {
		// A piece handed on before all its room was asked for is closed: no later read may land in it.
		if (issuing === piece) issuing = undefined;
		if (piece.filled === 0) return;
		onBytes(piece.filled);
		await deliver(destination, piece.buffer.subarray(0, piece.filled));
		onBytes(0);
	};
	try {
		for (;;) {
			while (inFlight.length < window) request();
			const { position, piece, at, data } = inFlight.shift()!;
			const count = await data;
			// An answer is progress for the watchdog, even while its piece waits for the rest of its reads.
			onBytes(0);
			piece.filled = at + count;
			const last = inFlight.length === 0 || inFlight[0].piece !== piece;
			if (count === chunkBytes) {
				window = Math.min(maxRequests, window * 2);
				if (last) await handOn(piece);
				continue;
			}
			// A short read (or 0 bytes: the end): the requests after it start too far on. They are let finish before
			// this piece is handed on, so nothing writes into a buffer the destination holds; then reading goes on
			// from where this one ended, into a new piece.
			await Promise.allSettled(inFlight.splice(0).map(async (pending) => await pending.data));
			issuing = undefined;
			await handOn(piece);
			if (count === 0) {
				await flushed(destination);
				return;
			}
			next = position + count;
		}
	} finally {
		// Answers still on their way are not awaited: the handle is closed by the caller, and the pieces they
		// write into were never handed on.
		inFlight.splice(0);
	}
}

/** Writes `source` to the file behind `handle` from byte `offset`, with up to REQUESTS_IN_FLIGHT writes pending. */
export async function writePipelined(
	requests: SftpRequests,
	handle: Buffer,
	source: Readable,
	offset: number,
): Promise<number> {
	return await requests.watched(
		'write requests',
		async (progress) => await writeInOrder(requests, handle, source, offset, progress),
	);
}

async function writeInOrder(
	requests: SftpRequests,
	handle: Buffer,
	source: Readable,
	offset: number,
	progress: () => void,
): Promise<number> {
	let position = offset;
	const pending = new Set<Promise<void>>();
	let failed: unknown;
	const send = (data: Buffer) => {
		const write = requests.write(handle, data, position).then(
			() => {
				progress();
				pending.delete(write);
			},
			(error: unknown) => {
				pending.delete(write);
				failed ??= error;
			},
		);
		pending.add(write);
		position += data.length;
	};
	for await (const piece of source) {
		// Waiting for the source (e.g. a slow upstream) is not the server stalling.
		progress();
		const data = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
		for (let start = 0; start < data.length; start += CHUNK_BYTES) {
			send(data.subarray(start, start + CHUNK_BYTES));
			if (pending.size >= REQUESTS_IN_FLIGHT) await Promise.race(pending);
			if (failed !== undefined) throw failed;
		}
	}
	await Promise.all(pending);
	if (failed !== undefined) throw failed;
	return position - offset;
}
