import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

import { fetchPresentedCertificate } from './certificateProbe';
import { isCertificateRejection } from './ftpFailures';
import type { ConnectionSettings } from './settings';
import { describeCertificate, describeEndpoints } from './tlsFacts';

/** Logs where a data connection goes and, once its TLS handshake is done, its version and whether it resumed. */
export function describeDataConnection(
	socket: Socket,
	settings: ConnectionSettings,
	note: (line: string) => void,
): void {
	if (!socket.remoteAddress) return; // active mode's placeholder, replaced when the server connects
	const mode = settings.dataConnection === 'active' ? 'active' : 'passive';
	note(`Data connection (${mode}): ${describeEndpoints(socket)}`);
	if (socket instanceof TLSSocket) {
		socket.once('secureConnect', () =>
			note(
				`Data connection TLS: ${socket.getProtocol() ?? 'unknown version'}, session ${socket.isSessionReused() ? 'resumed' : 'not resumed (new handshake)'}`,
			),
		);
	}
}

/**
 * Runs a TLS handshake; if Node rejects the server's certificate, logs what the certificate says next to what was
 * expected, so the error's log tail shows both, then fails as before.
 */
export async function withRejectedCertificateLogged<T>(
	settings: ConnectionSettings,
	note: (line: string) => void,
	handshake: () => Promise<T>,
): Promise<T> {
	return await handshake().catch(async (error: unknown) => {
		if (isCertificateRejection(error)) {
			const { host, tls } = settings;
			note(
				`Expected a certificate for ${tls?.servername ?? host}, trusted by the public CAs${tls?.ca ? ' or CA Certificate' : ''} and valid now`,
			);
			const presented = await fetchPresentedCertificate(settings);
			note(
				`The server presented: ${presented ? describeCertificate(presented) : '(could not be fetched)'}`,
			);
		}
		return await Promise.reject(error as Error);
	});
}
