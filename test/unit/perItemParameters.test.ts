/**
 * What the node reads once per execution instead of once per item: parameters whose saved value holds no expression
 * (n8n's getNodeParameter resolves and validates on every call), and the connection log kept as a ring.
 */
import type { IExecuteFunctions, INodeParameters } from 'n8n-workflow';

import { nodeParameter, operationInput } from '../../nodes/FtpAutomation/actions/operationInput';
import { ConnectionLog } from '../../nodes/FtpAutomation/transport/connectionLog';

/** getNodeParameter as n8n answers it: an expression resolves per item (here: the item index appended). */
function contextOf(parameters: INodeParameters, typeVersion = 2) {
	const asked: string[] = [];
	let nodeCopies = 0;
	const resolve = (value: unknown, itemIndex: number): unknown => {
		if (typeof value === 'string' && value.startsWith('=')) return `${value.slice(1)}#${itemIndex}`;
		if (value !== null && typeof value === 'object')
			return Object.fromEntries(
				Object.entries(value).map(([key, inner]) => [key, resolve(inner, itemIndex)]),
			);
		return value;
	};
	const context = {
		getNode: () => {
			nodeCopies++;
			return { typeVersion, parameters: structuredClone(parameters) };
		},
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			asked.push(`${name}@${itemIndex}`);
			let value: unknown = parameters;
			for (const key of name.split('.'))
				value = (value as Record<string, unknown> | undefined)?.[key];
			return value === undefined ? fallback : resolve(value, itemIndex);
		},
	} as unknown as IExecuteFunctions;
	return { context, asked, nodeCopies: () => nodeCopies };
}

describe('nodeParameter', () => {
	it('resolves a value without an expression once for all items', () => {
		const { context, asked } = contextOf({ binaryPropertyName: 'data' });
		for (let item = 0; item < 5; item++)
			expect(nodeParameter(context, 'binaryPropertyName', item)).toBe('data');
		expect(asked).toEqual(['binaryPropertyName@0']);
	});

	it('resolves an expression for every item', () => {
		const { context, asked } = contextOf({ path: '={{ $json.path }}' });
		expect([0, 1, 2].map((item) => nodeParameter(context, 'path', item))).toEqual([
			'{{ $json.path }}#0',
			'{{ $json.path }}#1',
			'{{ $json.path }}#2',
		]);
		expect(asked).toEqual(['path@0', 'path@1', 'path@2']);
	});

	it('resolves a collection for every item when any value in it is an expression', () => {
		const { context, asked } = contextOf({ options: { concurrency: 8, moveToFolder: '=/done' } });
		nodeParameter(context, 'options', 0, {});
		nodeParameter(context, 'options', 1, {});
		expect(asked).toEqual(['options@0', 'options@1']);
	});

	it('looks up dotted names in the saved parameters', () => {
		const { context, asked } = contextOf({
			options: { includeConnectionLog: true, other: '={{ 1 }}' },
		});
		nodeParameter(context, 'options.includeConnectionLog', 0, false);
		nodeParameter(context, 'options.includeConnectionLog', 1, false);
		expect(asked).toEqual(['options.includeConnectionLog@0']);
	});

	it('keeps apart the same name asked with another fallback, and a hidden field', () => {
		const { context, asked } = contextOf({});
		expect(nodeParameter(context, 'moveToFolder', 0, null)).toBeNull();
		expect(nodeParameter(context, 'moveToFolder', 1, '')).toBe('');
		expect(nodeParameter(context, 'moveToFolder', 2, null)).toBeNull();
		expect(asked).toEqual(['moveToFolder@0', 'moveToFolder@1']);
	});

	it('is per execution: another context resolves again', () => {
		const first = contextOf({ binaryPropertyName: 'data' });
		const second = contextOf({ binaryPropertyName: 'file' });
		expect(nodeParameter(first.context, 'binaryPropertyName', 0)).toBe('data');
		expect(nodeParameter(second.context, 'binaryPropertyName', 0)).toBe('file');
	});

	it('operationInput reads the settings once and the expression path per item, copying the node once', () => {
		const { context, asked, nodeCopies } = contextOf({
			path: '={{ $json.path }}',
			afterDownload: 'keep',
			retries: 2,
			options: { concurrency: 8 },
		});
		const inputs = [0, 1, 2].map((item) => operationInput(context, item, 'download'));
		expect(inputs.map((input) => input.path)).toEqual([
			'{{ $json.path }}#0',
			'{{ $json.path }}#1',
			'{{ $json.path }}#2',
		]);
		expect(inputs[2].options).toEqual({ concurrency: 8, afterDownload: 'keep', retries: 2 });
		// Each item gets its own options object: a change to one does not reach the next.
		inputs[0].options.retries = 5;
		expect(operationInput(context, 3, 'download').options.retries).toBe(2);
		expect(asked.filter((name) => name.startsWith('path@'))).toHaveLength(4);
		expect(asked.filter((name) => name.startsWith('options@'))).toEqual(['options@0']);
		expect(nodeCopies()).toBe(1);
	});
});

describe('the connection log as a ring', () => {
	it('keeps the last 2000 lines in order once it wrapped around', () => {
		const log = new ConnectionLog();
		for (let line = 0; line < 4500; line++) log.add(`line ${line}`);
		const tail = log.tail(3).map((line) => line.replace(/^\S+ /, ''));
		expect(tail).toEqual(['line 4497', 'line 4498', 'line 4499']);
		const all = log.since(0);
		expect(all[0]).toBe('(2500 earlier lines of this part were dropped; the log keeps 2000)');
		expect(all).toHaveLength(2001);
		expect(all[1]).toMatch(/ line 2500$/);
		expect(all[2000]).toMatch(/ line 4499$/);
	});

	it('gives the whole log when asked for more lines than it holds', () => {
		const log = new ConnectionLog();
		log.add('one');
		log.add('two');
		expect(log.tail(20).map((line) => line.replace(/^\S+ /, ''))).toEqual(['one', 'two']);
	});

	it('redacts a secret and a PASS command in any case, on single and multi-line messages', () => {
		const log = new ConnectionLog(['hunter2-pw']);
		expect(log.add('> pass hunter2-pw')).toEqual(['> pass ***']);
		expect(log.add('< 530 hunter2-pw refused\n< 530 again hunter2-pw')).toEqual([
			'< 530 *** refused',
			'< 530 again ***',
		]);
		expect(log.add('   ')).toEqual([]);
		expect(log.since(0).join('\n')).not.toContain('hunter2-pw');
	});
});
