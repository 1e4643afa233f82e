import { PassThrough, type Readable } from 'node:stream';

import type { RemoteConnection } from './contract';
import {
	failureOf,
	RemoteFailure,
	ResumeRefused,
	TransientFailure,
	type FailureContext,
} from './failures';
import {
	expectedChecksum,
	HashingSink,
	planDownloadChecksum,
	StreamHash,
	verifiedOrFailure,
	type ChecksumPlan,
	type VerifiedChecksum,
} from './integrity';
import type { RemoteSession } from './session';
import { TRANSFER_BUFFER_BYTES } from './streams';

export interface DownloadResult<T> {
	/** What `consume` returned. */
	result: T;
	/** Bytes received. */
	size: number;
	/** With verifyChecksum: the hash of the bytes received, equal to the server's or the sidecar's. */
	checksum?: VerifiedChecksum;
}

/**
 * One download of one file into `consume` (e.g. n8n's prepareBinaryData), as one uninterrupted stream however often
 * the transfer breaks: an attempt that fails transiently is tried again, resuming at the byte where the last one
 * stopped; the bytes are checked against the size the server announced before the first byte. `consume` starts only
 * once data flows (or an empty file arrived whole), so a refused download leaves nothing in n8n's store; a download
 * that failed is never handed on.
 *
 * States: waiting for the first byte → receiving (attempts may resume) → verified, or failed (abandoned: the stream
 * is ended on purpose, and `consume` failing then is expected), or n8n's store failed (no further attempt helps).
 */
export class VerifiedDownload<T> {
	private received = 0;
	/** Asked once, before the first byte: a resumed attempt continues the same file. */
	private expectedSize: number | undefined;
	private sizeAsked = false;
	/** The expected size came from a listing, not from the server just now: a mismatch is checked with it once. */
	private sizeFromListing = false;
	private consumed: Promise<T> | undefined;
	private storeFailure: unknown;
	private abandoned = false;
	private readonly output = new PassThrough({ highWaterMark: TRANSFER_BUFFER_BYTES });
	/** With verifyChecksum: what the bytes are compared with, and their hash across all attempts. */
	private checksumPlan: ChecksumPlan | undefined;
	private hash: StreamHash | undefined;

	constructor(
		private readonly session: RemoteSession,
		private readonly path: string,
		private readonly consume: (stream: Readable) => Promise<T>,
		/** The file's size as a listing just gave it: saves asking the server before every file of a listing. */
		private readonly listedSize?: number,
		/** true: plan how to verify before the first byte; a plan: made earlier, where the file was listed. */
		private readonly verifyChecksum: boolean | ChecksumPlan = false,
	) {
		// Failures are reported by the promises below; this only keeps an early one from crashing the process.
		this.output.on('error', () => undefined);
	}

	async run(retries: number): Promise<DownloadResult<T>> {
		if (this.verifyChecksum !== false) {
			const given = this.verifyChecksum;
			const planning =
				given === true ? planDownloadChecksum(this.session, this.path) : Promise.resolve(given);
			const planned = await failureOf(
				planning.then((plan) => {
					this.checksumPlan = plan;
					this.hash = plan && new StreamHash(plan.algorithm);
				}),
			);
			if (planned !== undefined)
				return await this.abandon(this.session.explain(planned, this.context()));
		}
		let failure = await failureOf(
			this.session.run(
				() => this.context(),
				async (connection) => await this.attempt(connection),
				retries,
			),
		);
		if (
			failure === undefined &&
			this.expectedSize !== undefined &&
			this.received > this.expectedSize
		) {
			failure = this.session.explain(
				new RemoteFailure(
					'transfer',
					`"${this.path}" changed during the download: the server announced ${this.expectedSize} bytes, ${this.received} arrived`,
					'The file is probably still being written. Download it once it is complete (e.g. when its size stays the same between two listings).',
				),
				this.context(),
			);
		}
		let checksum: VerifiedChecksum | undefined;
		if (failure === undefined && this.checksumPlan !== undefined) {
			// Compared before the stream ends: a file that does not match is never handed on.
			failure = await failureOf(
				this.verified(this.checksumPlan).then((verified) => {
					checksum = verified;
				}),
			);
			if (failure !== undefined) failure = this.session.explain(failure, this.context());
		}
		if (failure !== undefined) return await this.abandon(failure);
		this.output.end();
		const result = await this.startConsuming().catch(
			async (error: unknown) =>
				await Promise.reject(
					this.session.explain(error, {
						...this.context(),
						action: 'store the downloaded data of',
					}),
				),
		);
		return checksum === undefined
			? { result, size: this.received }
			: { result, size: this.received, checksum };
	}

	private async verified(plan: ChecksumPlan): Promise<VerifiedChecksum> {
		const computed = this.hash?.digest() ?? '';
		const expected = await expectedChecksum(this.session, this.path, plan);
		const verified = verifiedOrFailure(this.path, computed, expected, 'download');
		this.session.note(
			`Verified "${this.path}": ${plan.algorithm} ${computed}, as the ${plan.source} says`,
		);
		return verified;
	}

	private context(): FailureContext {
		return this.session.context('transfer', {
			action: 'download',
			path: this.path,
			bytesTransferred: this.received,
		});
	}

	private startConsuming(): Promise<T> {
		this.consumed ??= this.consume(this.output).catch(async (error: unknown) => {
			if (!this.abandoned) this.storeFailure ??= error;
			this.output.destroy();
			return await Promise.reject(error as Error);
		});
		return this.consumed;
	}

	private async attempt(connection: RemoteConnection): Promise<void> {
		// n8n could not store what arrived (e.g. a full disk): trying again would not help.
		if (this.storeFailure !== undefined)
			throw new RemoteFailure('transfer', 'n8n could not store the data', '');
		if (!this.sizeAsked) {
			this.sizeFromListing = this.listedSize !== undefined && connection.capabilities.size;
			this.expectedSize = this.sizeFromListing ? this.listedSize : await connection.size(this.path);
			this.sizeAsked = true;
		}
		const resumeAt = this.received;
		const sink = new HashingSink(
			this.output,
			(count) => {
				this.received += count;
				void this.startConsuming().catch(() => undefined);
			},
			this.hash,
		);
		if (resumeAt > 0)
			this.session.note(`Resuming the download of "${this.path}" at byte ${resumeAt}`);
		const started = Date.now();
		await connection.read(this.path, sink, resumeAt).catch(async (error: unknown) => {
			// Chunks still buffered in the sink were not counted: the next attempt asks for them again.
			sink.destroy();
			if (error instanceof ResumeRefused && sink.bytes === 0) {
				throw new RemoteFailure(
					'transfer',
					`The download of "${this.path}" was interrupted after ${resumeAt} bytes, and the server cannot resume it (${error.message})`,
					'Try again later; with a server that cannot resume, a file has to arrive in one unbroken transfer.',
					{ replyCode: error.replyCode },
				);
			}
			return await Promise.reject(error as Error);
		});
		this.session.note(
			`Downloaded "${this.path}"${resumeAt > 0 ? ` from byte ${resumeAt}` : ''}: ${sink.bytes} bytes in ${Date.now() - started} ms`,
		);
		if (this.sizeFromListing && this.received !== this.expectedSize)
			await this.checkListedSize(connection);
		if (this.expectedSize !== undefined && this.received < this.expectedSize) {
			throw new TransientFailure(
				`the transfer ended after ${this.received} of the ${this.expectedSize} bytes the server announced`,
			);
		}
	}

	/**
	 * The file may have changed since it was listed, or the transfer was cut short: only the server's size now tells.
	 * Asked once; from then on the download is judged by it as if it had been asked first.
	 */
	private async checkListedSize(connection: RemoteConnection): Promise<void> {
		const listed = this.expectedSize;
		this.sizeFromListing = false;
		this.expectedSize = await connection.size(this.path);
		if (this.expectedSize === this.received) {
			this.session.note(
				`"${this.path}" was listed with ${listed} bytes; the server now says ${this.expectedSize}, as many as arrived: the file changed after the listing`,
			);
		}
	}

	private async abandon(failure: RemoteFailure): Promise<never> {
		this.abandoned = true;
		this.output.destroy();
		await this.consumed?.catch(() => undefined);
		if (this.storeFailure !== undefined) {
			throw this.session.explain(this.storeFailure, {
				...this.context(),
				action: 'store the downloaded data of',
			});
		}
		if (
			this.received === 0 &&
			failure.refusal === 'missingOrDenied' &&
			(await this.session.isFolder(this.path).catch(() => false))
		) {
			throw new RemoteFailure(
				'input',
				`"${this.path}" is a folder, not a file`,
				'Download the files in it one by one.',
				{ fixInNode: 'downloadOfFolder' },
			);
		}
		throw failure;
	}
}
