import type { INodeProperties } from 'n8n-workflow';

/**
 * Download's and the trigger's pickup options: claiming a file before it is downloaded, what happens to a file whose
 * download failed, and deleting the Done File that released it. They sit in an Options collection (both versions of
 * the action node, and the trigger), where n8n shows a field with displayOptions only once the user adds it from the
 * collection's list: the descriptions say so. helpers/downloadToBinary.ts reads the values.
 */

export const claimFolderOption: INodeProperties = {
	displayName: 'Claim Folder',
	name: 'claimFolder',
	type: 'string',
	default: '',
	placeholder: '/inbound/.processing',
	description:
		'Before downloading, move the file into this folder (created if missing), so that two executions (two workflows, or several queue-mode workers) never process the same file. A file another execution has already claimed (or that is no longer there) is skipped: its item says claimed: false and has no binary data, it is not an error; a claim the server refuses while the file is still there is an error. A file of the same name already in the folder is never replaced: the claim then takes a unique name. After Download and After Failure act on the claimed file. Empty: download the file where it is.',
};

export const afterFailureOption: INodeProperties = {
	displayName: 'After Failure',
	name: 'afterFailure',
	type: 'options',
	default: 'leave',
	options: [
		{ name: 'Leave the File', value: 'leave' },
		{
			name: 'Move the File',
			value: 'moveTo',
			description:
				'Move it into Failed Folder, so that a file that cannot be downloaded does not stop every later run',
		},
	],
	description:
		'What to do with the remote file when its download fails (transfer, size or checksum check, too large for n8n): the item fails either way, and its error says where the file is. Not done when the server cannot be reached or the file does not exist. "Move the File" also needs Failed Folder, added with "Add option".',
};

export const failedFolderOption: INodeProperties = {
	displayName: 'Failed Folder',
	name: 'failedFolder',
	type: 'string',
	default: '',
	placeholder: '/inbound/failed',
	description:
		'Folder to move a file whose download failed into (created if missing); a file of the same name there is never replaced: the moved file then takes a unique name',
	displayOptions: { show: { afterFailure: ['moveTo'] } },
};

export const deleteDoneFileOption: INodeProperties = {
	displayName: 'Delete Done File',
	name: 'deleteDoneFile',
	type: 'boolean',
	default: false,
	description:
		"Whether to delete the file's Done File marker (the input item's doneFile field, set by List with a Done File rule) after a successful download and After Download. A marker already gone is fine. A folder marker (such as _SUCCESS) is deleted by the last input item that names it.",
};

/** All pickup options, in the order the editor shows them. */
export const pickupOptions: INodeProperties[] = [
	claimFolderOption,
	afterFailureOption,
	failedFolderOption,
	deleteDoneFileOption,
];
