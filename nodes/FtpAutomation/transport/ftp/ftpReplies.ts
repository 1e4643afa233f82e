import { RemoteFailure, type FailureContext, type Refusal } from '../failures';

/** 550 is the standard "not found / not allowed"; some servers (ftp-srv) use 551 or the transient 450. */
export function isMissingOrDenied(code: unknown): boolean {
	return code === 550 || code === 551 || code === 450;
}

export function about(context: FailureContext): string {
	return context.path ? ` "${context.path}"` : '';
}

export const ACTIVE_DATA_HINT =
	'In active mode the server connects back to n8n for every transfer, and a firewall or NAT in front of n8n usually blocks that. Set Data Connection to Passive (works with most servers), or open the Active Mode Port Range towards n8n and set Active Mode Address to an address of n8n that the server can reach.';

export const DROPPED_HINT =
	'The network, a firewall or NAT device (limits on connection time or size), or the server (transfer limits, restart) cut the data connection. Run the node again; an interrupted upload may have left an incomplete file on the server. If it happens again with large files, ask the administrators about limits between n8n and the server.';

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

function describeReply(code: number, reply: string, context: FailureContext): RemoteFailure {
	const step = context.step;
	const said = `(server replied: ${reply})`;
	const requiresTls = REQUIRES_TLS.test(reply);
	const refusedBeforeLogin =
		context.security === 'none' &&
		(step === 'login' || step === 'connect') &&
		(code === 550 || code === 421 || code === 534);
	if (requiresTls && step !== 'tls' && (code === 530 || refusedBeforeLogin)) {
		return new RemoteFailure(
			step,
			`The server requires TLS before login ${said}`,
			'Set Security to Explicit FTPS (AUTH TLS) in the credential.',
			{ replyCode: code },
		);
	}
	if (code === 530 && TOO_MANY.test(reply)) {
		// ProFTPD refuses a connection over MaxClients with 530 after USER: not a wrong password.
		return new RemoteFailure(
			step,
			`The server accepts no more connections right now ${said}`,
			'The server limits how many connections it accepts (in total, per user or per IP address), and that limit is reached. Lower Concurrency, let fewer workflows connect to this server at the same time, retry later, or ask its administrator to raise the limit.',
			{ replyCode: code },
		);
	}
	if (code === 530 && step === 'login') {
		return new RemoteFailure(
			'login',
			context.anonymous
				? `The server refused the anonymous login ${said}`
				: `Wrong username or password ${said}`,
			context.anonymous
				? 'Anonymous Login is on in the credential, and this server may not allow anonymous access (or wants another Anonymous Password, often an email address). Turn Anonymous Login off and enter a username and password.'
				: 'Check the username and password in the credential.',
			{ replyCode: code },
		);
	}
	if (step === 'tls' && code >= 500) {
		return new RemoteFailure(
			'tls',
			`The server refused to start TLS (AUTH TLS) ${said}`,
			'The server does not offer explicit FTPS on this port. If it offers implicit FTPS, choose Implicit FTPS (usually port 990); choose None only if you accept that the password and files travel unencrypted.',
			{ replyCode: code },
		);
	}
	if (code === 421 && TOO_MANY.test(reply)) {
		return new RemoteFailure(
			step,
			`The server closed the connection: it accepts no more connections right now ${said}`,
			'The server limits how many connections it accepts (in total, per user or per IP address), and that limit is reached. Retry later (e.g. turn on Retry On Fail in the node settings), let fewer workflows or parallel executions connect to this server at the same time, or ask its administrator to raise the limit.',
			{ replyCode: code },
		);
	}
	if (code === 421 && IDLE.test(reply)) {
		return new RemoteFailure(
			step,
			`The server closed the connection after a time limit ${said}`,
			"The server ends sessions that are idle (or run) longer than its limit. Run the node again; if it happens during long transfers, ask the administrator about the server's timeouts.",
			{ replyCode: code },
		);
	}
	if (code === 421) {
		return new RemoteFailure(
			step,
			`The server closed the connection ${said}`,
			'The server may limit the number of connections or have timed out the session; retry later or ask its administrator.',
			{ replyCode: code },
		);
	}
	if (code === 425) {
		return new RemoteFailure(
			step,
			`The data connection could not be opened or was closed ${said}`,
			context.dataConnection === 'active'
				? ACTIVE_DATA_HINT
				: 'A firewall or NAT between n8n and the server may block the passive data ports; ask the server administrator which passive port range to open.',
			{ replyCode: code },
		);
	}
	if (code === 426) {
		return new RemoteFailure(
			step,
			`The data connection was closed in the middle of the transfer while trying to ${context.action ?? 'run the command'}${about(context)} ${said}`,
			DROPPED_HINT,
			{ replyCode: code },
		);
	}
	if ((code === 522 || code === 534) && /reuse|resum/i.test(reply)) {
		return new RemoteFailure(
			step,
			`The server refused the TLS of the data connection: it requires the data connection to resume the control connection's TLS session ${said}`,
			"This node does resume the session, so something prevents the server from accepting it: a TLS-inspecting proxy or firewall between n8n and the server, or the server's session cache (several server processes, or TLS 1.3 session tickets it does not handle). Ask the administrator to check the server's TLS session settings; as a workaround they can turn the requirement off (vsftpd: require_ssl_reuse=NO; ProFTPD: TLSOptions NoSessionReuseRequired).",
			{ replyCode: code },
		);
	}
	if (code === 522 || code === 534) {
		return new RemoteFailure(
			step,
			`The server refused TLS on the data connection ${said}`,
			'The server and this node disagree on data connection protection (PROT P, TLS on every data connection): ask the administrator which TLS settings the server needs for data connections.',
			{ replyCode: code },
		);
	}
	if (isMissingOrDenied(code) && DENIED.test(reply) && !NOT_FOUND.test(reply)) {
		return new RemoteFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: permission is denied ${said}`,
			DENIED_HINT,
			{ replyCode: code },
		);
	}
	if (isMissingOrDenied(code) && NOT_FOUND.test(reply) && !DENIED.test(reply)) {
		return new RemoteFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: it does not exist ${said}`,
			MISSING_HINT,
			{ replyCode: code },
		);
	}
	if (isMissingOrDenied(code)) {
		return new RemoteFailure(
			step,
			`Cannot ${context.action ?? 'access'}${about(context)}: it does not exist or permission is denied ${said}`,
			'Check the path (it is case-sensitive on most servers; relative paths start at the login folder) and that this FTP user may access it.',
			{ replyCode: code },
		);
	}
	if (code === 553) {
		return new RemoteFailure(
			step,
			`The server does not accept the name${about(context)} ${said}`,
			'Check the folder exists (or turn on Create Directories) and that the name is allowed on the server.',
			{ replyCode: code },
		);
	}
	if (code === 552 || code === 452) {
		return new RemoteFailure(
			step,
			`The server has no space left for${about(context)} ${said}`,
			'Free space on the server or ask its administrator to raise the quota.',
			{ replyCode: code },
		);
	}
	return new RemoteFailure(
		step,
		`The server refused to ${context.action ?? 'run the command'}${about(context)} ${said}`,
		"Check the server's reply above; the server administrator can tell what it means on their server.",
		{ replyCode: code },
	);
}

/** What a reply refuses, for the engine: a missing or forbidden path, or a name the server will not take. */
function refusalOf(code: number): Refusal | undefined {
	if (isMissingOrDenied(code)) return 'missingOrDenied';
	return code === 553 ? 'badName' : undefined;
}

/** Explains an FTP reply of 400 and above: the cause in plain words with the reply quoted, and a fix. */
export function explainReply(code: number, reply: string, context: FailureContext): RemoteFailure {
	const refusal = refusalOf(code);
	const failure = describeReply(code, reply, context);
	return refusal === undefined ? failure : failure.with({ refusal });
}
