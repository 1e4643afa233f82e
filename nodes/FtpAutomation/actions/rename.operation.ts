import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { DEFAULTS, movePath, type UseSession } from '../transport';
import { inVersion, LAYOUT_2_VERSIONS, optionsField, ownField, remotePathField } from './fields';
import { operationInput } from './operationInput';

const pathFields: INodeProperties[] = [
	remotePathField('rename', {
		name: 'oldPath',
		displayName: 'Old Path',
		placeholder: '/inbound/orders.csv',
		description: 'Remote file or folder to rename or move',
	}),
	remotePathField('rename', {
		name: 'newPath',
		displayName: 'New Path',
		placeholder: '/archive/2026/orders.csv',
		description: 'New name, or a path in another folder to move it there',
	}),
];

const createDirectoriesOption: INodeProperties = {
	displayName: 'Create Directories',
	name: 'createDirectories',
	type: 'boolean',
	default: DEFAULTS.renameCreatesDirectories,
	description: 'Whether to create missing folders on the way to the new path',
};

export const description: INodeProperties[] = [
	...inVersion(1, [...pathFields, optionsField('rename', [createDirectoriesOption])]),
	...inVersion(LAYOUT_2_VERSIONS, [
		...pathFields,
		ownField('rename', createDirectoriesOption),
		optionsField('rename', []),
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const options = operationInput(this, itemIndex, 'rename').options as {
		createDirectories?: boolean;
	};
	const oldPath = this.getNodeParameter('oldPath', itemIndex);
	const newPath = this.getNodeParameter('newPath', itemIndex);
	const createDirectories = options.createDirectories ?? DEFAULTS.renameCreatesDirectories;
	const result = await use(async (session) => {
		const from = session.resolve(oldPath, 'Old Path');
		const to = session.resolve(newPath, 'New Path');
		await movePath(session, from, to, { createDirectories });
		return { oldPath: from, newPath: to };
	});
	return [{ json: result, pairedItem: { item: itemIndex } }];
}
