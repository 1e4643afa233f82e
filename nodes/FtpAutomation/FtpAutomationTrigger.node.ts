import {
	NodeConnectionTypes,
	type INodeExecutionData,
	type INodeProperties,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import {
	afterDownloadInOptions,
	globFilterField,
	protocolField,
	walkLimitOptions,
} from './descriptions/sharedFields';
import { verifyChecksumOption } from './descriptions/integrityFields';
import { pickupOptions } from './descriptions/pickupFields';
import { selectionOptions } from './descriptions/selectionFields';
import { subtitleInWords } from './descriptions/subtitle';
import { ftpAutomationApiTest, sftpAutomationApiTest } from './methods';
import { DEFAULTS } from './transport';
import { pollForChanges } from './trigger/poll';

/** Its options' `action` names the trigger's entries in n8n's node panel ("On new file"). */
const eventField: INodeProperties = {
	displayName: 'Trigger On',
	name: 'event',
	type: 'options',
	default: 'fileCreated',
	options: [
		{
			name: 'Changed File',
			value: 'fileUpdated',
			description: 'A file whose size or modification time changed',
			action: 'On changed file',
		},
		{
			name: 'Deleted File',
			value: 'fileDeleted',
			description:
				'A file that was there since activation (and matched the Filter and selection rules then) is gone. Its item holds the fields it had when last seen. Download does not apply.',
			action: 'On deleted file',
		},
		{
			name: 'New File',
			value: 'fileCreated',
			description: 'A file that was not there before',
			action: 'On new file',
		},
		{
			name: 'New Folder',
			value: 'folderCreated',
			description:
				'A folder that was not there before (a subfolder at any depth with Recursive). Filter, Exclude and the age rules apply to folders too. Download does not apply.',
			action: 'On new folder',
		},
		{
			name: 'New or Changed File',
			value: 'fileCreatedOrUpdated',
			description: 'A file that is new or whose size or modification time changed',
			action: 'On new or changed file',
		},
	],
};

/** Options shown only with Download: n8n shows such a field once Download is on. */
function withDownload(option: INodeProperties): INodeProperties {
	return {
		...option,
		displayOptions: { show: { download: [true], ...(option.displayOptions?.show ?? {}) } },
	};
}

/** What differs for the trigger in the pickup options' descriptions: no input items, and polls instead of runs. */
const TRIGGER_PICKUP_DESCRIPTIONS: Record<string, string> = {
	claimFolder:
		'Before downloading, move the file into this folder (created if missing), so that two activations (two workflows, or the same folder watched twice) never emit the same file. A file another one has already claimed is not emitted. A file of the same name already in the folder is never replaced: the claim then takes a unique name. After Download and After Failure act on the claimed file. A Claim Folder inside the watched folder is not watched. Empty: download the file where it is.',
	deleteDoneFile:
		"Whether to delete the file's Done File marker after a successful download and After Download. A folder marker (such as _SUCCESS) is deleted once every file it released has been emitted. A marker already gone is fine.",
};

function forTheTrigger(option: INodeProperties): INodeProperties {
	const description = TRIGGER_PICKUP_DESCRIPTIONS[option.name];
	return description === undefined ? option : { ...option, description };
}

export class FtpAutomationTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'FTP Automation Trigger',
		name: 'ftpAutomationTrigger',
		icon: { light: 'file:ftpAutomationTrigger.svg', dark: 'file:ftpAutomationTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: subtitleInWords(
			'event',
			eventField.options as INodePropertyOptions[],
			['path'],
			'in',
		),
		// n8n's node panel shows this node and FTP Automation as one entry (their names differ by "Trigger") and
		// gives that entry this description, so it speaks for both.
		description:
			'Work with files on FTP, FTPS and SFTP servers (list, download, upload, delete, rename, create folders), or start a workflow when files appear or change in a folder',
		defaults: { name: 'FTP Automation Trigger' },
		polling: true,
		inputs: [],
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
			{
				displayName: 'Folder',
				name: 'path',
				type: 'string',
				default: '/',
				required: true,
				placeholder: '/inbound',
				description:
					'Folder to watch. A relative path starts at the folder the server puts you in after login.',
			},
			{
				displayName: 'Recursive',
				name: 'recursive',
				type: 'boolean',
				default: false,
				description: 'Whether to watch the subfolders too. Symbolic links are not followed.',
			},
			globFilterField(
				'files to watch',
				' Hidden names (such as the .NAME.part files of safe uploads) only match a pattern that starts with a dot.',
			),
			eventField,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Download',
						name: 'download',
						type: 'boolean',
						default: false,
						description:
							'Whether to attach each file as binary data (field "data"), streamed into n8n',
					},
					...afterDownloadInOptions.map(withDownload),
					withDownload(verifyChecksumOption),
					...pickupOptions.map(forTheTrigger).map(withDownload),
					...selectionOptions,
					{
						displayName: 'Emit Existing Files',
						name: 'emitExisting',
						type: 'boolean',
						default: false,
						description:
							'Whether the first poll after activation emits the files already there; otherwise it only remembers them and later polls emit what is new',
					},
					{
						displayName: 'Max Files per Poll',
						name: 'maxFilesPerPoll',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: DEFAULTS.maxFilesPerPoll,
						description: 'The oldest files first; the rest come with the next polls',
					},
					{
						displayName: 'Stable For (Seconds)',
						name: 'stableFor',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'Emit a file only once its size and modification time have stayed the same across polls for at least this long, so that a file still being uploaded is not picked up. 0: emit at the first poll that sees it.',
					},
					...walkLimitOptions({ '/recursive': [true] }),
				],
			},
		],
	};

	methods = { credentialTest: { ftpAutomationApiTest, sftpAutomationApiTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollForChanges.call(this);
	}
}
