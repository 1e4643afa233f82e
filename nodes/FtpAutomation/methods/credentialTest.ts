import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	FtpFailure,
	FtpSession,
	toConnectionSettings,
	type ConnectionSettings,
} from '../transport';
import {
	describeFailure,
	describeSuccess,
	diagnosticStep,
	lookUpHost,
	reachPort,
	StepFailure,
} from './connectionSteps';

/**
 * Walks DNS lookup → TCP connection → TLS handshake → login → working directory → data connection (a LIST of
 * the working directory) and reports the first step that failed, with the cause and the fix, as the node's
 * errors do; on success, a one-line summary of what the server offers.
 */
export async function ftpAutomationApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let settings: ConnectionSettings | undefined;
	let session: FtpSession | undefined;
	try {
		settings = toConnectionSettings(credential.data ?? {});
		const addresses = await lookUpHost(settings); // step 1
		await reachPort(settings, addresses); // step 2
		session = await FtpSession.open(settings); // steps 3 (TLS), 4 (login), 5 (PWD)
		const entries = await session.list('.'); // step 6
		return { status: 'OK', message: describeSuccess(settings, session, entries.length) };
	} catch (error) {
		if (error instanceof StepFailure) {
			return { status: 'Error', message: describeFailure(error.step, error.failure) };
		}
		if (error instanceof FtpFailure) {
			const step = settings ? diagnosticStep(error, settings.security) : 0;
			return { status: 'Error', message: describeFailure(step, error) };
		}
		return {
			status: 'Error',
			message: `The connection test failed: ${error instanceof Error ? error.message : String(error)}`,
		};
	} finally {
		session?.close();
	}
}
