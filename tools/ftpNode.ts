import type {
	ICredentialDataDecryptedObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { FtpAutomation } from '../nodes/FtpAutomation/FtpAutomation.node';
import { runNode } from './n8nHarness';

/**
 * Runs the FTP Automation node once through n8n's real execution context, as one node of a workflow. The credential
 * is the type the node's Protocol asks for (`sftpAutomationApi` when `parameters.protocol` is 'sftp').
 */
export async function runFtpNode(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	options: { items?: INodeExecutionData[]; continueOnFail?: boolean } = {},
): Promise<INodeExecutionData[]> {
	return await runNode({
		nodeType: new FtpAutomation(),
		parameters,
		credentials: {
			[parameters.protocol === 'sftp' ? 'sftpAutomationApi' : 'ftpAutomationApi']: credentials,
		},
		...options,
	});
}
