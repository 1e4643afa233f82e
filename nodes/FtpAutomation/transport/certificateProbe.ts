import { Client } from 'basic-ftp';
import type { PeerCertificate } from 'node:tls';

import type { ConnectionSettings } from './settings';

/** Node's codes for a certificate it would not accept: untrusted, expired or not yet valid, or for another name. */
const CERTIFICATE_REJECTED =
	/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)$/;

export function isCertificateRejection(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' && CERTIFICATE_REJECTED.test(code);
}

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
			await client.useTLS(tls);
		}
		const socket = client.ftp.socket;
		return 'getPeerCertificate' in socket ? socket.getPeerCertificate() : undefined;
	} catch {
		return undefined;
	} finally {
		client.close();
	}
}
