import { createHash, type Hash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';

import type { ChecksumAlgorithm } from '../contract';
import { RemoteFailure } from '../failures';
import { ForwardingSink } from '../streams';

/** Strongest first: the order in which an algorithm is chosen when a server offers several. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = [
	'sha512',
	'sha256',
	'sha1',
	'md5',
	'crc32',
];

/** How many hex digits each algorithm's value has: a value of another length is not one of its hashes. */
export const HEX_DIGITS: Record<ChecksumAlgorithm, number> = {
	sha512: 128,
	sha256: 64,
	sha1: 40,
	md5: 32,
	crc32: 8,
};

export function strongestOf(
	offered: readonly ChecksumAlgorithm[] | undefined,
): ChecksumAlgorithm | undefined {
	return CHECKSUM_ALGORITHMS.find((algorithm) => offered?.includes(algorithm));
}

/**
 * A hash fed chunk by chunk while the bytes stream past, so that a file of any size is hashed without being held.
 * CRC32 comes from zlib.crc32 (Node >= 20.15 / 22.2; package.json requires >= 20.19), which continues a running value.
 */
export class StreamHash {
	private readonly hash: Hash | undefined;
	private crc = 0;

	constructor(readonly algorithm: ChecksumAlgorithm) {
		this.hash = algorithm === 'crc32' ? undefined : createHash(algorithm);
	}

	update(chunk: Buffer): void {
		if (this.hash === undefined) this.crc = crc32(chunk, this.crc);
		else this.hash.update(chunk);
	}

	/** Lowercase hex; call once, after the last chunk. */
	digest(): string {
		return this.hash === undefined
			? this.crc.toString(16).padStart(HEX_DIGITS.crc32, '0')
			: this.hash.digest('hex');
	}
}

/**
 * A server's or a sidecar's value as lowercase hex of the algorithm's length, or undefined when it is anything else
 * (a reply is untrusted input: only hex digits of the exact length are taken). Servers drop CRC32's leading zeros.
 */
export function hexValue(text: string, algorithm: ChecksumAlgorithm): string | undefined {
	const digits = HEX_DIGITS[algorithm];
	if (text.length > digits || !/^[0-9a-fA-F]+$/.test(text)) return undefined;
	if (algorithm === 'crc32') return text.toLowerCase().padStart(digits, '0');
	return text.length === digits ? text.toLowerCase() : undefined;
}

/** The checksum a transfer was verified with: what the output reports. */
export interface VerifiedChecksum {
	algorithm: ChecksumAlgorithm;
	/** Lowercase hex. */
	value: string;
	verified: true;
	/** Who computed the value compared with: the server, or a sidecar file beside the file. */
	source: 'server' | 'sidecar';
}

/** Compares the hash of the bytes transferred with the expected one; a mismatch is not worth retrying. */
export function verifiedOrFailure(
	path: string,
	computed: string,
	expected: { algorithm: ChecksumAlgorithm; value: string; source: 'server' | 'sidecar' },
	direction: 'download' | 'upload',
): VerifiedChecksum {
	if (computed === expected.value) return { ...expected, verified: true };
	const theirs =
		expected.source === 'server'
			? `the server computed ${expected.value}`
			: `its sidecar file says ${expected.value}`;
	throw new RemoteFailure(
		'transfer',
		`The ${expected.algorithm.toUpperCase()} checksum of "${path}" does not match: the ${direction === 'download' ? 'downloaded' : 'uploaded'} bytes hash to ${computed}, ${theirs}`,
		direction === 'download'
			? 'The file changed on the server during or after the download, or its sidecar file belongs to another version of it. Download it again once it is complete; if this repeats, compare the file with its source.'
			: 'The file was damaged on the way or changed on the server right after the upload; the uploaded copy was removed. Upload it again.',
		{ retryable: false },
	);
}

/** The failure when neither the server nor a sidecar file can tell a file's checksum. */
export function cannotComputeChecksums(
	path: string,
	direction: 'download' | 'upload',
): RemoteFailure {
	return new RemoteFailure(
		'input',
		`The server cannot compute checksums, so "${path}" cannot be verified${direction === 'upload' ? ' (nothing was uploaded)' : ' (nothing was downloaded)'}`,
		direction === 'download'
			? 'Turn off Verify Checksum, or put a sidecar file beside the file (e.g. "name.sha256" with the output of sha256sum), or use a server that computes hashes (FTP: HASH or XSHA256 as ProFTPD mod_digest offers; SFTP: the check-file extension).'
			: 'Turn off Verify Checksum, or upload to a server that computes hashes (FTP: HASH or XSHA256 as ProFTPD mod_digest offers; SFTP: the check-file extension).',
	);
}

/** A download attempt's destination that also hashes exactly the bytes it counts (resumed attempts continue it). */
export class HashingSink extends ForwardingSink {
	constructor(
		target: Writable,
		onBytes: (count: number) => void,
		private readonly hash: StreamHash | undefined,
	) {
		super(target, onBytes);
	}

	override _write(
		chunk: Buffer,
		encoding: BufferEncoding,
		callback: (error?: Error) => void,
	): void {
		const before = this.bytes;
		super._write(chunk, encoding, callback);
		// ForwardingSink counts a chunk only once it is handed on (not when the store has failed).
		if (this.bytes !== before) this.hash?.update(chunk);
	}
}
