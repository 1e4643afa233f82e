import { posix } from 'node:path';
import { Writable } from 'node:stream';

import type { ChecksumAlgorithm } from '../contract';
import { RemoteFailure } from '../failures';
import type { RemoteSession } from '../session';
import { hexValue } from './algorithms';

/** A sidecar holds one line (`sha256sum` output) or a few: more than this is not a sidecar. */
export const SIDECAR_MAX_BYTES = 4096;

/** Sidecar names beside a file, strongest first (CRC32 has no common sidecar format). */
const SIDECAR_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha512', 'sha256', 'sha1', 'md5'];

export function sidecarPathOf(path: string, algorithm: ChecksumAlgorithm): string {
	return `${path}.${algorithm}`;
}

/**
 * The value for `fileName` in a sidecar's text: bare hex, or `sha256sum` lines (`HASH  name` or `HASH *name` in
 * binary mode). A file with lines for other names only, or anything else, does not parse (undefined).
 */
export function parseSidecar(
	text: string,
	fileName: string,
	algorithm: ChecksumAlgorithm,
): string | undefined {
	const lines = text
		.split(/\r?\n/)
		.map((line) => line.trim())
		.filter((line) => line !== '' && !line.startsWith('#'));
	if (lines.length === 1 && !/\s/.test(lines[0])) return hexValue(lines[0], algorithm);
	for (const line of lines) {
		const match = /^([0-9a-fA-F]+)\s[ *]?(.+)$/.exec(line);
		if (match && posix.basename(match[2].trim()) === fileName) return hexValue(match[1], algorithm);
	}
	return undefined;
}

/** Collects a small download, failing as soon as it grows beyond `limit` bytes. */
class BoundedBuffer extends Writable {
	private readonly chunks: Buffer[] = [];
	private bytes = 0;

	constructor(private readonly limit: number) {
		super();
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error) => void) {
		this.bytes += chunk.length;
		if (this.bytes > this.limit) {
			callback(new Error(`more than ${this.limit} bytes`));
			return;
		}
		this.chunks.push(chunk);
		callback();
	}

	text(): string {
		return Buffer.concat(this.chunks).toString('utf8');
	}
}

/** The first sidecar found beside `path` (strongest algorithm first), read and parsed; undefined when none exists. */
export async function readSidecar(
	session: RemoteSession,
	path: string,
): Promise<{ algorithm: ChecksumAlgorithm; value: string; sidecar: string } | undefined> {
	for (const algorithm of SIDECAR_ALGORITHMS) {
		const sidecar = sidecarPathOf(path, algorithm);
		const found = await session.stat(sidecar, 'look for the checksum file');
		if (found?.type !== 'file') continue;
		if (found.size !== undefined && found.size > SIDECAR_MAX_BYTES) {
			throw new RemoteFailure(
				'input',
				`The checksum file "${sidecar}" has ${found.size} bytes: a sidecar of one file holds one line`,
				`Put only the ${algorithm} of "${posix.basename(path)}" in it (the output of ${algorithm}sum for that file), or turn off Verify Checksum.`,
			);
		}
		const buffer = new BoundedBuffer(SIDECAR_MAX_BYTES);
		await session.command(
			'read the checksum file',
			sidecar,
			async (connection) => await connection.read(sidecar, buffer, 0),
		);
		const value = parseSidecar(buffer.text(), posix.basename(path), algorithm);
		if (value === undefined) {
			throw new RemoteFailure(
				'input',
				`The checksum file "${sidecar}" holds no ${algorithm} for "${posix.basename(path)}" (expected ${algorithm}sum's "HASH  ${posix.basename(path)}" or the bare hex value)`,
				`Write the sidecar with "${algorithm}sum ${posix.basename(path)} > ${posix.basename(sidecar)}", or turn off Verify Checksum.`,
			);
		}
		return { algorithm, value, sidecar };
	}
	return undefined;
}
