import type { Client, FTPContext } from 'basic-ftp';
import { TLSSocket } from 'node:tls';

export const PIN_MISMATCH = 'ERR_FTP_CERTIFICATE_PIN_MISMATCH';

/** An error if the socket's certificate is not the pinned one; it names the fingerprint actually seen. */
export function pinMismatch(socket: TLSSocket, expected: string): Error | undefined {
	const seen = socket.getPeerCertificate()?.fingerprint256;
	if (seen === expected) return undefined;
	return Object.assign(
		new Error(
			`The server's TLS certificate does not match the pinned fingerprint: expected ${expected}, the server presented ${seen ?? 'no certificate'}`,
		),
		{ code: PIN_MISMATCH, seen },
	);
}

/**
 * Checks the pin on every data connection too, at the end of its TLS handshake and before any byte is
 * read or written. basic-ftp swaps `prepareTransfer` for the strategy that worked after the first transfer,
 * so the check wraps whatever strategy is current instead of a fixed one.
 */
export function pinDataConnections(client: Client, expected: string): void {
	let strategy = client.prepareTransfer;
	const prepareAndPin = async (ftp: FTPContext) => {
		const response = await strategy(ftp);
		const socket = ftp.dataSocket;
		if (socket instanceof TLSSocket) {
			socket.once('secureConnect', () => {
				const mismatch = pinMismatch(socket, expected);
				if (mismatch) socket.destroy(mismatch);
			});
		}
		return response;
	};
	Object.defineProperty(client, 'prepareTransfer', {
		configurable: true,
		get: () => prepareAndPin,
		set: (next: typeof strategy) => {
			strategy = next;
		},
	});
}
