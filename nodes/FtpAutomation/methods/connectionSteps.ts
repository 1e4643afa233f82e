import { promises as dns, type LookupAddress } from 'node:dns';
import { connect, isIP } from 'node:net';

import {
	explainFailure,
	RemoteFailure,
	STEP_LABELS,
	type ConnectionSettings,
	type FailureContext,
	type RemoteSession,
	type Security,
} from '../transport';

/** The steps the credential test walks, in order; a failure is reported as "Step n of 6, <label>". */
export const DIAGNOSTIC_STEPS = [
	'DNS lookup',
	'TCP connection',
	'TLS handshake',
	'login',
	'working directory',
	'data connection',
] as const;

/** The SFTP credential test's steps. */
export const SFTP_DIAGNOSTIC_STEPS = [
	'DNS lookup',
	'TCP connection',
	'SSH handshake',
	'authentication',
	'SFTP subsystem',
	'listing the login folder',
] as const;

type StepLabels = typeof DIAGNOSTIC_STEPS | typeof SFTP_DIAGNOSTIC_STEPS;

/** 1–6: a position in DIAGNOSTIC_STEPS; 0: before any step (the credential itself is invalid). */
export type DiagnosticStep = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** A failure, explained as the node explains it, and the diagnostic step it happened in. */
export class StepFailure extends Error {
	constructor(
		readonly step: DiagnosticStep,
		readonly failure: RemoteFailure,
	) {
		super(failure.message);
		this.name = 'StepFailure';
	}
}

/**
 * Where a failure of opening a session falls among the diagnostic steps, given that DNS and TCP already worked.
 * Opening labels its failures 'connect' (greeting; for implicit FTPS also the TLS handshake), 'tls',
 * 'login' and 'directory' (PWD); listing fails as 'command'.
 */
export function diagnosticStep(failure: RemoteFailure, security: Security): DiagnosticStep {
	switch (failure.step) {
		case 'handshake':
			return 3;
		case 'subsystem':
			return 5;
		case 'settings':
		case 'input':
			return 0;
		case 'connect':
			return security === 'implicit' ? 3 : 2;
		case 'tls':
			return 3;
		case 'login':
			return 4;
		case 'directory':
			return 5;
		default:
			return 6;
	}
}

/**
 * Where a failure of opening an SFTP session falls, given that DNS and TCP already worked: a connection closed
 * before the server identified itself failed in the handshake.
 */
export function sftpDiagnosticStep(failure: RemoteFailure): DiagnosticStep {
	switch (failure.step) {
		case 'settings':
		case 'input':
			return 0;
		case 'connect':
		case 'tls':
		case 'handshake':
			return 3;
		case 'login':
			return 4;
		case 'subsystem':
		case 'directory':
			return 5;
		default:
			return 6;
	}
}

/**
 * "Step 2 of 6, TCP connection: <cause> — <fix>", as one line for n8n's credential dialog (it shows the text as is,
 * without line breaks); a library's own words (OpenSSL's error stack) come last, after the explanation.
 */
export function describeFailure(
	step: DiagnosticStep,
	failure: RemoteFailure,
	steps: StepLabels = DIAGNOSTIC_STEPS,
): string {
	const where =
		step === 0 ? STEP_LABELS.settings : `Step ${step} of ${steps.length}, ${steps[step - 1]}`;
	const detail = failure.detail === undefined ? '' : ` (${failure.detail})`;
	return `${where}: ${failure.message} — ${failure.hint}${detail}`.replace(/\s*\n\s*/g, ' ');
}

/** Rejects with the failure explained as the node explains it, marked with its diagnostic step. */
function failAt(
	step: DiagnosticStep,
	context: FailureContext,
	explain: Explain,
): (error: unknown) => never {
	return (error) => {
		throw new StepFailure(step, explain(error, context));
	};
}

/** How the protocol being tested explains an error (its hints name its own ports). */
export type Explain = (error: unknown, context: FailureContext) => RemoteFailure;

/** Step 1: the host's addresses (an IP address is its own). */
export async function lookUpHost(
	settings: ConnectionSettings,
	explain: Explain = explainFailure,
): Promise<LookupAddress[]> {
	const { host, port } = settings;
	const family = isIP(host);
	if (family !== 0) return [{ address: host, family }];
	return await dns
		.lookup(host, { all: true })
		.catch(
			failAt(
				1,
				{ step: 'connect', host, port, action: `look up the host name "${host}"` },
				explain,
			),
		);
}

/** Step 2: a plain TCP connection to the port (before any TLS, also for implicit FTPS), closed at once. */
export async function reachPort(
	settings: ConnectionSettings,
	addresses: LookupAddress[],
	explain: Explain = explainFailure,
): Promise<void> {
	const { host, port, timeoutMs } = settings;
	await new Promise<void>((resolve, reject) => {
		const socket = connect({
			host,
			port,
			timeout: timeoutMs,
			// The addresses of step 1, so the name is not looked up again (tried in turn, as Node does).
			lookup: (_name, options, callback) =>
				options.all
					? callback(null, addresses)
					: callback(null, addresses[0].address, addresses[0].family),
		});
		socket.once('connect', () => {
			socket.destroy();
			resolve();
		});
		socket.once('timeout', () => {
			socket.destroy();
			reject(Object.assign(new Error('TCP connection timeout'), { code: 'ETIMEDOUT' }));
		});
		socket.once('error', (error) => {
			socket.destroy();
			reject(error);
		});
		// Without `security`: nothing was said yet, so a timeout here is no hint at a mix-up of FTPS modes.
	}).catch(failAt(2, { step: 'connect', host, port, timeoutMs }, explain));
}

/** The one-line summary of a successful test. */
export function describeSuccess(
	settings: ConnectionSettings,
	session: RemoteSession,
	entries: number,
): string {
	const { security, greeting, notes } = session.facts;
	const as = settings.protocol === 'sftp' ? 'authenticated' : 'logged in';
	// Very long greetings (ASCII art) are cut.
	const shown = greeting.length > 200 ? `${greeting.slice(0, 199)}…` : greeting;
	return [
		`Connected to ${settings.host}:${settings.port} over ${security}, ${as} as ${settings.user},`,
		`listed ${session.homeDirectory} (${entries} ${entries === 1 ? 'entry' : 'entries'}).`,
		`Server: ${shown === '' ? '(no greeting text)' : `"${shown}"`}.`,
		...notes,
	].join(' ');
}
