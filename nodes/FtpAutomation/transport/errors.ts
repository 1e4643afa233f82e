import { PIN_MISMATCH } from './certificatePin';

/** Where in the life of a connection something failed; the credential test reports it to the user. */
export type FtpStep =
	| 'settings'
	| 'input'
	| 'connect'
	| 'tls'
	| 'login'
	| 'directory'
	| 'list'
	| 'command'
	| 'transfer';

export const STEP_LABELS: Record<FtpStep, string> = {
	settings: 'Checking the credential',
	input: 'Checking the input',
	connect: 'Connecting',
	tls: 'Starting TLS',
	login: 'Logging in',
	directory: 'Reading the working directory',
	list: 'Listing the working directory',
	command: 'Running the command',
	transfer: 'Transferring data',
};

/** A failure explained for people: `message` names the cause, `hint` says what to do about it. */
export class FtpFailure extends Error {
	/** The last lines of the (redacted) connection log when the failure happened. */
	connectionLog: string[] = [];
	/** Whether trying again may succeed (a dropped connection, a temporary refusal); see retry.ts. */
	transient = false;

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
	/** Bytes that had already moved when a transfer failed. */
	bytesTransferred?: number;
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

const DROPPED_HINT =
	'The network, a firewall or NAT device (limits on connection time or size), or the server (transfer limits, restart) cut the data connection. Run the node again; an interrupted upload may have left an incomplete file on the server. If it happens again with large files, ask the administrators about limits between n8n and the server.';

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

/** Reply texts that say the server wants TLS (vsftpd, ProFTPD, pure-ftpd, IIS wordings). */
const REQUIRES_TLS = /\b(TLS|SSL|encrypt|secure|cleartext)/i;
/** Reply texts that say a path is missing, or that the user may not touch it. */
const NOT_FOUND = /no such file|not found|does ?n[o']t exist|ENOENT|can(no|')t find|unknown file/i;
const DENIED =
	/permission denied|access (is )?denied|not allowed|EACCES|EPERM|forbidden|not permitted|insufficient|no permission|read-only/i;
/** 421 texts of connection limits: vsftpd, ProFTPD, pure-ftpd, FileZilla Server, IIS. */
const TOO_MANY =
	/too many|connection limit|max(imum)? (number of )?(clients|connections|users)|limit(ed)? (reached|of)|try (again )?later/i;
const IDLE = /timeout|timed out|idle|inactivity|no transfer/i;

const MISSING_HINT =
	'Check the path: it is case-sensitive on most servers, and relative paths start at the login folder. The List operation shows what is there.';
const DENIED_HINT =
	'This FTP user may not do that there: ask the server administrator for the rights, or use a folder the user may write to. (Servers also answer like this when writing is turned off for everyone, e.g. vsftpd write_enable=NO, or for anonymous users.)';

function explainReply(code: number, reply: string, context: FailureContext): FtpFailure {
	const step = context.step;
	const said = `(server replied: ${reply})`;
	const requiresTls = REQUIRES_TLS.test(reply);
	const refusedBeforeLogin =
		context.security === 'none' &&
		(step === 'login' || step === 'connect') &&
		(code === 550 || code === 421 || code === 534);
	if (requiresTls && step !== 'tls' && (code === 530 || refusedBeforeLogin)) {
		return new FtpFailure(
			step,
			`The server requires TLS before login ${said}`,
			'Set Security to Explicit FTPS (AUTH TLS) in the credential.',
			code,
		);
	}
	if (code === 530 && TOO_MANY.test(reply)) {
		// ProFTPD refuses a connection over MaxClients with 530 after USER: not a wrong password.
		return new FtpFailure(
			step,
			`The server accepts no more connections right now ${said}`,
			'The server limits how many connections it accepts (in total, per user or per IP address), and that limit is reached. Lower Concurrency, let fewer workflows connect to this server at the same time, retry later, or ask its administrator to raise the limit.',
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
	if (code === 421 && TOO_MANY.test(reply)) {
		return new FtpFailure(
			step,
			`The server closed the connection: it accepts no more connections right now ${said}`,
			'The server limits how many connections it accepts (in total, per user or per IP address), and that limit is reached. Retry later (e.g. turn on Retry On Fail in the node settings), let fewer workflows or parallel executions connect to this server at the same time, or ask its administrator to raise the limit.',
			code,
		);
	}
	if (code === 421 && IDLE.test(reply)) {
		return new FtpFailure(
			step,
			`The server closed the connection after a time limit ${said}`,
			"The server ends sessions that are idle (or run) longer than its limit. Run the node again; if it happens during long transfers, ask the administrator about the server's timeouts.",
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
	if (code === 425) {
		return new FtpFailure(
			step,
			`The data connection could not be opened or was closed ${said}`,
			context.dataConnection === 'active'
				? ACTIVE_DATA_HINT
				: 'A firewall or NAT between n8n and the server may block the passive data ports; ask the server administrator which passive port range to open.',
			code,
		);
	}
	if (code === 426) {
		return new FtpFailure(
			step,
			`The data connection was closed in the middle of the transfer while trying to ${context.action ?? 'run the command'}${about(context)} ${said}`,
			DROPPED_HINT,
			code,
		);
	}
	if ((code === 522 || code === 534) && /reuse|resum/i.test(reply)) {
		return new FtpFailure(
			step,
			`The server refused the TLS of the data connection: it requires the data connection to resume the control connection's TLS session ${said}`,
			"This node does resume the session, so something prevents the server from accepting it: a TLS-inspecting proxy or firewall between n8n and the server, or the server's session cache (several server processes, or TLS 1.3 session tickets it does not handle). Ask the administrator to check the server's TLS session settings; as a workaround they can turn the requirement off (vsftpd: require_ssl_reuse=NO; ProFTPD: TLSOptions NoSessionReuseRequired).",
			code,
		);
	}
	if (code === 522 || code === 534) {
		return new FtpFailure(
			step,
			`The server refused TLS on the data connection ${said}`,
			'The server and this node disagree on data connection protection (PROT P, TLS on every data connection): ask the administrator which TLS settings the server needs for data connections.',
			code,
		);
	}
	if (isMissingOrDenied(code) && DENIED.test(reply) && !NOT_FOUND.test(reply)) {
		return new FtpFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: permission is denied ${said}`,
			DENIED_HINT,
			code,
		);
	}
	if (isMissingOrDenied(code) && NOT_FOUND.test(reply) && !DENIED.test(reply)) {
		return new FtpFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: it does not exist ${said}`,
			MISSING_HINT,
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
	const doing = `while trying to ${context.action ?? 'run the command'}${about(context)}`;

	if (typeof code === 'number' && code >= 400 && (context.bytesTransferred ?? 0) > 0) {
		// A refusal after data has flowed is an interruption, whatever the reply says (ftp-srv answers a reset
		// data connection with "551 write ECONNRESET").
		return new FtpFailure(
			context.step,
			`The data connection was dropped in the middle of the transfer ${doing} after ${context.bytesTransferred} bytes (server replied: ${text})`,
			DROPPED_HINT,
			code,
		);
	}
	if (typeof code === 'number' && code >= 400) return explainReply(code, text, context);

	// Data connections exist only after login; before it, such words describe the control connection.
	const afterLogin = context.step !== 'connect' && context.step !== 'tls';
	// basic-ftp marks errors of an open data connection with "(data socket)": it broke or stood still mid-transfer.
	const onOpenDataConnection = afterLogin && /\(data socket\)/i.test(text);
	if (onOpenDataConnection && /^Timeout \(data socket\)/i.test(text)) {
		const seconds = context.timeoutMs ? ` for ${Math.round(context.timeoutMs / 1000)} s` : '';
		return new FtpFailure(
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
		return new FtpFailure(
			context.step,
			`The data connection was dropped in the middle of the transfer ${doing} (${text})`,
			DROPPED_HINT,
		);
	}
	if (afterLogin && /data connection|\(data socket\)/i.test(text)) {
		const target = /(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+)/i.exec(text)?.[1];
		return new FtpFailure(
			context.step,
			`The data connection${target ? ` to ${target}` : ''} could not be opened or was interrupted ${doing} (${text})`,
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
			`Ask the server administrator to renew the certificate. Until then you can pin this exact certificate: enter its SHA-256 fingerprint (check it with the administrator) in Certificate Fingerprint. ${NO_INSECURE}`,
		);
	}
	if (code === 'CERT_NOT_YET_VALID') {
		return new FtpFailure(
			'tls',
			`The server's TLS certificate is not valid yet (${text})`,
			`Check the clock of the n8n machine and of the server; a certificate issued minutes ago may need the clocks to agree. ${NO_INSECURE}`,
		);
	}
	if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
		return new FtpFailure(
			'tls',
			`The server's TLS certificate is not trusted: ${text}`,
			`If the server uses a self-signed certificate or a private CA, paste that certificate (PEM) into CA Certificate, or pin it by entering its SHA-256 fingerprint in Certificate Fingerprint (ask the administrator for it). ${NO_INSECURE}`,
		);
	}
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
		const names = certificateNames(error, text);
		const expected = expectedName(error, text, context);
		const suggestion = firstDnsName(names);
		return new FtpFailure(
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
		return new FtpFailure(
			'tls',
			`The TLS handshake with ${where} failed (${text})`,
			otherModeHint(context),
		);
	}
	if (/timeout/i.test(text) || code === 'ETIMEDOUT') {
		const seconds = context.timeoutMs ? ` within ${Math.round(context.timeoutMs / 1000)} s` : '';
		if (context.step === 'tls' && /TLS handshake/i.test(text)) {
			return new FtpFailure(
				'tls',
				`The TLS handshake with ${where} did not finish${seconds}`,
				TLS_HANDSHAKE_STALLED_HINT,
			);
		}
		if (context.step === 'connect' || context.step === 'tls') {
			return new FtpFailure(
				context.step,
				`${where} did not answer${seconds}`,
				connectTimeoutHint(context),
			);
		}
		return new FtpFailure(
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
		return new FtpFailure(
			context.step,
			`The connection to ${where} was closed unexpectedly ${doing}`,
			context.step === 'tls' || (context.step === 'connect' && context.security === 'implicit')
				? otherModeHint(context)
				: 'The server may have dropped the session (limits on connections or transfer time) or the network was interrupted; try again.',
		);
	}
	return new FtpFailure(
		context.step,
		`Failed to ${context.action ?? 'talk to the server'}${about(context)}: ${text}`,
		'See the connection log below for the last exchange with the server.',
	);
}
