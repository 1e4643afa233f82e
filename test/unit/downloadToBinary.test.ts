/**
 * The download into n8n's binary store against the limit of its `database` mode: n8n reads a file whole into memory
 * before it checks N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE, so the node must stop the stream at the limit itself.
 * The store below does what n8n's DatabaseManager does (collect everything, then refuse what is too large).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';

import {
	binaryStoreOf,
	downloadToBinary,
} from '../../nodes/FtpAutomation/helpers/downloadToBinary';
import { RemoteFailure } from '../../nodes/FtpAutomation/transport';
import type { RemoteSession } from '../../nodes/FtpAutomation/transport/session';
import { CHUNK_BYTES, MemoryProtocol, memorySession, sha256 } from '../helpers/memoryConnection';

const LIMIT_BYTES = 4 * CHUNK_BYTES;

/** n8n's database-mode store as far as a download sees it: reads the whole stream, then checks its size. */
function databaseModeStore(maxBytes: number) {
	const held = { bytes: 0, peakBytes: 0, stored: [] as Buffer[] };
	const prepareBinaryData = async (stream: Readable, fileName?: string, mimeType?: string) => {
		const chunks: Buffer[] = [];
		held.bytes = 0;
		for await (const chunk of stream as AsyncIterable<Buffer>) {
			chunks.push(chunk);
			held.bytes += chunk.length;
			held.peakBytes = Math.max(held.peakBytes, held.bytes);
		}
		const data = Buffer.concat(chunks);
		if (data.length > maxBytes) throw new Error(`Failed to write binary file "${fileName}"`);
		held.stored.push(data);
		return { data: '', mimeType: mimeType ?? '', fileName, fileSize: String(data.length) };
	};
	const context = { helpers: { prepareBinaryData } } as unknown as IExecuteFunctions;
	return { context, held };
}

let server: MemoryProtocol;
let session: RemoteSession;

beforeEach(async () => {
	server = new MemoryProtocol();
	session = await memorySession(server);
});

describe('downloadToBinary with a size-limited store (binary data mode "database")', () => {
	const store = {
		maxFileBytes: LIMIT_BYTES,
		limitVariable: 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE',
	};

	it('stops a larger file at the limit, names the limit and the variable, and leaves the file', async () => {
		const content = randomBytes(LIMIT_BYTES * 3 + 17);
		server.fs.put('/in/big.bin', content);
		const { context, held } = databaseModeStore(LIMIT_BYTES);

		const failure = await downloadToBinary(context, session, '/in/big.bin', {
			store,
			afterDownload: 'delete',
		}).then(
			() => undefined,
			(error: unknown) => error,
		);

		expect(failure).toBeInstanceOf(RemoteFailure);
		const { message, hint } = failure as RemoteFailure;
		expect(message).toContain('"/in/big.bin" is larger than 0.25 MiB');
		expect(message).toContain('binary data mode "database"');
		expect(message).toContain('left where it is on the server');
		expect(hint).toContain('Raise N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE');
		expect(hint).toContain('N8N_DEFAULT_BINARY_DATA_MODE=filesystem');
		// Never more than the limit reached the store, and nothing was stored.
		expect(held.peakBytes).toBeLessThanOrEqual(LIMIT_BYTES);
		expect(held.stored).toHaveLength(0);
		// After Download did not run: the file is still there, unchanged.
		expect(sha256(server.fs.files.get('/in/big.bin')!)).toBe(sha256(content));
		expect(server.callsOf('removeFile')).toHaveLength(0);
	});

	it('stores a file of exactly the limit, and deletes it afterwards as asked', async () => {
		const content = randomBytes(LIMIT_BYTES);
		server.fs.put('/in/fits.bin', content);
		const { context, held } = databaseModeStore(LIMIT_BYTES);

		const { json } = await downloadToBinary(context, session, '/in/fits.bin', {
			store,
			afterDownload: 'delete',
		});

		expect(json).toEqual({ path: '/in/fits.bin', size: LIMIT_BYTES, deleted: true });
		expect(held.stored.map(sha256)).toEqual([sha256(content)]);
		expect(server.fs.files.has('/in/fits.bin')).toBe(false);
	});

	it('passes a store without a limit the whole stream', async () => {
		const content = randomBytes(LIMIT_BYTES * 2);
		server.fs.put('/in/any.bin', content);
		const { context, held } = databaseModeStore(Number.MAX_SAFE_INTEGER);

		const { binary } = await downloadToBinary(context, session, '/in/any.bin', { store: {} });

		expect((binary as IBinaryData).fileSize).toBe(String(content.length));
		expect(held.stored.map(sha256)).toEqual([sha256(content)]);
	});
});

describe('binaryStoreOf: the store n8n sets up from its environment', () => {
	const MIB = 1024 * 1024;

	it.each([
		['queue mode, mode unset (n8n 2 stores in the database)', { EXECUTIONS_MODE: 'queue' }, 512],
		['mode database', { N8N_DEFAULT_BINARY_DATA_MODE: 'database' }, 512],
		[
			'mode database with a limit',
			{ N8N_DEFAULT_BINARY_DATA_MODE: 'database', N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE: '4' },
			4,
		],
		[
			'queue mode with a limit',
			{ EXECUTIONS_MODE: 'queue', N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE: '0.5' },
			0.5,
		],
		[
			'a limit above what n8n accepts',
			{ N8N_DEFAULT_BINARY_DATA_MODE: 'database', N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE: '4096' },
			1024,
		],
		[
			'a limit that is not a number (n8n refuses to start; its default here)',
			{ N8N_DEFAULT_BINARY_DATA_MODE: 'database', N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE: 'lots' },
			512,
		],
	])('%s', (_case, env, mebibytes) => {
		expect(binaryStoreOf(env)).toEqual({
			maxFileBytes: Math.floor(mebibytes * MIB),
			limitVariable: 'N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE',
		});
	});

	it.each([
		['regular mode (filesystem by default)', {}],
		[
			'queue mode with mode filesystem',
			{ EXECUTIONS_MODE: 'queue', N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' },
		],
		['mode s3', { N8N_DEFAULT_BINARY_DATA_MODE: 's3' }],
		['n8n 1.x memory mode', { N8N_DEFAULT_BINARY_DATA_MODE: 'default' }],
	])('%s: no limit', (_case, env) => {
		expect(binaryStoreOf(env)).toEqual({});
	});
});
