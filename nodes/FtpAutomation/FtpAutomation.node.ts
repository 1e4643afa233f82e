import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as createFolder from './actions/createFolder.operation';
import * as deleteOperation from './actions/delete.operation';
import * as download from './actions/download.operation';
import * as list from './actions/list.operation';
import * as rename from './actions/rename.operation';
import { router } from './actions/router';
import * as upload from './actions/upload.operation';
import { protocolField } from './descriptions/sharedFields';
import { subtitleInWords } from './descriptions/subtitle';
import { ftpAutomationApiTest, sftpAutomationApiTest } from './methods';

const operationField: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	default: 'list',
	options: [
		{
			name: 'Create Folder',
			value: 'createFolder',
			description: 'Create a folder',
			action: 'Create a folder',
		},
		{
			name: 'Delete',
			value: 'delete',
			description: 'Delete a file or folder',
			action: 'Delete a file or folder',
		},
		{
			name: 'Download',
			value: 'download',
			description: 'Download a file as binary data',
			action: 'Download a file',
		},
		{
			name: 'List',
			value: 'list',
			description: 'List the contents of a folder',
			action: 'List a folder',
		},
		{
			name: 'Rename or Move',
			value: 'rename',
			description: 'Rename or move a file or folder',
			action: 'Rename or move a file or folder',
		},
		{
			name: 'Upload',
			value: 'upload',
			description: 'Upload binary data or text as a file',
			action: 'Upload a file',
		},
	],
};

export class FtpAutomation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'FTP Automation',
		name: 'ftpAutomation',
		icon: { light: 'file:ftpAutomation.svg', dark: 'file:ftpAutomation.dark.svg' },
		group: ['input'],
		// Version 2 shows what changes an operation's behaviour as fields of their own (actions/operationInput.ts);
		// workflows saved with version 1 keep its layout. Version 3 has version 2's fields; its Download also outputs
		// modifiedAt (see LAYOUT_2_VERSIONS in actions/fields.ts).
		version: [1, 2, 3],
		defaultVersion: 3,
		subtitle: subtitleInWords('operation', operationField.options as INodePropertyOptions[], [
			'path',
			'folder',
			'oldPath',
		]),
		description:
			'List, download, upload, delete, rename and create folders on FTP, FTPS and SFTP servers',
		defaults: { name: 'FTP Automation' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// Written out here, not shared: n8n's linter reads testedBy from the node file itself.
		credentials: [
			{
				name: 'ftpAutomationApi',
				required: true,
				testedBy: 'ftpAutomationApiTest',
				displayOptions: { show: { protocol: ['ftp'] } },
			},
			{
				name: 'sftpAutomationApi',
				required: true,
				testedBy: 'sftpAutomationApiTest',
				displayOptions: { show: { protocol: ['sftp'] } },
			},
		],
		properties: [
			protocolField,
			operationField,
			...list.description,
			...download.description,
			...upload.description,
			...deleteOperation.description,
			...rename.description,
			...createFolder.description,
		],
	};

	methods = { credentialTest: { ftpAutomationApiTest, sftpAutomationApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
