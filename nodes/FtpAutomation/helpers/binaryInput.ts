import type { IExecuteFunctions } from 'n8n-workflow';
import { Readable } from 'node:stream';

import { RemoteFailure, TRANSFER_BUFFER_BYTES } from '../transport';

/**
 * Opens the item's binary property as a stream, as often as asked (once per upload attempt): read from n8n's binary
 * store by reference when it is stored there (filesystem/S3 mode), so large files are never held in memory; decoded
 * from the item otherwise. Fails at once, before anything is sent, if the property is missing.
 */
export function binaryInputSource(
	this: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
): () => Promise<Readable> {
	const binaries = this.getInputData()[itemIndex]?.binary ?? {};
	const binary = binaries[propertyName];
	if (!binary) {
		const available = Object.keys(binaries);
		throw new RemoteFailure(
			'input',
			available.length > 0
				? `The input item has no binary field "${propertyName}"; its binary fields are: ${available.join(', ')}`
				: `The input item has no binary data (looked for the binary field "${propertyName}")`,
			available.length > 0
				? `Set Input Binary Field to one of: ${available.join(', ')}.`
				: 'Connect a node that outputs a file (e.g. Read/Write Files from Disk, HTTP Request, Convert to File), or turn off Binary File to upload text.',
		);
	}
	const id = binary.id;
	const chunkBytes = readChunkBytes(binary.bytes);
	if (id) return async () => await this.helpers.getBinaryStream(id, chunkBytes);
	return async () => Readable.from(await this.helpers.getBinaryDataBuffer(itemIndex, propertyName));
}

const SMALLEST_CHUNK_BYTES = 64 * 1024;

/**
 * How much to read from n8n's store at a time. Large chunks mean fewer, larger writes to the data connection (1 GiB
 * plain FTP upload: 2.8 s with n8n's default 64 KiB chunks, 2.0 s with 1 MiB), but a file stream allocates a whole
 * chunk for every read, also for a 16 KiB file: 2,000 small uploads made 2 GiB of garbage, 8–9 % of the n8n
 * process's CPU in garbage collection. So a file n8n knows to be small gets a chunk its size (at least 64 KiB).
 */
export function readChunkBytes(fileBytes: unknown): number {
	if (typeof fileBytes !== 'number' || !Number.isSafeInteger(fileBytes) || fileBytes < 0)
		return TRANSFER_BUFFER_BYTES;
	return Math.min(TRANSFER_BUFFER_BYTES, Math.max(SMALLEST_CHUNK_BYTES, fileBytes));
}
