import { RemoteFailure, type FailureContext, type FailureStep } from '../failures';
import { errorCode, errorText, explainUnreachable, withLibraryTextLast } from '../networkFailures';
import { OpenFailure, type HandshakeFacts } from './handshake';
import { HostKeyRefused } from './hostKey';
import { SFTP_STATUS, StalledRequest, statusOf } from './requests';

const USUAL_PORTS = 'SFTP usually listens on port 22';
const DROPPED =
	/ECONNRESET|EPIPE|ECONNABORTED|socket hang up|closed|not connected|No response|Channel|ended|lost/i;
const DISK_FULL = /no space|disk full|quota|ENOSPC|EDQUOT|insufficient storage/i;

function doingOf(context: FailureContext): string {
	const about = context.path ? ` "${context.path}"` : '';
	return `while trying to ${context.action ?? 'run the command'}${about}`;
}

/** "publickey" or "password, publickey", from the server's answer to authentication. */
function methods(list: string[] | undefined): string {
	return list === undefined || list.length === 0 ? 'none' : list.join(', ');
}

function explainLogin(facts: HandshakeFacts): RemoteFailure {
	const offered = facts.methodsOffered ?? [];
	const tried = facts.methodsTried.filter((method) => method !== 'none');
	const onlyKeys = offered.length > 0 && offered.every((method) => method === 'publickey');
	const said = `the server accepts: ${methods(offered)}; tried: ${methods(tried)}`;
	if (onlyKeys && !tried.includes('publickey')) {
		return new RemoteFailure(
			'login',
			`This server accepts only publickey, and the credential has no private key (${said})`,
			'Paste a private key whose public key is in the account’s authorized_keys on the server.',
		);
	}
	if (tried.length === 0) {
		return new RemoteFailure(
			'login',
			`The server accepts none of the ways this credential can log in (${said})`,
			`Fill in what the server accepts (${methods(offered)}): a password, or a private key for publickey.`,
		);
	}
	// The hint names only what this credential has: a password (also for keyboard-interactive), a key, or both.
	const withPassword = tried.includes('password') || tried.includes('keyboard-interactive');
	const withKey = tried.includes('publickey');
	const what =
		withPassword && withKey
			? 'the username, the password and the private key'
			: withKey
				? 'the username and the private key'
				: 'the username and password';
	const keyHint = withKey
		? ' The key was refused: check that its public key is in the account’s ~/.ssh/authorized_keys (and, for OpenSSH, that the server allows its type).'
		: '';
	const otherWay =
		!withKey && offered.includes('publickey')
			? ' The server also accepts publickey: a key may work where the password does not.'
			: !withPassword && offered.includes('password')
				? ' The server also accepts a password.'
				: '';
	return new RemoteFailure(
		'login',
		`The server refused the login (${said})`,
		`Check ${what} in the credential.${keyHint}${otherWay}`,
	);
}

function explainNoCommonAlgorithm(
	text: string,
	facts: HandshakeFacts,
	legacyOn: boolean,
): RemoteFailure {
	const kind = /key exchange/i.test(text)
		? { name: 'key exchange', offered: facts.offer.kex }
		: /host key/i.test(text)
			? { name: 'host key', offered: facts.offer.hostKey }
			: /cipher/i.test(text)
				? { name: 'cipher', offered: facts.offer.cipher }
				: { name: 'MAC', offered: facts.offer.mac };
	return new RemoteFailure(
		'handshake',
		`The server and n8n have no ${kind.name} algorithm in common (the server offers: ${kind.offered ?? 'unknown'})`,
		legacyOn
			? 'The server offers only algorithms this node does not support even with Legacy Algorithms on: ask its administrator to enable current ones (e.g. curve25519-sha256, ssh-ed25519, aes128-ctr).'
			: 'The server only offers old algorithms. Turn on Legacy Algorithms in the credential to also offer them; that weakens the connection’s security (SHA-1, CBC ciphers), so ask the server’s administrator to enable current ones as well.',
	);
}

/** A failure while connecting, authenticating or starting SFTP. */
function explainOpening(failure: OpenFailure, context: FailureContext): RemoteFailure {
	const { cause, facts } = failure;
	if (facts.hostKeyRefused instanceof HostKeyRefused) {
		return facts.hostKeyRefused.explain(context.host ?? 'the server', context.port ?? 22);
	}
	const text = errorText(cause);
	const level = (cause as { level?: unknown } | null)?.level;
	const where = `${context.host}:${context.port}`;
	const unreachable = explainUnreachable(cause, context, USUAL_PORTS);
	if (unreachable) return unreachable;
	if (/no matching/i.test(text)) {
		return explainNoCommonAlgorithm(text, facts, facts.legacyAlgorithms);
	}
	if (level === 'client-authentication' || /authentication methods failed/i.test(text)) {
		return explainLogin(facts);
	}
	if (level === 'client-timeout' || errorCode(cause) === 'ETIMEDOUT') {
		const seconds = context.timeoutMs ? `${Math.round(context.timeoutMs / 1000)} s` : 'the timeout';
		const stepOf: Record<HandshakeFacts['stage'], FailureStep> = {
			connect: 'connect',
			handshake: 'handshake',
			login: 'login',
			subsystem: 'subsystem',
			ready: 'subsystem',
		};
		return new RemoteFailure(
			stepOf[facts.stage],
			facts.identification === undefined
				? `${where} did not answer as an SSH server within ${seconds}`
				: `The SSH server at ${where} stopped answering during the ${facts.stage === 'login' ? 'login' : 'handshake'} (no answer within ${seconds})`,
			facts.identification === undefined
				? `Check the host and port (${USUAL_PORTS}); a firewall may drop the connection silently. An FTP server on that port never answers as SSH: choose FTP / FTPS as the protocol instead.`
				: 'The server may be overloaded or a firewall may cut the connection. Raise the Connection Timeout or try again later.',
			{ retryable: true },
		);
	}
	if (facts.stage === 'subsystem' || /subsystem/i.test(text)) {
		return new RemoteFailure(
			'subsystem',
			`Logged in, but the server did not start SFTP for this account (${text})`,
			'The account may be allowed a shell only, or the server has no SFTP subsystem configured (OpenSSH: "Subsystem sftp internal-sftp" in sshd_config). Ask the administrator to enable SFTP for this user; if the server offers FTP or FTPS instead, choose that protocol.',
		);
	}
	if (facts.identification === undefined) {
		return new RemoteFailure(
			'connect',
			`${where} closed the connection before identifying as an SSH server (${text})`,
			`The server may limit how many connections it accepts at once (OpenSSH: MaxStartups, MaxSessions): lower Concurrency or try again later. Otherwise check the port (${USUAL_PORTS}) — is it an SFTP server at all?`,
			{ retryable: true },
		);
	}
	return new RemoteFailure(
		facts.stage === 'login' ? 'login' : 'handshake',
		`The SSH connection to ${where} failed during the ${facts.stage === 'login' ? 'login' : 'handshake'} (${text})`,
		'Check the host, port and credential; if the server is old, Legacy Algorithms in the credential may help.',
		{ retryable: DROPPED.test(text) },
	);
}

/** An SFTP status the server answered a request with. */
function explainStatus(status: number, text: string, context: FailureContext): RemoteFailure {
	const doing = doingOf(context);
	const said = `(server said: ${text})`;
	if (status === SFTP_STATUS.noSuchFile) {
		return new RemoteFailure(
			context.step,
			`No such file or folder ${doing} ${said}`,
			'Check the path: it is case-sensitive, and relative paths start at the login folder. The List operation shows what is there.',
			{ refusal: 'missingOrDenied' },
		);
	}
	if (status === SFTP_STATUS.permissionDenied) {
		const appending = /append/i.test(context.action ?? '');
		return new RemoteFailure(
			context.step,
			`Permission denied ${doing} ${said}`,
			appending
				? 'The server refuses to append to this file: some servers never allow appending (ProFTPD without AllowStoreRestart), others only where the user may write. Replace the file instead (If File Exists: Overwrite), or ask the administrator.'
				: 'This SFTP user may not do that there: ask the server administrator for the rights, or use a folder the user may write to.',
			{ refusal: 'missingOrDenied' },
		);
	}
	if (DISK_FULL.test(text)) {
		return new RemoteFailure(
			context.step,
			`The server has no space left for this user ${doing} ${said}`,
			'The disk or the account’s quota on the server is full: delete old files there or ask the administrator for more space. The incomplete file was removed where possible.',
		);
	}
	if (status === SFTP_STATUS.unsupported) {
		return new RemoteFailure(
			context.step,
			`The server does not support this ${doing} ${said}`,
			'This SFTP server does not implement the operation; do it another way (e.g. delete and upload instead of rename).',
		);
	}
	if (status === SFTP_STATUS.noConnection || status === SFTP_STATUS.connectionLost) {
		return new RemoteFailure(
			context.step,
			`The connection was lost ${doing} ${said}`,
			'The network or the server cut the connection. Run the node again.',
			{ retryable: true },
		);
	}
	// SFTP version 3 has one generic status for every other refusal (a folder that is not empty, a name that exists).
	return new RemoteFailure(
		context.step,
		`The server refused ${doing.replace(/^while trying /, '')} ${said}`,
		'The server gives no reason beyond "failure" for some refusals: check that the target does not already exist, that a folder to delete is empty, and that the user may write there.',
		{ refusal: 'missingOrDenied' },
	);
}

/** Turns a raw error of the SFTP side into a failure that names the cause and a fix. */
export function explainSftpFailure(error: unknown, context: FailureContext): RemoteFailure {
	if (error instanceof RemoteFailure) return error;
	const cause = error instanceof OpenFailure ? error.cause : error;
	return withLibraryTextLast(explainInWords(error, context), cause);
}

function explainInWords(error: unknown, context: FailureContext): RemoteFailure {
	if (error instanceof OpenFailure) return explainOpening(error, context);
	const doing = doingOf(context);
	if (error instanceof StalledRequest) {
		return new RemoteFailure(
			context.step,
			`The transfer stalled: ${error.message} ${doing}, so the connection was given up`,
			'The server or the network stopped responding. Run the node again; raise the Connection Timeout in the credential if the server is just slow.',
			{ retryable: true },
		);
	}
	const status = statusOf(error);
	const text = errorText(error);
	if (status !== undefined && status >= 1 && status <= 8)
		return explainStatus(status, text, context);
	const unreachable = explainUnreachable(error, context, USUAL_PORTS);
	if (unreachable) return unreachable;
	if (DROPPED.test(text) || typeof errorCode(error) === 'string') {
		const moved =
			context.bytesTransferred !== undefined ? ` after ${context.bytesTransferred} bytes` : '';
		return new RemoteFailure(
			context.step,
			`The connection was dropped ${doing}${moved} (${text})`,
			'The network, a firewall, or the server cut the SSH connection. Run the node again; an interrupted upload leaves no partial file when Atomic Upload is on.',
			{ retryable: true },
		);
	}
	return new RemoteFailure(
		context.step,
		`SFTP failed ${doing} (${text})`,
		'Check the connection log (option Include Connection Log) for what the server answered.',
	);
}

/** Whether a raw error may go away on a new attempt: a dropped connection, a stalled request, a busy server. */
export function isTransientSftpError(error: unknown): boolean {
	if (error instanceof StalledRequest) return true;
	if (error instanceof OpenFailure) {
		if (error.facts.hostKeyRefused) return false;
		const level = (error.cause as { level?: unknown } | null)?.level;
		if (level === 'client-authentication' || /no matching/i.test(error.message)) return false;
		return error.facts.identification === undefined || DROPPED.test(error.message);
	}
	const status = statusOf(error);
	if (status === SFTP_STATUS.noConnection || status === SFTP_STATUS.connectionLost) return true;
	if (status !== undefined) return false;
	return DROPPED.test(errorText(error)) || typeof errorCode(error) === 'string';
}
