import type {
	ICredentialDataDecryptedObject,
	INodeExecutionData,
	INodeParameters,
	INodeType,
} from 'n8n-workflow';

import { FtpAutomation } from '../nodes/FtpAutomation/FtpAutomation.node';
import { runNode } from './n8nHarness';

/**
 * The node as saved in a workflow of `typeVersion`: the harness gives a node the description's `defaultVersion`,
 * as n8n does for a newly added one.
 */
export function ftpNodeOfVersion(typeVersion: number): INodeType {
	const node = new FtpAutomation();
	return Object.assign(Object.create(node) as INodeType, {
		description: { ...node.description, defaultVersion: typeVersion },
	});
}

/**
 * Runs the FTP Automation node once through n8n's real execution context, as one node of a workflow. The credential
 * is the type the node's Protocol asks for (`sftpAutomationApi` when `parameters.protocol` is 'sftp'). The
 * parameters are in the layout of `typeVersion`: 1 unless given, the layout most tests and saved workflows use.
 */
export async function runFtpNode(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	options: { items?: INodeExecutionData[]; continueOnFail?: boolean; typeVersion?: number } = {},
): Promise<INodeExecutionData[]> {
	const { typeVersion = 1, ...runOptions } = options;
	return await runNode({
		nodeType: ftpNodeOfVersion(typeVersion),
		parameters,
		credentials: {
			[parameters.protocol === 'sftp' ? 'sftpAutomationApi' : 'ftpAutomationApi']: credentials,
		},
		...runOptions,
	});
}
