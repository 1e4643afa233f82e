import { Client } from 'basic-ftp';
import type { PeerCertificate } from 'node:tls';

import { useTlsWithin } from './deadline';
import type { ConnectionSettings } from './settings';

/**
 * The certificate the server presents, fetched over a second connection that accepts any certificate and is
 * closed right after the TLS handshake: no login, no command. Only used to explain a rejected certificate,
 * since Node discards the certificate together with the connection it refuses. Undefined if that fails too.
 */
export async function fetchPresentedCertificate(
	settings: ConnectionSettings,
): Promise<PeerCertificate | undefined> {
	if (!settings.tls) return undefined;
	const client = new Client(settings.timeoutMs);
	const tls = {
		...settings.tls,
		host: settings.host,
		rejectUnauthorized: false,
		checkServerIdentity: () => undefined,
	};
	try {
		if (settings.security === 'implicit') {
			await client.connectImplicitTLS(settings.host, settings.port, tls);
		} else {
			await client.connect(settings.host, settings.port);
			await useTlsWithin(client, tls, settings.timeoutMs);
		}
		const socket = client.ftp.socket;
		return 'getPeerCertificate' in socket ? socket.getPeerCertificate() : undefined;
	} catch {
		return undefined;
	} finally {
		client.close();
	}
}
