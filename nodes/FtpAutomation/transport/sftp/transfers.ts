import type { Readable, Writable } from 'node:stream';

import type { SftpRequests } from './requests';

/**
 * Several requests in flight, as OpenSSH's sftp client does (64 × 32 KiB): one request at a time would wait a round
 * trip per chunk. This bounds the memory a transfer holds, whatever the file's size.
 */
export const CHUNK_BYTES = 64 * 1024;
export const REQUESTS_IN_FLIGHT = 32;

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
): Promise<void> {
	await requests.watched('read requests', async (progress) => {
		// Called after each chunk was handed on: waiting for a slow destination is not the server stalling.
		await readInOrder(requests, handle, destination, offset, (count) => {
			progress();
			onBytes(count);
		});
	});
}

async function readInOrder(
	requests: SftpRequests,
	handle: Buffer,
	destination: Writable,
	offset: number,
	onBytes: (count: number) => void,
): Promise<void> {
	let next = offset;
	// Starts with one request and doubles with every full chunk (up to REQUESTS_IN_FLIGHT): a small file costs one
	// or two reads, not a volley of requests past its end, and a large one reaches full speed after a few chunks.
	let window = 1;
	const inFlight: Array<{ position: number; data: Promise<Buffer> }> = [];
	const request = () => {
		const position = next;
		next += CHUNK_BYTES;
		const data = requests.read(handle, position, CHUNK_BYTES);
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
			if (chunk.length < CHUNK_BYTES) {
				// The requests after a short read start too far on: ask again from where this one ended.
				await Promise.allSettled(inFlight.splice(0).map(async (pending) => await pending.data));
				next = position + chunk.length;
			} else {
				window = Math.min(REQUESTS_IN_FLIGHT, window * 2);
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
