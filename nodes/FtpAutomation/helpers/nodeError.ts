import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import { MAX_ERROR_MESSAGE_CHARS, RemoteFailure, shortened, type FixInNode } from '../transport';

/** The fix for failures the user cures by changing a field of the node, in the node's words. */
const FIX_IN_NODE: Record<FixInNode, string> = {
	downloadOfFolder: 'Use the List operation to find the files in it, then download each file.',
	deleteFileOfFolder:
		'To delete a folder, turn on the Folder option (and Recursive to delete what it contains).',
	uploadOntoFolder: 'Give the path of a file to write, including its name.',
	folderNotEmpty: 'Turn on the Recursive option to delete the folder with everything in it.',
	targetExists: 'Set If File Exists to Overwrite, Skip or Append, or upload under another name.',
	tooManyEntries:
		'Raise Max Entries per Folder in the options if the folder really is that large (every entry takes memory in n8n), or list a smaller folder. A server that sends an endless listing is broken.',
	tooManyFolders:
		'Raise Max Folders in the options if the tree really is that large, or walk a narrower folder (or turn off Recursive). A server whose folders never end (each holding new ones) is broken.',
	walkTimeLimit:
		'Raise Time Limit in the options if the tree is large or the server slow, or walk a narrower folder (or turn off Recursive).',
};

/** The description n8n shows under an error: what to do, then the last exchange with the server. */
export function failureDescription(failure: RemoteFailure): string {
	const hint = failure.fixInNode === undefined ? failure.hint : FIX_IN_NODE[failure.fixInNode];
	const log =
		failure.connectionLog.length > 0
			? `\n\nLast lines of the connection log:\n${failure.connectionLog.join('\n')}`
			: '';
	return `${hint}${log}`;
}

/** Wraps anything thrown while processing an item into the n8n error that names the item and the cause. */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof RemoteFailure) {
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
