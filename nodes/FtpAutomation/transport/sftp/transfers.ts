import type { Readable, Writable } from 'node:stream';

import type { SftpRequests } from './requests';

/**
 * Several requests in flight, as OpenSSH's sftp client does (64 × 32 KiB): one request at a time would wait a round
 * trip per chunk. Reads use the largest request the server takes (chunkBytesFor) within BYTES_IN_FLIGHT; writes send
 * the source's pieces (64 KiB from n8n's store) as they come. This bounds a transfer's memory, whatever the file's size.
 */
export const CHUNK_BYTES = 64 * 1024;
export const REQUESTS_IN_FLIGHT = 32;

/** Bytes asked for but not yet handed on, in each direction: bounds a transfer's memory whatever the chunk size. */
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
	// Starts with one request and doubles with every full chunk (up to maxRequests): a small file costs one or two
	// reads, not a volley of requests past its end, and a large one reaches full speed after a few chunks.
	let window = 1;
	const inFlight: Array<{ position: number; data: Promise<Buffer> }> = [];
	const request = () => {
		const position = next;
		next += chunkBytes;
		const data = requests.read(handle, position, chunkBytes);
		// Answers are awaited in order; a failure of a later one must not go unhandled meanwhile.
		data.catch(() => undefined);
		inFlight.push({ position, data });
	};
	try {
		for (;;) {
			while (inFlight.length < window) request();
			const { position, data } = inFlight.shift()!;
			const chunk = await data;
			if (chunk.length === 0) {
				await flushed(destination);
				return;
			}
			onBytes(chunk.length);
			await deliver(destination, chunk);
			onBytes(0);
			if (chunk.length < chunkBytes) {
				// The requests after a short read start too far on: ask again from where this one ended.
				await Promise.allSettled(inFlight.splice(0).map(async (pending) => await pending.data));
				next = position + chunk.length;
			} else {
				window = Math.min(maxRequests, window * 2);
			}
		}
	} finally {
		// Answers still on their way are not awaited: the handle is closed by the caller.
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
