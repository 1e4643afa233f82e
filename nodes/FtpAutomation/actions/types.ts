import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { FtpSession } from '../transport';

export type FtpOperation = 'list' | 'download' | 'upload' | 'delete' | 'rename' | 'createFolder';

/** Every operation handles one input item on the node's shared connection. */
export type OperationExecute = (
	this: IExecuteFunctions,
	session: FtpSession,
	itemIndex: number,
) => Promise<INodeExecutionData[]>;
