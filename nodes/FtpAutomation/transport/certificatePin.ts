import type { Socket } from 'node:net';
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
