import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import pLimit from 'p-limit';

import { connectionSettingsOf } from '../helpers/connectionSettings';
import { toNodeError } from '../helpers/nodeError';
import { DEFAULTS, SessionPool, type UseSession } from '../transport';
import * as createFolder from './createFolder.operation';
import * as deleteOperation from './delete.operation';
import * as download from './download.operation';
import * as list from './list.operation';
import { nodeParameter } from './operationInput';
import * as rename from './rename.operation';
import type { FtpOperation, OperationExecute } from './types';
import * as upload from './upload.operation';

const operations: Record<FtpOperation, OperationExecute> = {
	list: list.execute,
	download: download.execute,
	upload: upload.execute,
	delete: deleteOperation.execute,
	rename: rename.execute,
	createFolder: createFolder.execute,
};

/** Operations whose items may run on several connections at once (see the Concurrency option). */
const CONCURRENT_OPERATIONS = new Set<FtpOperation>(['list', 'download', 'upload', 'delete']);

function concurrencyOf(context: IExecuteFunctions, operation: FtpOperation): number {
	if (!CONCURRENT_OPERATIONS.has(operation)) return 1;
	const wanted = Number(context.getNodeParameter('options.concurrency', 0, DEFAULTS.concurrency));
	if (!Number.isFinite(wanted)) return DEFAULTS.concurrency;
	return Math.min(DEFAULTS.maxConcurrency, Math.max(1, Math.floor(wanted)));
}

/**
 * Runs the chosen operation for every input item on a pool of at most Concurrency connections (one by default),
 * which is always closed at the end. Items run in input order, up to Concurrency at once; the output keeps the
 * input order whatever order they finish in.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = this.getNodeParameter('operation', 0) as FtpOperation;
	const execute = operations[operation];
	const concurrency = concurrencyOf(this, operation);

	let pool: SessionPool;
	try {
		const settings = await connectionSettingsOf(this);
		pool = await SessionPool.open(settings, concurrency, {
			onLogLine: (line) => this.logger.debug(line),
		});
	} catch (error) {
		// Without a connection no item can succeed; with continueOnFail each one says why.
		if (!this.continueOnFail()) throw toNodeError(this.getNode(), error);
		const message = toNodeError(this.getNode(), error).message;
		return [
			items.map((_, itemIndex) => ({ json: { error: message }, pairedItem: { item: itemIndex } })),
		];
	}

	// Cancelling the execution in n8n closes the connections, which ends running transfers at once.
	const cancelSignal = this.getExecutionCancelSignal();
	const closeOnCancel = () => pool.close();
	cancelSignal?.addEventListener('abort', closeOnCancel, { once: true });

	const results: INodeExecutionData[][] = items.map(() => []);
	const failures: Array<{ itemIndex: number; error: Error }> = [];
	const runItem = async (itemIndex: number): Promise<void> => {
		// Without Continue On Fail, the first failure stops items that have not started yet.
		if (cancelSignal?.aborted || failures.length > 0) return;
		// The item's own part of the log: what its connections did for it (the first use of each also shows
		// connecting and logging in).
		const itemLog: string[] = [];
		const withLog = nodeParameter(this, 'options.includeConnectionLog', itemIndex, false) === true;
		const use: UseSession = async (work) =>
			await pool.use(work, withLog ? (lines) => itemLog.push(...lines) : undefined);
		try {
			results[itemIndex] = await execute.call(this, use, itemIndex);
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, itemIndex);
			if (!this.continueOnFail()) {
				failures.push({ itemIndex, error: nodeError });
				return;
			}
			results[itemIndex] = [
				{ json: { error: nodeError.message }, pairedItem: { item: itemIndex } },
			];
		}
		if (withLog) {
			for (const result of results[itemIndex]) result.json.connectionLog = itemLog;
		}
	};

	const limit = pLimit(concurrency);
	try {
		await Promise.all(
			items.map(async (_, itemIndex) => await limit(async () => await runItem(itemIndex))),
		);
	} finally {
		cancelSignal?.removeEventListener('abort', closeOnCancel);
		pool.close();
	}
	const firstFailure = failures.sort((a, b) => a.itemIndex - b.itemIndex)[0];
	if (firstFailure) throw firstFailure.error;
	return [results.flat()];
}
