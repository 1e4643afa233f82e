import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	explainFailure,
	explainSftpFailure,
	RemoteFailure,
	SessionPool,
	toConnectionSettings,
	toSftpSettings,
	type ConnectionSettings,
} from '../transport';
import {
	describeFailure,
	describeSuccess,
	diagnosticStep,
	lookUpHost,
	reachPort,
	SFTP_DIAGNOSTIC_STEPS,
	sftpDiagnosticStep,
	StepFailure,
	type DiagnosticStep,
	type Explain,
} from './connectionSteps';

interface Diagnosis<Settings extends ConnectionSettings> {
	settingsOf: (data: ICredentialsDecrypted['data']) => Settings;
	explain: Explain;
	stepOf: (failure: RemoteFailure, settings: Settings | undefined) => DiagnosticStep;
	describe: (step: DiagnosticStep, failure: RemoteFailure) => string;
}

/**
 * Walks DNS lookup → TCP connection → the protocol's steps of opening a session → one listing of the login folder,
 * and reports the first step that failed, with the cause and the fix, as the node's errors do; on success, a
 * one-line summary of what the server offers. n8n's credential dialog shows the message of a failure only (every
 * version up to 2.41 shows its own "Connection tested successfully" on success): the summary also goes to n8n's log,
 * and the node's connection log says the same when a session opens ("Session ready: …").
 */
async function diagnose<Settings extends ConnectionSettings>(
	context: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
	diagnosis: Diagnosis<Settings>,
): Promise<INodeCredentialTestResult> {
	let settings: Settings | undefined;
	let pool: SessionPool | undefined;
	try {
		const checked = diagnosis.settingsOf(credential.data ?? {});
		settings = checked;
		const addresses = await lookUpHost(checked, diagnosis.explain); // step 1
		await reachPort(checked, addresses, diagnosis.explain); // step 2
		pool = await SessionPool.open(checked, 1); // the protocol's steps of opening a session
		const message = await pool.use(async (session) => {
			// One listing of the login folder proves the last step (FTP: the data connection).
			const { entries } = await session.listFolder(session.homeDirectory);
			return describeSuccess(checked, session, entries.length);
		});
		context.logger?.info(`Credential test of "${credential.name}" succeeded: ${message}`);
		return { status: 'OK', message };
	} catch (error) {
		if (error instanceof StepFailure) {
			return { status: 'Error', message: diagnosis.describe(error.step, error.failure) };
		}
		if (error instanceof RemoteFailure) {
			return {
				status: 'Error',
				message: diagnosis.describe(diagnosis.stepOf(error, settings), error),
			};
		}
		return {
			status: 'Error',
			message: `The connection test failed: ${error instanceof Error ? error.message : String(error)}`,
		};
	} finally {
		pool?.close();
	}
}

/** FTP / FTPS: DNS → TCP → TLS handshake → login → working directory → data connection (a LIST). */
export async function ftpAutomationApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	return await diagnose(this, credential, {
		settingsOf: (data) => toConnectionSettings(data ?? {}),
		explain: explainFailure,
		stepOf: (failure, settings) => (settings ? diagnosticStep(failure, settings.security) : 0),
		describe: (step, failure) => describeFailure(step, failure),
	});
}

/** SFTP: DNS → TCP → SSH handshake (algorithms, host key) → authentication → SFTP subsystem → list the login folder. */
export async function sftpAutomationApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	return await diagnose(this, credential, {
		settingsOf: (data) => toSftpSettings(data ?? {}),
		explain: explainSftpFailure,
		stepOf: (failure) => sftpDiagnosticStep(failure),
		describe: (step, failure) => describeFailure(step, failure, SFTP_DIAGNOSTIC_STEPS),
	});
}
