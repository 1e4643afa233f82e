import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import { toConnectionSettings, toSftpSettings, type ConnectionSettings } from '../transport';

/** The connection settings of the credential the node's Protocol chose (FTP / FTPS unless set: older workflows). */
export async function connectionSettingsOf(
	context: IExecuteFunctions | IPollFunctions,
): Promise<ConnectionSettings> {
	const protocol =
		'getInputData' in context
			? context.getNodeParameter('protocol', 0, 'ftp')
			: context.getNodeParameter('protocol', 'ftp');
	return protocol === 'sftp'
		? toSftpSettings(await context.getCredentials('sftpAutomationApi'))
		: toConnectionSettings(await context.getCredentials('ftpAutomationApi'));
}
