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

/** The heading of the connection log's lines in an error's `messages`. */
export const CONNECTION_LOG_HEADING = 'Last lines of the connection log:';

/**
 * The description n8n shows under an error: what to do, then the library's own words if the message only quotes
 * their gist. n8n's error panel renders it as HTML (line breaks collapse, anything between < and > is dropped as a
 * tag), while n8n execute and the API show it as text: so it is prose, with no line structure to lose and every "<"
 * written as an entity. The connection log goes to `messages` instead (see toNodeError).
 */
export function failureDescription(failure: RemoteFailure): string {
	const hint = failure.fixInNode === undefined ? failure.hint : FIX_IN_NODE[failure.fixInNode];
	const detail = failure.detail === undefined ? '' : `\n\n${failure.detail}`;
	const log =
		failure.connectionLog.length > 0
			? '\n\nThe last lines of the connection log are in the error details.'
			: '';
	return `${hint}${detail}${log}`.replace(/</g, '&lt;');
}

/**
 * The connection log as n8n's error panel shows it line by line: each of an error's `messages` is a block of its own
 * there ("Full message" in the error details), and a list of lines in the JSON of n8n execute and the API.
 */
export function connectionLogMessages(failure: RemoteFailure): string[] {
	return failure.connectionLog.length > 0 ? [CONNECTION_LOG_HEADING, ...failure.connectionLog] : [];
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
		// n8n swaps any message that mentions ENOENT, ECONNREFUSED, ... for a generic sentence (keeping ours among
		// `messages`); ours already names the cause and quotes the server's reply, which a generic sentence would hide.
		nodeError.message = message;
		nodeError.messages = connectionLogMessages(error);
		return nodeError;
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error), {
		itemIndex,
	});
}
