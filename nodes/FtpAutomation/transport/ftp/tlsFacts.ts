import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** `CN=ftp.example.com, O=Example` from a certificate's subject or issuer object. */
export function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
	if (!name) return '(none)';
	const parts = Object.entries(name).map(
		([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`,
	);
	return parts.length > 0 ? parts.join(', ') : '(empty)';
}

/** The facts about a server certificate that explain most TLS failures, on one line. */
export function describeCertificate(certificate: PeerCertificate | undefined): string {
	if (!certificate || Object.keys(certificate).length === 0) return 'no certificate presented';
	const names = certificate.subjectaltname ? `; names ${certificate.subjectaltname}` : '';
	return (
		`subject ${distinguishedName(certificate.subject)}; issuer ${distinguishedName(certificate.issuer)}` +
		`${names}; valid ${certificate.valid_from} to ${certificate.valid_to}; SHA-256 ${certificate.fingerprint256}`
	);
}

/** Version, cipher and the verdict on the certificate of an established TLS connection. */
export function describeTls(socket: TLSSocket): string {
	const cipher = socket.getCipher();
	const verdict = socket.authorized
		? 'certificate verified'
		: `certificate not verified (${String(socket.authorizationError ?? 'unknown reason')})`;
	return `${socket.getProtocol() ?? 'unknown version'}, cipher ${cipher?.name ?? 'unknown'}, ${verdict}`;
}

/** `127.0.0.1:21 from 127.0.0.1:53022`, or IPv6 in brackets. */
export function describeEndpoints(socket: Socket): string {
	const address = (host: string | undefined, port: number | undefined) =>
		host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
	return `${address(socket.remoteAddress, socket.remotePort)} from ${address(socket.localAddress, socket.localPort)}`;
}
