import { PIN_MISMATCH } from './certificatePin';

/** Where in the life of a connection something failed; the credential test reports it to the user. */
export type FtpStep =
	| 'settings'
	| 'input'
	| 'connect'
	| 'tls'
	| 'login'
	| 'list'
	| 'command'
	| 'transfer';

export const STEP_LABELS: Record<FtpStep, string> = {
	settings: 'Checking the credential',
	input: 'Checking the input',
	connect: 'Connecting',
	tls: 'Starting TLS',
	login: 'Logging in',
	list: 'Listing the working directory',
	command: 'Running the command',
	transfer: 'Transferring data',
};

/** A failure explained for people: `message` names the cause, `hint` says what to do about it. */
export class FtpFailure extends Error {
	/** The last lines of the (redacted) connection log when the failure happened. */
	connectionLog: string[] = [];

	constructor(
		readonly step: FtpStep,
		message: string,
		readonly hint: string,
		readonly replyCode?: number,
	) {
		super(message);
		this.name = 'FtpFailure';
	}
}

/** What the failing code was doing, to make messages concrete. */
export interface FailureContext {
	step: FtpStep;
	host?: string;
	port?: number;
	security?: 'none' | 'explicit' | 'implicit';
	timeoutMs?: number;
	/** The remote path the command was about, if any. */
	path?: string;
	/** What the command was meant to do, e.g. "download". */
	action?: string;
	/** Who opens data connections: we (passive, the default) or the server (active). */
	dataConnection?: 'passive' | 'active';
}

const UNTRUSTED_CERTIFICATE_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'UNABLE_TO_GET_ISSUER_CERT',
]);

/** 550 is the standard "not found / not allowed"; some servers (ftp-srv) use 551 or the transient 450. */
export function isMissingOrDenied(code: unknown): boolean {
	return code === 550 || code === 551 || code === 450;
}

function errorCode(error: unknown): string | number | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

function errorText(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function endpoint(context: FailureContext): string {
	return context.host ? `${context.host}:${context.port ?? 21}` : 'the server';
}

function about(context: FailureContext): string {
	return context.path ? ` "${context.path}"` : '';
}

const PASSIVE_DATA_HINT =
	'FTP moves files over a second connection. If the server reports an address that cannot be reached (typical behind NAT), keep Passive Address on Control Connection Host; if a firewall blocks the passive ports, ask the administrator to open them, or try Disable EPSV.';

const ACTIVE_DATA_HINT =
	'In active mode the server connects back to n8n for every transfer, and a firewall or NAT in front of n8n usually blocks that. Set Data Connection to Passive (works with most servers), or open the Active Mode Port Range towards n8n and set Active Mode Address to an address of n8n that the server can reach.';

function dataConnectionHint(context: FailureContext): string {
	return context.dataConnection === 'active' ? ACTIVE_DATA_HINT : PASSIVE_DATA_HINT;
}

const TLS_MODE_HINT =
	'Check the Security setting: implicit FTPS speaks TLS from the first byte (usually port 990); explicit FTPS and plain FTP start in plain text (usually port 21).';

function explainReply(code: number, reply: string, context: FailureContext): FtpFailure {
	const step = context.step;
	const said = `(server replied: ${reply})`;
	const requiresTls = /\b(TLS|SSL|encrypt|secure)/i.test(reply);
	if (code === 530 && requiresTls) {
		return new FtpFailure(
			step,
			`The server requires TLS before login ${said}`,
			'Set Security to Explicit FTPS (AUTH TLS) in the credential.',
			code,
		);
	}
	if (code === 530 && step === 'login') {
		return new FtpFailure(
			'login',
			`Wrong username or password ${said}`,
			'Check the username and password in the credential. If you use Anonymous Login, the server may not allow anonymous access.',
			code,
		);
	}
	if (step === 'tls' && code >= 500) {
		return new FtpFailure(
			'tls',
			`The server refused to start TLS (AUTH TLS) ${said}`,
			'The server does not offer explicit FTPS on this port. If it offers implicit FTPS, choose Implicit FTPS (usually port 990); choose None only if you accept that the password and files travel unencrypted.',
			code,
		);
	}
	if (code === 421) {
		return new FtpFailure(
			step,
			`The server closed the connection ${said}`,
			'The server may limit the number of connections or have timed out the session; retry later or ask its administrator.',
			code,
		);
	}
	if (code === 425 || code === 426) {
		return new FtpFailure(
			step,
			`The data connection could not be opened or was closed ${said}`,
			context.dataConnection === 'active'
				? ACTIVE_DATA_HINT
				: 'A firewall or NAT between n8n and the server may block the passive data ports; ask the server administrator which passive port range to open.',
			code,
		);
	}
	if (code === 522 || code === 534) {
		return new FtpFailure(
			step,
			`The server refused TLS on the data connection ${said}`,
			"The server and this node disagree on data connection protection; check the server's TLS settings.",
			code,
		);
	}
	if (isMissingOrDenied(code)) {
		return new FtpFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: it does not exist or permission is denied ${said}`,
			'Check the path (it is case-sensitive on most servers; relative paths start at the login folder) and that this FTP user may access it.',
			code,
		);
	}
	if (code === 553) {
		return new FtpFailure(
			step,
			`The server does not accept the name${about(context)} ${said}`,
			'Check the folder exists (or turn on Create Directories) and that the name is allowed on the server.',
			code,
		);
	}
	if (code === 552 || code === 452) {
		return new FtpFailure(
			step,
			`The server has no space left for${about(context)} ${said}`,
			'Free space on the server or ask its administrator to raise the quota.',
			code,
		);
	}
	return new FtpFailure(
		step,
		`The server refused to ${context.action ?? 'run the command'}${about(context)} ${said}`,
		"Check the server's reply above; the server administrator can tell what it means on their server.",
		code,
	);
}

/** Turns whatever basic-ftp, Node's sockets or TLS threw into an FtpFailure that names the cause and a fix. */
export function explainFailure(error: unknown, context: FailureContext): FtpFailure {
	if (error instanceof FtpFailure) return error;
	const code = errorCode(error);
	const text = errorText(error);
	const where = endpoint(context);

	if (typeof code === 'number' && code >= 400) return explainReply(code, text, context);

	if (
		/data connection|\(data socket\)/i.test(text) &&
		context.step !== 'connect' &&
		context.step !== 'tls'
	) {
		const target = /(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+)/i.exec(text)?.[1];
		return new FtpFailure(
			context.step,
			`The data connection${target ? ` to ${target}` : ''} could not be opened or was interrupted while trying to ${context.action ?? 'run the command'}${about(context)} (${text})`,
			dataConnectionHint(context),
		);
	}
	if (code === 'ERR_FTP_ACTIVE_NO_PORT') {
		return new FtpFailure(
			context.step,
			text,
			'Other transfers (or other programs) use every port of the Active Mode Port Range: widen the range, or leave it empty to use any free port.',
		);
	}
	if (typeof (error as { activeAddress?: unknown }).activeAddress === 'string') {
		return new FtpFailure(
			context.step,
			text,
			'Active Mode Address must be an IP address of this n8n machine (or empty, to use the address of the control connection).',
		);
	}
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
		return new FtpFailure(
			'connect',
			`The host name "${context.host}" could not be resolved`,
			'Check the spelling of the host and that this n8n instance can resolve it (DNS).',
		);
	}
	if (code === 'ECONNREFUSED') {
		return new FtpFailure(
			'connect',
			`The connection to ${where} was refused`,
			'Nothing accepts connections on that port: check the port (21 for FTP and explicit FTPS, usually 990 for implicit FTPS) and that the server is running.',
		);
	}
	if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
		return new FtpFailure(
			'connect',
			`${where} cannot be reached from this n8n instance`,
			'Check the host and the network route or VPN between n8n and the server.',
		);
	}
	if (code === PIN_MISMATCH) {
		return new FtpFailure(
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
		return new FtpFailure(
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
		return new FtpFailure(
			'tls',
			`The server and this node have no TLS version in common (${text})`,
			'The server may only offer an older TLS version than the Minimum TLS Version in the credential: lower it to TLS 1.2 if the server supports that, or ask the administrator to enable TLS 1.2 or 1.3.',
		);
	}
	if (code === 'CERT_HAS_EXPIRED') {
		return new FtpFailure(
			'tls',
			`The server's TLS certificate has expired (${text})`,
			'Ask the server administrator to renew the certificate.',
		);
	}
	if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
		return new FtpFailure(
			'tls',
			`The server's TLS certificate is not trusted: ${text}`,
			'If the server uses a self-signed certificate or a private CA, paste that certificate (PEM) into CA Certificate. Ignore SSL Issues turns verification off and is insecure.',
		);
	}
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
		return new FtpFailure(
			'tls',
			`The server's TLS certificate is for a different name: ${text}`,
			'Connect using the name the certificate was issued for, or set Server Name (TLS) to that name.',
		);
	}
	if (
		/wrong version number|unknown protocol|packet length too long|ssl3_get_record|EPROTO|ERR_SSL/i.test(
			`${String(code)} ${text}`,
		)
	) {
		return new FtpFailure('tls', `The TLS handshake with ${where} failed (${text})`, TLS_MODE_HINT);
	}
	if (/timeout/i.test(text) || code === 'ETIMEDOUT') {
		const seconds = context.timeoutMs ? ` within ${Math.round(context.timeoutMs / 1000)} s` : '';
		if (context.step === 'connect' || context.step === 'tls') {
			return new FtpFailure(
				context.step,
				`${where} did not answer${seconds}`,
				`A firewall may drop the connection, or the host or port is wrong. ${context.security === 'implicit' || context.step === 'tls' ? TLS_MODE_HINT : ''}`.trim(),
			);
		}
		return new FtpFailure(
			context.step,
			`The server stopped answering${seconds} while trying to ${context.action ?? 'run the command'}${about(context)}`,
			'The server or the network may be overloaded; try again, or raise the Connection Timeout in the credential.',
		);
	}
	if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|FIN packet|socket hang up/i.test(text)) {
		return new FtpFailure(
			context.step,
			`The connection to ${where} was closed unexpectedly while trying to ${context.action ?? 'run the command'}${about(context)}`,
			context.step === 'tls'
				? TLS_MODE_HINT
				: 'The server may have dropped the session (limits on connections or transfer time) or the network was interrupted; try again.',
		);
	}
	return new FtpFailure(
		context.step,
		`Failed to ${context.action ?? 'talk to the server'}${about(context)}: ${text}`,
		'See the connection log below for the last exchange with the server.',
	);
}
