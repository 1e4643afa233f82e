import { Transform, type TransformCallback } from 'node:stream';

import type { ChecksumAlgorithm } from '../contract';
import type { RemoteSession } from '../session';
import { cannotComputeChecksums, StreamHash, strongestOf } from './algorithms';
import { readSidecar } from './sidecar';

/** Where the value a transfer is compared with comes from, decided before the first byte (to hash while streaming). */
export type ChecksumPlan =
	| { algorithm: ChecksumAlgorithm; source: 'server' }
	| { algorithm: ChecksumAlgorithm; source: 'sidecar'; value: string; sidecar: string };

/**
 * A download's plan: the server's strongest hash, else a sidecar beside the file; else the explained failure.
 * Undefined when the file itself is not there: the download then fails as it would without verification.
 */
export async function planDownloadChecksum(
	session: RemoteSession,
	path: string,
): Promise<ChecksumPlan | undefined> {
	const algorithm = strongestOf(await session.checksumsOffered());
	if (algorithm !== undefined) return { algorithm, source: 'server' };
	const sidecar = await readSidecar(session, path);
	if (sidecar !== undefined) {
		session.note(`Verifying "${path}" with the ${sidecar.algorithm} in "${sidecar.sidecar}"`);
		return { ...sidecar, source: 'sidecar' };
	}
	const found = await session.stat(path);
	if (found?.type !== 'file') return undefined;
	throw cannotComputeChecksums(path, 'download');
}

/** An upload's algorithm: the server's strongest (a sidecar cannot vouch for bytes just sent); else the failure. */
export async function uploadChecksumAlgorithm(
	session: RemoteSession,
	path: string,
): Promise<ChecksumAlgorithm> {
	const algorithm = strongestOf(await session.checksumsOffered());
	if (algorithm === undefined) throw cannotComputeChecksums(path, 'upload');
	return algorithm;
}

/** The value to compare with: the sidecar's, or the server's hash of the file as it is now. */
export async function expectedChecksum(
	session: RemoteSession,
	path: string,
	plan: ChecksumPlan,
): Promise<{ algorithm: ChecksumAlgorithm; value: string; source: 'server' | 'sidecar' }> {
	if (plan.source === 'sidecar')
		return { algorithm: plan.algorithm, value: plan.value, source: 'sidecar' };
	const value = await session.checksum(path, plan.algorithm);
	return { algorithm: plan.algorithm, value, source: 'server' };
}

/** Passes an upload's bytes on unchanged while hashing them (one per attempt: each attempt sends the file anew). */
export class HashingTransform extends Transform {
	readonly hash: StreamHash;

	constructor(algorithm: ChecksumAlgorithm) {
		super();
		this.hash = new StreamHash(algorithm);
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.hash.update(chunk);
		callback(null, chunk);
	}
}
