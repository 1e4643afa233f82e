import type { FTPContext } from 'basic-ftp';

/** basic-ftp's own bound on a reply it waits for; a longer one must reach it, so that it closes with its error. */
const MAX_PENDING_REPLY_CHARS = 2 ** 16;

/**
 * Hands basic-ftp what the server sends on the control connection in whole lines only. basic-ftp takes a chunk that
 * ends in the middle of a line (`530 … password S3cr3`) for a complete reply when it starts with a code, and drops
 * the rest of the line when it arrives: a reply split across TCP segments was half-read, and a secret in it was
 * redacted in neither half.
 */
export function deliverWholeLines(ftp: FTPContext): void {
	const context = ftp as unknown as { _onControlSocketData(chunk: string): void; socket: unknown };
	const deliver = context._onControlSocketData.bind(ftp);
	let pending = '';
	let pendingFrom: unknown;
	context._onControlSocketData = (chunk: string) => {
		// A new control connection (a reconnect) starts with nothing pending.
		if (pendingFrom !== context.socket) pending = '';
		pendingFrom = context.socket;
		pending += chunk;
		const lastBreak = pending.lastIndexOf('\n');
		if (lastBreak < 0 && pending.length <= MAX_PENDING_REPLY_CHARS) return;
		const complete = lastBreak < 0 ? pending : pending.slice(0, lastBreak + 1);
		pending = lastBreak < 0 ? '' : pending.slice(lastBreak + 1);
		deliver(complete);
	};
}
