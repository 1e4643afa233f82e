/**
 * Checks that tools/n8nHarness.ts really runs nodes through n8n-core's ExecuteContext with binary data
 * streamed through the filesystem BinaryDataService, using a small probe node defined here.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';

import { NodeOperationError } from 'n8n-workflow';
import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	HARNESS_NODE_NAME,
	binaryFilePath,
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	readBinary,
	runNode,
} from '../tools/n8nHarness';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

function sha256(data: Buffer): string {
	return createHash('sha256').update(data).digest('hex');
}

async function sha256OfStream(stream: Readable): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of stream) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/**
 * Sizes of the binary files under `root` that are still being written, by path. n8n's FileSystemManager
 * writes `<file>.metadata` only after `<file>` is complete.
 */
function filesBeingWritten(root: string): Map<string, number> {
	const sizes = new Map<string, number>();
	for (const entry of fs.readdirSync(root, { recursive: true, encoding: 'utf8' })) {
		const fullPath = path.join(root, entry);
		if (entry.endsWith('.metadata') || fs.existsSync(`${fullPath}.metadata`)) continue;
		const stat = fs.statSync(fullPath, { throwIfNoEntry: false });
		if (stat?.isFile()) sizes.set(fullPath, stat.size);
	}
	return sizes;
}

/**
 * Set by the probe node's generated stream when it is asked for its last chunk: the size of the binary file
 * being written at that moment. More than 0 means bytes reached the disk before the stream ended, i.e.
 * prepareBinaryData streamed rather than buffering everything first.
 */
let bytesOnDiskBeforeStreamEnded = -1;
let storageRoot = '';

/** A lazily produced, deterministic stream: each chunk is only made when the consumer asks for it. */
function generatedStream(size: number, hash: ReturnType<typeof createHash>): Readable {
	let produced = 0;
	return new Readable({
		read() {
			if (produced >= size) {
				this.push(null);
				return;
			}
			const length = Math.min(CHUNK, size - produced);
			if (produced + length >= size) {
				bytesOnDiskBeforeStreamEnded = Math.max(0, ...filesBeingWritten(storageRoot).values());
			}
			const chunk = Buffer.alloc(length, produced / CHUNK);
			hash.update(chunk);
			produced += length;
			this.push(chunk);
		},
	});
}

const probeError = new NodeOperationError(
	{ id: 'x', name: HARNESS_NODE_NAME, type: 'x', typeVersion: 1, position: [0, 0], parameters: {} },
	'probe failure',
);

class HarnessProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness Probe',
		name: 'harnessProbe',
		group: ['transform'],
		version: [1, 2],
		defaultVersion: 2,
		description: 'Exercises the n8n test harness',
		defaults: { name: 'Harness Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'probeApi', required: true }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Round Trip', value: 'roundTrip' },
					{ name: 'Inspect', value: 'inspect' },
					{ name: 'Fail', value: 'fail' },
				],
				default: 'inspect',
			},
			{
				displayName: 'Input Binary Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
			},
			{ displayName: 'Generated Size', name: 'size', type: 'number', default: 5 * MiB },
			{ displayName: 'Label', name: 'label', type: 'string', default: 'default label' },
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				default: {},
				options: [{ displayName: 'Retries', name: 'retries', type: 'number', default: 3 }],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const returnData: INodeExecutionData[] = [];
		for (let i = 0; i < this.getInputData().length; i++) {
			if (operation === 'fail') throw probeError;

			if (operation === 'inspect') {
				returnData.push({
					json: {
						credentials: await this.getCredentials('probeApi', i),
						label: this.getNodeParameter('label', i) as string,
						size: this.getNodeParameter('size', i) as number,
						options: this.getNodeParameter('options', i) as object,
						continueOnFail: this.continueOnFail(),
						signalIsAbortSignal: this.getExecutionCancelSignal() instanceof AbortSignal,
						nodeName: this.getNode().name,
						typeVersion: this.getNode().typeVersion,
						loggerHasDebug: typeof this.logger.debug === 'function',
					},
					pairedItem: { item: i },
				});
				continue;
			}

			// roundTrip: copy the input binary stream to a new binary, and store a generated stream.
			const property = this.getNodeParameter('binaryPropertyName', i) as string;
			const input = this.helpers.assertBinaryData(i, property);
			if (!input.id) {
				throw new NodeOperationError(this.getNode(), 'input binary has no id', { itemIndex: i });
			}
			const metadata = await this.helpers.getBinaryMetadata(input.id);
			const copy = await this.helpers.prepareBinaryData(
				await this.helpers.getBinaryStream(input.id),
				'copy.bin',
			);
			const generatedHash = createHash('sha256');
			const size = this.getNodeParameter('size', i) as number;
			const generated = await this.helpers.prepareBinaryData(
				generatedStream(size, generatedHash),
				'x.bin',
			);
			returnData.push({
				json: {
					inputMetadataSize: metadata.fileSize,
					generatedSha256: generatedHash.digest('hex'),
				},
				binary: { copy, generated },
				pairedItem: { item: i },
			});
		}
		return [returnData];
	}
}

let root: string;

beforeAll(async () => {
	root = await initBinaryData();
	storageRoot = root;
});

afterAll(async () => {
	await cleanupBinaryData();
	expect(fs.existsSync(root)).toBe(false);
});

test('initBinaryData is idempotent and uses a temp folder', async () => {
	expect(await initBinaryData()).toBe(root);
	expect(fs.statSync(root).isDirectory()).toBe(true);
});

test('binary data streams in and out by reference (5 MiB round trip)', async () => {
	const content = randomBytes(5 * MiB);
	const chunks: Buffer[] = [];
	for (let offset = 0; offset < content.length; offset += CHUNK) {
		chunks.push(content.subarray(offset, offset + CHUNK));
	}
	const item = await binaryItem(Readable.from(chunks), 'input.bin');

	const input = item.binary!.data;
	expect(input.id).toBeTruthy();
	expect(input.bytes).toBe(content.length);
	expect(input.fileName).toBe('input.bin');
	expect(input.data.length).toBeLessThan(100); // only a marker of the storage mode, not the bytes
	expect(await sha256OfStream(fs.createReadStream(binaryFilePath(input)))).toBe(sha256(content));

	bytesOnDiskBeforeStreamEnded = -1;
	const output = await runNode({
		nodeType: new HarnessProbe(),
		parameters: { operation: 'roundTrip' },
		credentials: { probeApi: { token: 't' } },
		items: [item],
	});

	expect(output).toHaveLength(1);
	const { copy, generated } = output[0].binary!;
	expect(output[0].json.inputMetadataSize).toBe(content.length);

	// The copy went getBinaryStream -> prepareBinaryData and is itself stored by reference.
	expect(copy.id).toBeTruthy();
	expect(copy.id).not.toBe(input.id);
	expect(copy.bytes).toBe(content.length);
	expect(sha256(await readBinary(copy))).toBe(sha256(content));

	expect(generated.id).toBeTruthy();
	expect(generated.fileName).toBe('x.bin');
	expect(generated.bytes).toBe(5 * MiB);
	expect(await sha256OfStream(fs.createReadStream(binaryFilePath(generated)))).toBe(
		output[0].json.generatedSha256,
	);
	expect(binaryFilePath(generated).startsWith(root)).toBe(true);
	// Streamed, not buffered: part of the file was on disk before the source stream had ended.
	expect(bytesOnDiskBeforeStreamEnded).toBeGreaterThan(0);
	expect(bytesOnDiskBeforeStreamEnded).toBeLessThan(5 * MiB);
});

test('getCredentials, parameter defaults, continueOnFail, cancel signal and logger come from n8n', async () => {
	const credentials = { host: '127.0.0.1', port: 21, user: 'u', password: 'p' };
	const [defaults] = await runNode({
		nodeType: new HarnessProbe(),
		parameters: {},
		credentials: { probeApi: credentials },
	});
	expect(defaults.json).toEqual({
		credentials,
		label: 'default label',
		size: 5 * MiB,
		options: {},
		continueOnFail: false,
		signalIsAbortSignal: true,
		nodeName: HARNESS_NODE_NAME,
		typeVersion: 2,
		loggerHasDebug: true,
	});

	const [set] = await runNode({
		nodeType: new HarnessProbe(),
		parameters: { label: 'given', size: 7, options: { retries: 1 } },
		credentials: { probeApi: credentials },
		continueOnFail: true,
	});
	expect(set.json).toMatchObject({
		label: 'given',
		size: 7,
		options: { retries: 1 },
		continueOnFail: true,
	});
});

test('expressions are resolved by n8n against the input item', async () => {
	const [out] = await runNode({
		nodeType: new HarnessProbe(),
		parameters: { label: '={{ $json.name + "!" }}', size: '={{ 40 + 2 }}' },
		credentials: { probeApi: {} },
		items: [{ json: { name: 'item' } }],
	});
	expect(out.json).toMatchObject({ label: 'item!', size: 42 });
});

test('getCredentials fails as in n8n when the node has no credentials set', async () => {
	await expect(runNode({ nodeType: new HarnessProbe(), parameters: {} })).rejects.toThrow(
		'Node does not have any credentials set',
	);
});

test('cleanupBinaryData removes the folder and a later initBinaryData starts afresh', async () => {
	const oldRoot = root;
	await cleanupBinaryData();
	expect(fs.existsSync(oldRoot)).toBe(false);

	root = await initBinaryData();
	storageRoot = root;
	expect(root).not.toBe(oldRoot);
	const item = await binaryItem(Buffer.from('hello'), 'hello.txt', 'file');
	const file = item.binary!.file;
	expect(file.mimeType).toBe('text/plain');
	expect(binaryFilePath(file).startsWith(root)).toBe(true);
	expect((await readBinary(file)).toString()).toBe('hello');
});

test('errors thrown by execute propagate unchanged', async () => {
	await expect(
		runNode({
			nodeType: new HarnessProbe(),
			parameters: { operation: 'fail' },
			continueOnFail: true,
		}),
	).rejects.toBe(probeError);
});
