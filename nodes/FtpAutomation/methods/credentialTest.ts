import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	RemoteFailure,
	SessionPool,
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
	let pool: SessionPool | undefined;
	try {
		const checked = toConnectionSettings(credential.data ?? {});
		settings = checked;
		const addresses = await lookUpHost(checked); // step 1
		await reachPort(checked, addresses); // step 2
		pool = await SessionPool.open(checked, 1); // steps 3 (TLS), 4 (login), 5 (PWD)
		const message = await pool.use(async (session) => {
			// One listing of the login folder proves the data connection (step 6).
			const { entries } = await session.listFolder(session.homeDirectory);
			return describeSuccess(checked, session, entries.length);
		});
		return { status: 'OK', message };
	} catch (error) {
		if (error instanceof StepFailure) {
			return { status: 'Error', message: describeFailure(error.step, error.failure) };
		}
		if (error instanceof RemoteFailure) {
			const step = settings ? diagnosticStep(error, settings.security) : 0;
			return { status: 'Error', message: describeFailure(step, error) };
		}
		return {
			status: 'Error',
			message: `The connection test failed: ${error instanceof Error ? error.message : String(error)}`,
		};
	} finally {
		pool?.close();
	}
}
