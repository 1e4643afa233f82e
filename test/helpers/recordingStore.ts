import type { Readable } from 'node:stream';

/**
 * n8n's store as a download sees it: `consume` reads the stream to the end and records that the bytes were handed
 * on; `onAllBytes` runs once every byte of `size` has arrived (before the download's own checks end), e.g. to change
 * the file on the server between the transfer and the server's hash.
 */
export function recordingStore(size: number, onAllBytes: () => void = () => undefined) {
	const state = { handedOn: false };
	const consume = async (stream: Readable): Promise<Buffer> => {
		const chunks: Buffer[] = [];
		let received = 0;
		for await (const chunk of stream as AsyncIterable<Buffer>) {
			chunks.push(chunk);
			received += chunk.length;
			if (received === size) onAllBytes();
		}
		state.handedOn = true;
		return Buffer.concat(chunks);
	};
	return { consume, state };
}
