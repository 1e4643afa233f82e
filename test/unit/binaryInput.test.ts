import type { IExecuteFunctions } from 'n8n-workflow';
import { Readable } from 'node:stream';

import { binaryInputSource, readChunkBytes } from '../../nodes/FtpAutomation/helpers/binaryInput';
import { TRANSFER_BUFFER_BYTES } from '../../nodes/FtpAutomation/transport';

const KiB = 1024;

describe("how much an upload reads from n8n's binary store at a time", () => {
	it('reads a small file in one chunk of its size (at least 64 KiB), a large one in 1 MiB chunks', () => {
		expect(readChunkBytes(16 * KiB)).toBe(64 * KiB);
		expect(readChunkBytes(0)).toBe(64 * KiB);
		expect(readChunkBytes(300 * KiB)).toBe(300 * KiB);
		expect(readChunkBytes(5 * 1024 * KiB)).toBe(TRANSFER_BUFFER_BYTES);
	});

	it('falls back to 1 MiB chunks when n8n did not record the size (older n8n) or recorded nonsense', () => {
		for (const bytes of [undefined, '16384', -1, 1.5, Number.NaN, 2 ** 60])
			expect(readChunkBytes(bytes)).toBe(TRANSFER_BUFFER_BYTES);
	});

	it("asks n8n for the stream with the chunk size of the item's file", async () => {
		const asked: Array<[string, number | undefined]> = [];
		const context = {
			getInputData: () => [
				{
					json: {},
					binary: { data: { id: 'filesystem-v2:abc', bytes: 16 * KiB, mimeType: 'x', data: '' } },
				},
			],
			helpers: {
				getBinaryStream: async (id: string, chunkSize?: number) => {
					asked.push([id, chunkSize]);
					return Readable.from([Buffer.alloc(16 * KiB)]);
				},
			},
		} as unknown as IExecuteFunctions;
		const open = binaryInputSource.call(context, 0, 'data');
		await open();
		expect(asked).toEqual([['filesystem-v2:abc', 64 * KiB]]);
	});
});
