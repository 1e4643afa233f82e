import { RemoteFailure, type FailureContext } from './failures';

/** The `code` Node (or a protocol library) put on an error: a string for sockets and TLS, a number for replies. */
export function errorCode(error: unknown): string | number | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

export function errorText(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** OpenSSL's error lines: `808C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file.c:350:`. */
const OPENSSL_ERROR_LINE = /^\s*[0-9A-F]+:error:[0-9A-F]+:[^:\n]*:[^:\n]*:([^:\n]+):/im;

/**
 * A failure whose message quotes OpenSSL's error stack, with the message quoting only its reason (e.g. "wrong version
 * number") and the whole stack kept as `detail`, which readers see after the explanation. Other failures unchanged.
 */
export function withLibraryTextLast(failure: RemoteFailure, error: unknown): RemoteFailure {
	const raw = errorText(error);
	const reason = OPENSSL_ERROR_LINE.exec(raw)?.[1]?.trim();
	if (reason === undefined || !failure.message.includes(raw)) return failure;
	return failure.with({
		message: failure.message.replace(raw, `OpenSSL: ${reason}`),
		detail: `OpenSSL reported: ${raw.replace(/\s+/g, ' ').trim()}`,
	});
}

/**
 * Failures of reaching the host at all, the same for every protocol: a name that does not resolve, a port nobody
 * listens on, a host without a route. `usualPorts` names the protocol's ports for the hint. Undefined for any other
 * error, which the protocol explains itself.
 */
export function explainUnreachable(
	error: unknown,
	context: FailureContext,
	usualPorts: string,
): RemoteFailure | undefined {
	const code = errorCode(error);
	const where = context.host ? `${context.host}:${context.port}` : 'the server';
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
		return new RemoteFailure(
			'connect',
			`The host name "${context.host}" could not be resolved`,
			'Check the spelling of the host and that this n8n instance can resolve it (DNS).',
		);
	}
	if (code === 'ECONNREFUSED') {
		return new RemoteFailure(
			'connect',
			`The connection to ${where} was refused`,
			`Nothing accepts connections on that port: check the port (${usualPorts}) and that the server is running.`,
		);
	}
	if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
		return new RemoteFailure(
			'connect',
			`${where} cannot be reached from this n8n instance`,
			'Check the host and the network route or VPN between n8n and the server.',
		);
	}
	return undefined;
}
