import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { UseSession } from '../transport';

export type FtpOperation = 'list' | 'download' | 'upload' | 'delete' | 'rename' | 'createFolder';

/** Every operation handles one input item, on connections lent by the node's pool (`use`). */
export type OperationExecute = (
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
) => Promise<INodeExecutionData[]>;
