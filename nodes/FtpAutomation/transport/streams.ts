import { Transform, Writable, type TransformCallback } from 'node:stream';

import { DEFAULTS } from './defaults';

/** How much a transfer may buffer between the network and n8n's store (see DEFAULTS.transferBufferBytes). */
export const TRANSFER_BUFFER_BYTES = DEFAULTS.transferBufferBytes;

/**
 * The destination of one download attempt: passes bytes on to `target` (the stream n8n stores) with back-pressure,
 * and never ends it, so that a resumed attempt can continue the same stream.
 */
export class ForwardingSink extends Writable {
	bytes = 0;

	constructor(
		private readonly target: Writable,
		private readonly onBytes: (count: number) => void,
	) {
		super({ highWaterMark: TRANSFER_BUFFER_BYTES });
		// A protocol learns of a failed store through its write callbacks; one that still writes after the attempt was
		// given up (SFTP's last flush) would otherwise raise an 'error' nobody listens to, which ends the n8n process.
		this.on('error', () => undefined);
	}

	override _write(
		chunk: Buffer,
		_encoding: BufferEncoding,
		callback: (error?: Error) => void,
	): void {
		if (this.target.destroyed) {
			callback(new Error('the downloaded data could not be stored'));
			return;
		}
		this.bytes += chunk.length;
		this.onBytes(chunk.length);
		if (this.target.write(chunk)) {
			callback();
			return;
		}
		const settle = () => {
			this.target.off('drain', settle);
			this.target.off('close', settle);
			callback(
				this.target.destroyed ? new Error('the downloaded data could not be stored') : undefined,
			);
		};
		this.target.on('drain', settle);
		this.target.on('close', settle);
	}

	override _final(callback: (error?: Error) => void): void {
		callback();
	}
}

/** Counts the bytes that flow through it, so transfers can report their size without buffering. */
export class ByteCounter extends Transform {
	bytes = 0;

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		callback(null, chunk);
	}
}
