import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { Readable } from 'node:stream';

import {
	checksumOutput,
	modifiedAtOptions,
	uploadVerifyChecksumOption,
} from '../descriptions/integrityFields';
import { binaryInputSource } from '../helpers/binaryInput';
import {
	DEFAULTS,
	modifiedAtOf,
	RemoteFailure,
	uploadFile,
	type IfExists,
	type UseSession,
} from '../transport';
import {
	concurrencyOption,
	inVersion,
	LAYOUT_2_VERSIONS,
	optionsField,
	ownField,
	remotePathField,
	retriesOption,
	shownFor,
} from './fields';
import { nodeParameter, operationInput } from './operationInput';

const fileToWrite = {
	placeholder: '/outbound/report.csv',
	description:
		'Remote file to write, including its name. An existing file is replaced unless If File Exists says otherwise.',
};

/** Where the data comes from: a binary field of the input item, or text. */
const sourceFields: INodeProperties[] = [
	{
		displayName: 'Binary File',
		name: 'binaryData',
		type: 'boolean',
		default: true,
		description:
			'Whether to upload a file from a binary field of the input item; turn off to upload text',
		displayOptions: shownFor('upload'),
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to upload',
		displayOptions: shownFor('upload', { binaryData: [true] }),
	},
	{
		displayName: 'File Content',
		name: 'fileContent',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'Text to write to the file (UTF-8)',
		displayOptions: shownFor('upload', { binaryData: [false] }),
	},
];

const createDirectoriesOption: INodeProperties = {
	displayName: 'Create Directories',
	name: 'createDirectories',
	type: 'boolean',
	default: DEFAULTS.uploadCreatesDirectories,
	description: 'Whether to create missing folders on the way to the file',
};

const ifExistsOption: INodeProperties = {
	displayName: 'If File Exists',
	name: 'ifExists',
	type: 'options',
	default: DEFAULTS.ifExists,
	options: [
		{ name: 'Overwrite', value: 'overwrite', description: 'Replace the existing file' },
		{
			name: 'Skip',
			value: 'skip',
			description: 'Leave the existing file alone; the output item says skipped: true',
		},
		{ name: 'Fail', value: 'error', description: 'Fail the item with an error' },
		{
			name: 'Append',
			value: 'append',
			description:
				'Add the data to the end of the existing file (APPE; creates it if missing; no temporary file)',
		},
	],
};

const safeUploadOption: INodeProperties = {
	displayName: 'Safe Upload (Temporary Name)',
	name: 'atomicUpload',
	type: 'boolean',
	default: DEFAULTS.atomicUpload,
	description:
		'Whether to upload to a hidden temporary name (.NAME.RANDOM.part) in the target folder and rename it onto the target only once the server has confirmed the whole file (and, where it supports SIZE, its size). A failed upload is deleted, so the target never holds a partial file. Turn off for servers that forbid renaming; a failed upload may then leave a partial file.',
};

export const description: INodeProperties[] = [
	...inVersion(1, [
		remotePathField('upload', fileToWrite),
		...sourceFields,
		optionsField('upload', [
			createDirectoriesOption,
			ifExistsOption,
			safeUploadOption,
			concurrencyOption,
			retriesOption,
			uploadVerifyChecksumOption,
			...modifiedAtOptions,
		]),
	]),
	...inVersion(LAYOUT_2_VERSIONS, [
		remotePathField('upload', fileToWrite),
		...sourceFields,
		ownField('upload', ifExistsOption),
		// Appending writes to the file itself: there is no temporary name to choose.
		ownField('upload', safeUploadOption, {
			ifExists: ['overwrite', 'skip', 'error'],
		}),
		ownField('upload', createDirectoriesOption),
		ownField('upload', retriesOption),
		optionsField('upload', [concurrencyOption, uploadVerifyChecksumOption, ...modifiedAtOptions]),
	]),
];

export async function execute(
	this: IExecuteFunctions,
	use: UseSession,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const input = operationInput(this, itemIndex, 'upload');
	const options = input.options as {
		createDirectories?: boolean;
		ifExists?: IfExists;
		atomicUpload?: boolean;
		retries?: number;
		verifyChecksum?: boolean;
		preserveModifiedAt?: boolean;
		modifiedAt?: string;
	};
	const modifiedAt = options.preserveModifiedAt
		? timeToKeep(options.modifiedAt, this.getInputData()[itemIndex]?.json.modifiedAt)
		: undefined;
	const text = nodeParameter(this, 'binaryData', itemIndex)
		? undefined
		: Buffer.from(nodeParameter(this, 'fileContent', itemIndex) as string, 'utf8');
	const openSource =
		text === undefined
			? binaryInputSource.call(
					this,
					itemIndex,
					nodeParameter(this, 'binaryPropertyName', itemIndex) as string,
				)
			: async () => Readable.from(text);
	const result = await use(
		async (session) =>
			await uploadFile(session, openSource, session.resolve(input.path), {
				createDirectories: options.createDirectories ?? DEFAULTS.uploadCreatesDirectories,
				ifExists: options.ifExists ?? DEFAULTS.ifExists,
				atomic: options.atomicUpload ?? DEFAULTS.atomicUpload,
				retries: options.retries ?? DEFAULTS.retries,
				verifyChecksum: options.verifyChecksum === true,
				...(modifiedAt !== undefined && { modifiedAt }),
			}),
	);
	const { checksum, ...rest } = result;
	return [{ json: { ...rest, ...checksumOutput(checksum) }, pairedItem: { item: itemIndex } }];
}

/** The time Preserve Modification Time sets: the option's, else the input item's modifiedAt. */
function timeToKeep(fromOption: string | undefined, fromItem: unknown): string {
	const given = (fromOption ?? '').trim();
	const time = modifiedAtOf(given === '' ? fromItem : given);
	if (time !== undefined) return time;
	throw new RemoteFailure(
		'input',
		given === ''
			? fromItem === undefined || fromItem === null || fromItem === ''
				? 'Preserve Modification Time is on, but neither the Modification Time option nor the input item (its modifiedAt field) gives a time'
				: `The input item's modifiedAt ("${String(fromItem).slice(0, 60)}") is not a time`
			: `The Modification Time "${given.slice(0, 60)}" is not a time`,
		'Give the time as ISO 8601 (e.g. 2024-05-01T12:00:00Z) in Modification Time, or pass items from List or Download, which carry modifiedAt.',
	);
}
