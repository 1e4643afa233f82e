import type { Client, FTPResponse } from 'basic-ftp';
// Not re-exported by basic-ftp's index, but public in its type declarations.
import { describeTLS } from 'basic-ftp/dist/netUtils';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/**
 * A step given up after the Connection Timeout. The text names a timeout, so that it is explained and retried as
 * basic-ftp's own timeouts are; `code` as Node's socket timeouts.
 */
export class DeadlineExceeded extends Error {
	readonly code = 'ETIMEDOUT';

	constructor(
		what: string,
		readonly timeoutMs: number,
	) {
		super(`Timeout: ${what} did not finish within ${timeoutMs} ms`);
		this.name = 'DeadlineExceeded';
	}
}

/**
 * Settles as `work` does, or rejects with DeadlineExceeded once `timeoutMs` have passed and then calls `giveUp`,
 * which must release whatever the work holds (close the client, so that its sockets are destroyed). The abandoned
 * work's own failure, which usually follows, is ignored.
 */
export async function withDeadline<T>(
	timeoutMs: number,
	what: string,
	work: Promise<T>,
	giveUp: () => void,
): Promise<T> {
	work.catch(() => undefined);
	if (!(timeoutMs > 0)) return await work;
	let timer: NodeJS.Timeout | undefined;
	const expired = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => {
			// Rejected first, so that the failure reported is the timeout, not what closing makes of the work.
			reject(new DeadlineExceeded(what, timeoutMs));
			giveUp();
		}, timeoutMs);
	});
	try {
		return await Promise.race([work, expired]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Client.useTLS with the TLS handshake bounded by `timeoutMs`. basic-ftp times the control connection out only
 * while a command waits for its reply: AUTH TLS is covered, but once its 234 has arrived the handshake runs with no
 * timeout at all, and a server or middlebox that then says nothing would leave the client waiting forever. On
 * expiry the half-done TLS connection is destroyed and the client closed. The upgrade is basic-ftp's upgradeSocket,
 * done here only to hold the TLS socket: closing the client alone leaves it open.
 */
export async function useTlsWithin(
	client: Client,
	options: ConnectionOptions,
	timeoutMs: number,
): Promise<FTPResponse> {
	const reply = await client.send('AUTH TLS');
	let handshake: TLSSocket | undefined;
	const upgraded = new Promise<TLSSocket>((resolve, reject) => {
		const socket = connect({ ...options, socket: client.ftp.socket }, () => {
			if (options.rejectUnauthorized !== false && !socket.authorized) {
				reject(socket.authorizationError);
				return;
			}
			// From now on the FTP context handles the socket's errors.
			socket.removeAllListeners('error');
			resolve(socket);
		});
		socket.once('error', reject);
		handshake = socket;
	});
	client.ftp.socket = await withDeadline(timeoutMs, 'the TLS handshake', upgraded, () => {
		handshake?.on('error', () => undefined);
		handshake?.destroy();
		client.close();
	});
	// Kept for the data connections, which use the same options (and resume this session).
	client.ftp.tlsOptions = options;
	client.ftp.log(`Control socket is using: ${describeTLS(client.ftp.socket)}`);
	return reply;
}
