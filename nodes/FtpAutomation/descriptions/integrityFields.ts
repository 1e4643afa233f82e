import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { VerifiedChecksum } from '../transport';

/** Download's and the trigger's Verify Checksum (the trigger shows it with its download). */
export const verifyChecksumOption: INodeProperties = {
	displayName: 'Verify Checksum',
	name: 'verifyChecksum',
	type: 'boolean',
	default: false,
	description:
		"Whether to hash the file while it downloads and compare the hash with the server's (FTP: HASH or XSHA256/XSHA1/XMD5/XCRC; SFTP: the check-file extension), the strongest the server offers, or else with a sidecar file beside it (NAME.sha256, .sha512, .sha1 or .md5, as sha256sum writes it). A file that does not match fails and is not handed on. Fails with an explanation when neither exists. Output: checksum, checksumAlgorithm, checksumVerified.",
};

/** Upload's Verify Checksum: the server hashes what it stored before the file gets its name. */
export const uploadVerifyChecksumOption: INodeProperties = {
	...verifyChecksumOption,
	description:
		"Whether to hash the data while it uploads and compare the hash with the server's hash of the stored file (FTP: HASH or XSHA256/XSHA1/XMD5/XCRC; SFTP: the check-file extension) before the file gets its name. A mismatch deletes the uploaded copy and fails. A server that computes no hashes fails before anything is sent; appends cannot be verified. Output: checksum, checksumAlgorithm, checksumVerified.",
};

/** Upload's Preserve Modification Time and the time it sets. */
export const modifiedAtOptions: INodeProperties[] = [
	{
		displayName: 'Preserve Modification Time',
		name: 'preserveModifiedAt',
		type: 'boolean',
		default: false,
		description:
			"Whether to give the uploaded file a modification time (FTP: MFMT, or MDTM with a time on vsftpd; SFTP: SETSTAT), set before it gets its name: the Modification Time below, or else the input item's modifiedAt (as List and Download output it). Fails with an explanation where the server cannot set times.",
	},
	{
		displayName: 'Modification Time',
		name: 'modifiedAt',
		type: 'string',
		default: '',
		placeholder: '2024-05-01T12:00:00Z',
		description:
			"The time to set (ISO 8601, or any date JavaScript reads; whole seconds). Empty: the input item's modifiedAt.",
		displayOptions: { show: { preserveModifiedAt: [true] } },
	},
];

/** The output fields of a verified transfer (Download, the trigger, Upload); nothing when it was not verified. */
export function checksumOutput(checksum: VerifiedChecksum | undefined): IDataObject {
	if (checksum === undefined) return {};
	return {
		checksum: checksum.value,
		checksumAlgorithm: checksum.algorithm,
		checksumVerified: checksum.verified,
	};
}
