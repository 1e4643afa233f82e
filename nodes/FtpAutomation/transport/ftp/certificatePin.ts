import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export const PIN_MISMATCH = 'ERR_FTP_CERTIFICATE_PIN_MISMATCH';

/** The server's certificate is not the pinned one. */
export class PinMismatch extends Error {
	readonly code = PIN_MISMATCH;

	constructor(
		expected: string,
		readonly seen: string | undefined,
	) {
		super(
			`The server's TLS certificate does not match the pinned fingerprint: expected ${expected}, the server presented ${seen ?? 'no certificate'}`,
		);
		this.name = 'PinMismatch';
	}
}

/** An error if the socket's certificate is not the pinned one; it names the fingerprint actually seen. */
export function pinMismatch(socket: TLSSocket, expected: string): PinMismatch | undefined {
	const seen = socket.getPeerCertificate()?.fingerprint256;
	return seen === expected ? undefined : new PinMismatch(expected, seen);
}

/**
 * Fails a data connection at the end of its TLS handshake, before any byte moves, unless it is pinned.
 * A resumed session passes: the server shows no certificate then (vsftpd and ProFTPD require resumption), and
 * only the server of the pinned control connection holds that session's secret.
 */
export function enforcePin(socket: Socket, expected: string): void {
	if (!(socket instanceof TLSSocket)) return;
	socket.once('secureConnect', () => {
		if (socket.isSessionReused()) return;
		const mismatch = pinMismatch(socket, expected);
		if (mismatch) socket.destroy(mismatch);
	});
}
