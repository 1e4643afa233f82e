import { RemoteFailure, type FailureContext } from '../failures';
import { errorCode, errorText, explainUnreachable, withLibraryTextLast } from '../networkFailures';
import { ActiveModeFailure } from './activeMode';
import { PIN_MISMATCH } from './certificatePin';
import { about, ACTIVE_DATA_HINT, DROPPED_HINT, explainReply } from './ftpReplies';

const UNTRUSTED_CERTIFICATE_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'UNABLE_TO_GET_ISSUER_CERT',
]);

/** Node's codes for a server certificate it refused: untrusted, expired or not yet valid, or for another name. */
const REJECTED_CERTIFICATE_CODES = new Set([
	...UNTRUSTED_CERTIFICATE_CODES,
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateRejection(error: unknown): boolean {
	const code = errorCode(error);
	return typeof code === 'string' && REJECTED_CERTIFICATE_CODES.has(code);
}

function endpoint(context: FailureContext): string {
	return context.host ? `${context.host}:${context.port ?? 21}` : 'the server';
}

const PASSIVE_DATA_HINT =
	'FTP moves files over a second connection. If the server reports an address that cannot be reached (typical behind NAT), keep Passive Address on Control Connection Host; if a firewall blocks the passive ports, ask the administrator to open them, or try Disable EPSV.';

function dataConnectionHint(context: FailureContext): string {
	return context.dataConnection === 'active' ? ACTIVE_DATA_HINT : PASSIVE_DATA_HINT;
}

const TLS_MODE_HINT =
	'Check the Security setting: implicit FTPS speaks TLS from the first byte (usually port 990); explicit FTPS and plain FTP start in plain text (usually port 21).';

/** The Security mode to suggest when the chosen one does not match what the port speaks. */
function otherModeHint(context: FailureContext): string {
	if (context.security === 'implicit') {
		return "Implicit FTPS was chosen, but this port does not speak TLS from the first byte: it is probably a plain FTP or explicit FTPS port (usually 21). Set Security to Explicit FTPS (AUTH TLS), or use the port of the server's implicit FTPS (usually 990).";
	}
	if (context.security === 'explicit' || context.security === 'none') {
		return `If this port is for implicit FTPS (usually 990), the server waits for a TLS handshake and sends nothing to a client that starts in plain text: set Security to Implicit FTPS.`;
	}
	return TLS_MODE_HINT;
}

function connectTimeoutHint(context: FailureContext): string {
	const firewall = 'A firewall may drop the connection, or the host or port is wrong.';
	// Silence after a plain-text start suggests an implicit FTPS port; an implicit or AUTH TLS handshake that hangs does not.
	if (
		context.step === 'connect' &&
		(context.security === 'none' || context.security === 'explicit')
	)
		return `${firewall} ${otherModeHint(context)}`;
	if (context.security === 'implicit' || context.step === 'tls')
		return `${firewall} ${TLS_MODE_HINT}`;
	return firewall;
}

// AUTH TLS was answered, so the port and Security setting are right: what stalls is between the two TLS ends.
const TLS_HANDSHAKE_STALLED_HINT =
	"The server accepted AUTH TLS but did not complete the TLS handshake. A firewall, NAT device or proxy that inspects FTP (an FTP application-level gateway) may block the encrypted connection, or the server's TLS setup is broken (its log says why). Ask the server or network administrator; raise Connection Timeout in the credential only if the server is just slow.";

function stalledHint(context: FailureContext): string {
	return `The server or the network stopped moving data in the middle of the transfer (overloaded server, unstable link, or a firewall that silently drops long transfers). Run the node again; if the server is just slow, raise Connection Timeout in the credential${context.timeoutMs ? ` (now ${Math.round(context.timeoutMs / 1000)} s)` : ''}: it is also how long a transfer may stand still.`;
}

/** What the certificate is for, as Node reports it on a name mismatch: its subjectAltName, else its CN. */
function certificateNames(error: unknown, text: string): string | undefined {
	const cert = (error as { cert?: { subjectaltname?: unknown; subject?: { CN?: unknown } } }).cert;
	if (typeof cert?.subjectaltname === 'string' && cert.subjectaltname !== '')
		return cert.subjectaltname;
	const cn = cert?.subject?.CN;
	if (typeof cn === 'string' && cn !== '') return `CN=${cn}`;
	if (Array.isArray(cn) && cn.length > 0) return cn.map((name) => `CN=${String(name)}`).join(', ');
	const listed = /(?:cert's (?:list|altnames)|cert's CN): (.+)$/.exec(text)?.[1]?.trim();
	return listed ? listed : undefined;
}

/** The name a certificate was checked against: Node puts it on the error; the text has it too. */
function expectedName(error: unknown, text: string, context: FailureContext): string | undefined {
	const host = (error as { host?: unknown }).host;
	if (typeof host === 'string' && host !== '') return host;
	return /(?:Host|IP): ([^\s]+?)\.? is not/.exec(text)?.[1] ?? context.host;
}

function firstDnsName(names: string | undefined): string | undefined {
	return /DNS:([^,\s]+)/.exec(names ?? '')?.[1] ?? /CN=([^,\s]+)/.exec(names ?? '')?.[1];
}

const NO_INSECURE =
	'Avoid Ignore SSL Issues: it turns verification off, and then anyone between n8n and the server could read the password and the files.';

/**
 * Turns whatever basic-ftp, Node's sockets or TLS threw into a RemoteFailure that names the cause and a fix; OpenSSL's
 * error stack, when quoted, comes after the explanation.
 */
export function explainFailure(error: unknown, context: FailureContext): RemoteFailure {
	return withLibraryTextLast(explainInWords(error, context), error);
}

function explainInWords(error: unknown, context: FailureContext): RemoteFailure {
	const code = errorCode(error);
	const text = errorText(error);
	const where = endpoint(context);
	const doing = `while trying to ${context.action ?? 'run the command'}${about(context)}`;

	if (typeof code === 'number' && code >= 400 && (context.bytesTransferred ?? 0) > 0) {
		// A refusal after data has flowed is an interruption, whatever the reply says (ftp-srv answers a reset
		// data connection with "551 write ECONNRESET").
		return new RemoteFailure(
			context.step,
			`The data connection was dropped in the middle of the transfer ${doing} after ${context.bytesTransferred} bytes (server replied: ${text})`,
			DROPPED_HINT,
			{ replyCode: code },
		);
	}
	if (typeof code === 'number' && code >= 400) return explainReply(code, text, context);

	// Data connections exist only after login; before it, such words describe the control connection.
	const afterLogin = context.step !== 'connect' && context.step !== 'tls';
	// basic-ftp marks errors of an open data connection with "(data socket)": it broke or stood still mid-transfer.
	const onOpenDataConnection = afterLogin && /\(data socket\)/i.test(text);
	if (onOpenDataConnection && /^Timeout \(data socket\)/i.test(text)) {
		const seconds = context.timeoutMs ? ` for ${Math.round(context.timeoutMs / 1000)} s` : '';
		return new RemoteFailure(
			context.step,
			`The transfer stalled: no data moved${seconds} ${doing}, so the connection was given up (timeout during the transfer)`,
			stalledHint(context),
		);
	}
	if (
		onOpenDataConnection &&
		(code === 'ECONNRESET' ||
			code === 'EPIPE' ||
			code === 'ECONNABORTED' ||
			/ECONNRESET|EPIPE|transmission error|socket hang up|closed|disconnected/i.test(text))
	) {
		return new RemoteFailure(
			context.step,
			`The data connection was dropped in the middle of the transfer ${doing} (${text})`,
			DROPPED_HINT,
		);
	}
	if (afterLogin && /data connection|\(data socket\)/i.test(text)) {
		const target = /(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+)/i.exec(text)?.[1];
		return new RemoteFailure(
			context.step,
			`The data connection${target ? ` to ${target}` : ''} could not be opened or was interrupted ${doing} (${text})`,
			dataConnectionHint(context),
		);
	}
	if (code === 'ERR_FTP_ACTIVE_NO_PORT') {
		return new RemoteFailure(
			context.step,
			text,
			'Other transfers (or other programs) use every port of the Active Mode Port Range: widen the range, or leave it empty to use any free port.',
		);
	}
	if (error instanceof ActiveModeFailure) {
		return new RemoteFailure(
			context.step,
			text,
			'Active Mode Address must be an IP address of this n8n machine (or empty, to use the address of the control connection).',
		);
	}
	const unreachable = explainUnreachable(
		error,
		{ ...context, port: context.port ?? 21 },
		'21 for FTP and explicit FTPS, usually 990 for implicit FTPS',
	);
	if (unreachable) return unreachable;
	if (code === PIN_MISMATCH) {
		return new RemoteFailure(
			'tls',
			text,
			"If the server's certificate was renewed, put the new fingerprint into Certificate Fingerprint after checking it with the server's administrator; otherwise someone may be intercepting the connection.",
		);
	}
	if (
		/CERTIFICATE_REQUIRED|alert certificate required|ALERT_BAD_CERTIFICATE|alert bad certificate|ALERT_UNKNOWN_CA|alert unknown ca/i.test(
			`${String(code)} ${text}`,
		)
	) {
		return new RemoteFailure(
			'tls',
			`The server requires a client certificate it trusts (mutual TLS), and refused the TLS handshake (${text})`,
			"Enter the Client Certificate and Client Key (PEM) that the server's administrator issued for this account.",
		);
	}
	if (
		/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|alert protocol version|no protocols available/i.test(
			`${String(code)} ${text}`,
		)
	) {
		return new RemoteFailure(
			'tls',
			`The server and this node have no TLS version in common (${text})`,
			'The server may only offer an older TLS version than the Minimum TLS Version in the credential: lower it to TLS 1.2 if the server supports that, or ask the administrator to enable TLS 1.2 or 1.3.',
		);
	}
	if (code === 'CERT_HAS_EXPIRED') {
		return new RemoteFailure(
			'tls',
			`The server's TLS certificate has expired (${text})`,
			`Ask the server administrator to renew the certificate. Until then you can pin this exact certificate: enter its SHA-256 fingerprint (check it with the administrator) in Certificate Fingerprint. ${NO_INSECURE}`,
		);
	}
	if (code === 'CERT_NOT_YET_VALID') {
		return new RemoteFailure(
			'tls',
			`The server's TLS certificate is not valid yet (${text})`,
			`Check the clock of the n8n machine and of the server; a certificate issued minutes ago may need the clocks to agree. ${NO_INSECURE}`,
		);
	}
	if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
		return new RemoteFailure(
			'tls',
			`The server's TLS certificate is not trusted: ${text}`,
			`If the server uses a self-signed certificate or a private CA, paste that certificate (PEM) into CA Certificate, or pin it by entering its SHA-256 fingerprint in Certificate Fingerprint (ask the administrator for it). ${NO_INSECURE}`,
		);
	}
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
		const names = certificateNames(error, text);
		const expected = expectedName(error, text, context);
		const suggestion = firstDnsName(names);
		return new RemoteFailure(
			'tls',
			`The server's TLS certificate is for a different name: the node expected "${expected ?? 'the host'}", the certificate is for ${names ?? 'other names'}`,
			`Set Server Name (TLS) to a name the certificate is for${suggestion ? ` (e.g. ${suggestion})` : ''}, or use that name as Host. If you trust exactly this certificate, pin it in Certificate Fingerprint instead. ${NO_INSECURE}`,
		);
	}
	if (
		/wrong version number|unknown protocol|packet length too long|ssl3_get_record|http request|EPROTO|ERR_SSL/i.test(
			`${String(code)} ${text}`,
		)
	) {
		return new RemoteFailure(
			'tls',
			`The TLS handshake with ${where} failed (${text})`,
			otherModeHint(context),
		);
	}
	if (/timeout/i.test(text) || code === 'ETIMEDOUT') {
		const seconds = context.timeoutMs ? ` within ${Math.round(context.timeoutMs / 1000)} s` : '';
		if (context.step === 'tls' && /TLS handshake/i.test(text)) {
			return new RemoteFailure(
				'tls',
				`The TLS handshake with ${where} did not finish${seconds}`,
				TLS_HANDSHAKE_STALLED_HINT,
			);
		}
		if (context.step === 'connect' || context.step === 'tls') {
			return new RemoteFailure(
				context.step,
				`${where} did not answer${seconds}`,
				connectTimeoutHint(context),
			);
		}
		return new RemoteFailure(
			context.step,
			`The server stopped answering${seconds} ${doing}`,
			'The server or the network may be overloaded; try again, or raise the Connection Timeout in the credential.',
		);
	}
	if (
		code === 'ECONNRESET' ||
		code === 'EPIPE' ||
		/closed|FIN packet|socket hang up|disconnected/i.test(text)
	) {
		return new RemoteFailure(
			context.step,
			`The connection to ${where} was closed unexpectedly ${doing}`,
			context.step === 'tls' || (context.step === 'connect' && context.security === 'implicit')
				? otherModeHint(context)
				: 'The server may have dropped the session (limits on connections or transfer time) or the network was interrupted; try again.',
		);
	}
	return new RemoteFailure(
		context.step,
		`Failed to ${context.action ?? 'talk to the server'}${about(context)}: ${text}`,
		'This node has no closer explanation for it: the message quotes what the connection reported, and the connection log shows the last exchange with the server.',
	);
}

/** Replies that say "not now" rather than "never": service unavailable, data connection failed or aborted, busy. */
const TRANSIENT_REPLIES = new Set([421, 425, 426, 450, 451]);

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/** How basic-ftp and Node describe a connection that broke or went quiet, whatever code they attach. */
const DROPPED_OR_STALLED =
	/ECONNRESET|EPIPE|ECONNABORTED|timeout|closed|FIN packet|socket hang up|disconnected|transmission error/i;

/**
 * Whether trying again may succeed: the connection dropped or stalled, or the server answered with a temporary
 * refusal. Never for a refusal that will not change by itself (530 login, 550 not found or denied, 553 bad name),
 * nor for a certificate the node does not trust.
 */
export function isTransientFtpError(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	const text = typeof message === 'string' ? message : '';
	if (typeof code === 'number') {
		// ftp-srv answers a data connection reset under it with "551 write ECONNRESET".
		return TRANSIENT_REPLIES.has(code) || /ECONNRESET|EPIPE/.test(text);
	}
	if (isCertificateRejection(error)) return false;
	if (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) return true;
	return DROPPED_OR_STALLED.test(text);
}
