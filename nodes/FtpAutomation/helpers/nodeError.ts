import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import { FtpFailure, MAX_ERROR_MESSAGE_CHARS, shortened } from '../transport';

/** The description n8n shows under an error: what to do, then the last exchange with the server. */
export function failureDescription(failure: FtpFailure): string {
	const log =
		failure.connectionLog.length > 0
			? `\n\nLast lines of the connection log:\n${failure.connectionLog.join('\n')}`
			: '';
	return `${failure.hint}${log}`;
}

/** Wraps anything thrown while processing an item into the n8n error that names the item and the cause. */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof FtpFailure) {
		// Names from a server's listing can end up in a message: the last bound on what a server can make n8n store.
		const message = shortened(error.message, MAX_ERROR_MESSAGE_CHARS);
		const nodeError = new NodeOperationError(node, message, {
			itemIndex,
			description: failureDescription(error),
		});
		// n8n swaps any message that mentions ENOENT, ECONNREFUSED, ... for a generic sentence; ours already
		// names the cause and quotes the server's reply, which a generic sentence would hide.
		nodeError.message = message;
		nodeError.messages = [];
		return nodeError;
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), {
		itemIndex,
	});
}
