import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { FtpFailure, FtpSession, STEP_LABELS, toConnectionSettings } from '../transport';

/** Connects, secures, logs in and lists the login folder; on failure names the step, the cause and the fix. */
export async function ftpAutomationApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let session: FtpSession | undefined;
	try {
		const settings = toConnectionSettings(credential.data ?? {});
		session = await FtpSession.open(settings);
		const entries = await session.list('.').catch((error: unknown) => {
			throw error instanceof FtpFailure
				? new FtpFailure('list', error.message, error.hint, error.replyCode)
				: error;
		});
		const security =
			settings.security === 'none'
				? 'plain FTP (not encrypted)'
				: settings.security === 'explicit'
					? 'explicit FTPS'
					: 'implicit FTPS';
		return {
			status: 'OK',
			message: `Connected to ${settings.host}:${settings.port} over ${security}, logged in as ${settings.user}, listed ${session.workingDirectory} (${entries.length} entries)`,
		};
	} catch (error) {
		if (error instanceof FtpFailure) {
			return {
				status: 'Error',
				message: `${STEP_LABELS[error.step]} failed: ${error.message} — ${error.hint}`,
			};
		}
		return {
			status: 'Error',
			message: `The connection test failed: ${error instanceof Error ? error.message : String(error)}`,
		};
	} finally {
		session?.close();
	}
}
