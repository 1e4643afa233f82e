import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from '../helpers/nodeError';
import { FtpSession, toConnectionSettings } from '../transport';
import * as createFolder from './createFolder.operation';
import * as deleteOperation from './delete.operation';
import * as download from './download.operation';
import * as list from './list.operation';
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

/** Runs the chosen operation for every input item over one connection, which is always closed at the end. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = this.getNodeParameter('operation', 0) as FtpOperation;
	const execute = operations[operation];
	const output: INodeExecutionData[] = [];

	let session: FtpSession;
	try {
		const settings = toConnectionSettings(await this.getCredentials('ftpAutomationApi'));
		session = await FtpSession.open(settings, { onLogLine: (line) => this.logger.debug(line) });
	} catch (error) {
		// Without a connection no item can succeed; with continueOnFail each one says why.
		if (!this.continueOnFail()) throw toNodeError(this.getNode(), error);
		const message = toNodeError(this.getNode(), error).message;
		return [
			items.map((_, itemIndex) => ({ json: { error: message }, pairedItem: { item: itemIndex } })),
		];
	}

	// Cancelling the execution in n8n closes the connection, which ends a running transfer at once.
	const cancelSignal = this.getExecutionCancelSignal();
	const closeOnCancel = () => session.close();
	cancelSignal?.addEventListener('abort', closeOnCancel, { once: true });

	try {
		// The first item's part of the work includes connecting and logging in.
		let partStart = 0;
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			if (cancelSignal?.aborted) break;
			let results: INodeExecutionData[];
			try {
				results = await execute.call(this, session, itemIndex);
			} catch (error) {
				const nodeError = toNodeError(this.getNode(), error, itemIndex);
				if (!this.continueOnFail()) throw nodeError;
				results = [{ json: { error: nodeError.message }, pairedItem: { item: itemIndex } }];
			}
			if (this.getNodeParameter('options.includeConnectionLog', itemIndex, false) === true) {
				const connectionLog = session.log.since(partStart);
				for (const result of results) result.json.connectionLog = connectionLog;
			}
			partStart = session.log.mark();
			output.push(...results);
		}
	} finally {
		cancelSignal?.removeEventListener('abort', closeOnCancel);
		session.close();
	}
	return [output];
}
