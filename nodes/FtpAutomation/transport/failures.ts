/** Where in the life of a connection something failed; the credential test reports it to the user. */
export type FailureStep =
	| 'settings'
	| 'input'
	| 'connect'
	| 'tls'
	| 'handshake'
	| 'login'
	| 'subsystem'
	| 'directory'
	| 'list'
	| 'command'
	| 'transfer';

export const STEP_LABELS: Record<FailureStep, string> = {
	settings: 'Checking the credential',
	input: 'Checking the input',
	connect: 'Connecting',
	tls: 'Starting TLS',
	handshake: 'SSH handshake',
	login: 'Logging in',
	subsystem: 'Starting SFTP',
	directory: 'Reading the working directory',
	list: 'Listing the working directory',
	command: 'Running the command',
	transfer: 'Transferring data',
};

/** What a server's refusal means, whatever protocol said it: decides what the engine tries next. */
export type Refusal = 'missingOrDenied' | 'badName';

/**
 * Failures whose fix names a field of the node: the transport says what happened in terms of paths and limits, the
 * node layer (helpers/nodeError.ts) says which field to change.
 */
export type FixInNode =
	| 'downloadOfFolder'
	| 'deleteFileOfFolder'
	| 'uploadOntoFolder'
	| 'folderNotEmpty'
	| 'targetExists'
	| 'tooManyEntries'
	| 'tooManyFolders'
	| 'walkTimeLimit';

export interface FailureDetails {
	/** The server's reply code, when a reply said it. */
	replyCode?: number;
	/** Whether trying again may succeed (a dropped connection, a temporary refusal). */
	retryable?: boolean;
	refusal?: Refusal;
	fixInNode?: FixInNode;
	/** The last lines of the (redacted) connection log when the failure happened. */
	connectionLog?: string[];
	/**
	 * The underlying library's own words (e.g. OpenSSL's error stack), when the message only quotes their gist:
	 * shown after the explanation, for whoever has to look it up.
	 */
	detail?: string;
}

/**
 * A failure explained for people: `message` names the cause, `hint` says what to do about it. Immutable: a layer that
 * knows more makes a new one with `with`.
 */
export class RemoteFailure extends Error {
	readonly replyCode?: number;
	readonly retryable: boolean;
	readonly refusal?: Refusal;
	readonly fixInNode?: FixInNode;
	readonly connectionLog: string[];
	readonly detail?: string;

	constructor(
		readonly step: FailureStep,
		message: string,
		readonly hint: string,
		details: FailureDetails = {},
	) {
		super(message);
		this.name = 'RemoteFailure';
		this.replyCode = details.replyCode;
		this.retryable = details.retryable ?? false;
		this.refusal = details.refusal;
		this.fixInNode = details.fixInNode;
		this.connectionLog = details.connectionLog ?? [];
		this.detail = details.detail;
	}

	with(changes: FailureDetails & { message?: string; hint?: string }): RemoteFailure {
		return new RemoteFailure(
			this.step,
			changes.message ?? this.message,
			changes.hint ?? this.hint,
			{
				replyCode: this.replyCode,
				retryable: this.retryable,
				refusal: this.refusal,
				fixInNode: this.fixInNode,
				connectionLog: this.connectionLog,
				detail: this.detail,
				...changes,
			},
		);
	}
}

/** A cause the engine found itself (e.g. fewer bytes than the server announced) that a new attempt may cure. */
export class TransientFailure extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TransientFailure';
	}
}

/** A read from an offset that the server refused: a download interrupted there cannot be resumed. */
export class ResumeRefused extends Error {
	constructor(
		message: string,
		readonly replyCode?: number,
	) {
		super(message);
		this.name = 'ResumeRefused';
	}
}

/** What the failing code was doing, to make messages concrete. */
export interface FailureContext {
	step: FailureStep;
	host?: string;
	port?: number;
	/** FTP: how TLS is used, for hints about a wrong mode. */
	security?: 'none' | 'explicit' | 'implicit';
	timeoutMs?: number;
	/** The remote path the command was about, if any. */
	path?: string;
	/** What the command was meant to do, e.g. "download". */
	action?: string;
	/** Bytes that had already moved when a transfer failed. */
	bytesTransferred?: number;
	/** FTP: who opens data connections: we (passive, the default) or the server (active). */
	dataConnection?: 'passive' | 'active';
	/** FTP: whether the credential logs in anonymously, for hints about a refused login. */
	anonymous?: boolean;
}

/** Whether trying again may succeed; raw errors of a protocol are judged by that protocol. */
export function isRetryable(error: unknown, protocolSays: (error: unknown) => boolean): boolean {
	if (error instanceof TransientFailure) return true;
	if (error instanceof RemoteFailure) return error.retryable;
	return protocolSays(error);
}

/** Runs `work` and hands back its failure instead of throwing it, for callers that explain some failures better. */
export async function failureOf(work: Promise<unknown>): Promise<RemoteFailure | undefined> {
	return await work.then(
		() => undefined,
		(failure: RemoteFailure) => failure,
	);
}
