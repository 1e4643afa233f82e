import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { pipeline, type Readable } from 'node:stream';

import type { ChecksumAlgorithm, RemoteConnection } from './contract';
import { DEFAULTS } from './defaults';
import { failureOf, RemoteFailure, TransientFailure, type FailureContext } from './failures';
import {
	cannotSetModifiedAt,
	HashingTransform,
	uploadChecksumAlgorithm,
	verifiedOrFailure,
	type VerifiedChecksum,
} from './integrity';
import { parentOf } from './paths';
import type { RemoteSession } from './session';

/** What an upload does when the target file already exists. */
export type IfExists = 'overwrite' | 'skip' | 'error' | 'append';

export interface UploadOptions {
	createDirectories?: boolean;
	/** Write to a temporary name in the target folder, then rename onto the target. */
	atomic?: boolean;
	ifExists?: IfExists;
	/** Further attempts after a transient failure. */
	retries?: number;
	/** Compare the hash of the bytes sent with the server's hash of the file before it gets the target's name. */
	verifyChecksum?: boolean;
	/** Set the file's modification time (ISO 8601) before it gets the target's name. */
	modifiedAt?: string;
}

export interface UploadResult {
	path: string;
	/** Bytes sent; for a skipped upload, the size of the file already there. */
	size: number;
	skipped?: boolean;
	appended?: boolean;
	/** With verifyChecksum: the hash of the bytes sent, equal to the server's. */
	checksum?: VerifiedChecksum;
	/** With modifiedAt: the time the file was given. */
	modifiedAt?: string;
}

/** A hidden name beside `path` that no reader mistakes for the finished file. */
export function temporaryNameFor(path: string, suffix: 'part' | 'old' = 'part'): string {
	const name = posix.basename(path).slice(0, 180);
	return posix.join(parentOf(path), `.${name}.${randomBytes(4).toString('hex')}.${suffix}`);
}

const TEMPORARY_NAME = /^\..+\.[0-9a-f]{8}\.(part|old)$/;

/**
 * Whether a name is one `temporaryNameFor` makes: an upload still running, or one whose process was killed before it
 * could rename or remove it (a worker killed mid-upload leaves it behind).
 */
export function isTemporaryName(name: string): boolean {
	return TEMPORARY_NAME.test(name);
}

/**
 * One upload of what `openSource` streams (called once per attempt) to `path`, never leaving a partial file under the
 * target's name. By default the bytes go to a hidden temporary name in the target folder; only a complete upload
 * (confirmed by the server and, where it reports sizes, of the right size) is renamed onto the target, moving an
 * existing file aside first where the server will not rename onto it; a failed one is deleted. An append writes to
 * the end of the file itself, and is retried only while the file is unchanged, so no byte is appended twice.
 */
export class SafeUpload {
	private readonly ifExists: IfExists;
	private readonly retries: number;
	private checksumAlgorithm: ChecksumAlgorithm | undefined;
	/** The hash of the last attempt's bytes (each attempt sends the file anew). */
	private attemptHash: HashingTransform | undefined;
	private checksum: VerifiedChecksum | undefined;
	/** The failure of a hash that did not match, to delete the file even without a temporary name. */
	private mismatch: unknown;

	constructor(
		private readonly session: RemoteSession,
		private readonly path: string,
		private readonly openSource: () => Promise<Readable>,
		private readonly options: UploadOptions = {},
	) {
		this.ifExists = options.ifExists ?? DEFAULTS.ifExists;
		this.retries = options.retries ?? 0;
	}

	async run(): Promise<UploadResult> {
		const { path, ifExists } = this;
		// What the server cannot do is said before anything is sent.
		if (this.options.verifyChecksum) this.checksumAlgorithm = await this.plannedChecksum();
		if (this.options.modifiedAt !== undefined && this.session.capabilities.setModifiedAt !== true)
			throw this.session.explain(cannotSetModifiedAt(path), this.context('upload')());
		if (this.options.createDirectories) await this.session.ensureFolder(parentOf(path));
		const existingSize = ifExists === 'overwrite' ? null : await this.existingFileSize();
		if (existingSize !== null && ifExists === 'skip') {
			this.session.note(`"${path}" exists (${existingSize} bytes): not uploaded (skipped)`);
			return { path, size: existingSize, skipped: true };
		}
		if (existingSize !== null && ifExists === 'error') {
			throw new RemoteFailure(
				'input',
				`"${path}" already exists on the server (${existingSize} bytes)`,
				'Upload under another name, or let the upload replace, skip or append to the file.',
				{ fixInNode: 'targetExists' },
			);
		}
		const result =
			ifExists === 'append'
				? await this.append(existingSize ?? 0)
				: await this.replace(this.options.atomic ?? DEFAULTS.atomicUpload);
		return {
			...result,
			...(this.checksum && { checksum: this.checksum }),
			...(this.options.modifiedAt !== undefined && { modifiedAt: this.options.modifiedAt }),
		};
	}

	private async plannedChecksum(): Promise<ChecksumAlgorithm> {
		if (this.ifExists === 'append') {
			throw new RemoteFailure(
				'input',
				`An append to "${this.path}" cannot be verified with a checksum: the server hashes the whole file, the upload sends only its end`,
				'Turn off Verify Checksum for appends, or upload the whole file (If File Exists: Overwrite).',
			);
		}
		return await uploadChecksumAlgorithm(this.session, this.path);
	}

	/**
	 * Before the file gets the target's name: its hash compared with the server's, its modification time set. A
	 * mismatch is not retried (the same bytes would be sent again).
	 */
	private async finish(connection: RemoteConnection, target: string): Promise<void> {
		if (this.checksumAlgorithm !== undefined && this.attemptHash !== undefined) {
			const computed = this.attemptHash.hash.digest();
			const value = await connection.checksum!(target, this.checksumAlgorithm);
			try {
				this.checksum = verifiedOrFailure(
					this.path,
					computed,
					{ algorithm: this.checksumAlgorithm, value, source: 'server' },
					'upload',
				);
			} catch (mismatch) {
				this.mismatch = mismatch;
				return await Promise.reject(mismatch as Error);
			}
			this.session.note(
				`Verified "${target}": ${this.checksumAlgorithm} ${computed}, as the server says`,
			);
		}
		const modifiedAt = this.options.modifiedAt;
		if (modifiedAt !== undefined) {
			if (connection.setModifiedAt === undefined) throw cannotSetModifiedAt(this.path);
			await connection.setModifiedAt(target, modifiedAt);
			this.session.note(`Set the modification time of "${target}" to ${modifiedAt}`);
		}
	}

	private context(action: string): () => FailureContext {
		return () => this.session.context('transfer', { action, path: this.path });
	}

	/** The size of the file at the target, or null if there is none; fails if a folder is there. */
	private async existingFileSize(): Promise<number | null> {
		const found = await this.session.stat(this.path, 'check whether the target exists');
		if (found?.type === 'directory') {
			throw new RemoteFailure(
				'input',
				`"${this.path}" is a folder, not a file`,
				'Give the path of a file to write, including its name.',
				{ fixInNode: 'uploadOntoFolder' },
			);
		}
		return found === undefined ? null : (found.size ?? 0);
	}

	/** Sends one attempt's bytes; returns how many were sent. */
	private async store(
		connection: RemoteConnection,
		target: string,
		mode: 'replace' | 'append',
	): Promise<number> {
		const started = Date.now();
		let source = await this.openSource();
		if (this.checksumAlgorithm !== undefined) {
			const hashing = new HashingTransform(this.checksumAlgorithm);
			this.attemptHash = hashing;
			source = pipeline(source, hashing, () => undefined);
		}
		const sent = await connection.write(source, target, mode);
		this.session.note(
			`${mode === 'append' ? 'Appended to' : 'Uploaded'} "${target}": ${sent} bytes in ${Date.now() - started} ms`,
		);
		return sent;
	}

	private async replace(atomic: boolean): Promise<UploadResult> {
		const target = atomic ? temporaryNameFor(this.path) : this.path;
		let sent = 0;
		await this.session.run(
			this.context('upload'),
			async (connection) => {
				try {
					sent = await this.store(connection, target, 'replace');
					const stored = await connection.size(target);
					if (stored !== undefined && stored !== sent) {
						// A new attempt may cure it: the transfer was cut short without either side noticing.
						throw new TransientFailure(
							`the server holds ${stored} bytes of "${target}" after the upload, ${sent} were sent`,
						);
					}
					await this.finish(connection, target);
				} catch (error) {
					// Also before a retry: some servers (ProFTPD without AllowOverwrite) refuse to write over a file.
					// A file whose bytes do not match is no copy of the source under any name.
					if (atomic || error === this.mismatch) await this.removeQuietly(target);
					return await Promise.reject(error as Error);
				}
			},
			this.retries,
		);
		if (atomic) {
			await this.moveOnto(target);
			this.session.note(
				`Stored "${this.path}": ${sent} bytes${this.session.capabilities.size ? ', size confirmed by the server,' : ''} written as "${target}", then renamed`,
			);
		}
		return { path: this.path, size: sent };
	}

	/** Renames a finished temporary upload onto the target, replacing a file that is there. */
	private async moveOnto(temporary: string): Promise<void> {
		const target = this.path;
		const rename = async (from: string, to: string) =>
			await failureOf(
				this.session.rename(from, to, 'rename the uploaded temporary file onto', target),
			);
		let failure = await rename(temporary, target);
		// Servers refuse a rename onto a folder in many ways (550, 553, pure-ftpd's 451 "Is a directory").
		if (failure !== undefined && (await this.session.isFolder(target).catch(() => false))) {
			// What is in the way is a folder: moving it aside would hide it and everything in it.
			await this.removeQuietly(temporary);
			throw new RemoteFailure(
				'input',
				`"${target}" is a folder, not a file`,
				'Give the path of a file to write, including its name.',
				{ fixInNode: 'uploadOntoFolder', connectionLog: failure.connectionLog },
			);
		}
		if (failure?.refusal !== undefined && !this.session.capabilities.renameReplaces) {
			// Some servers (ProFTPD without AllowOverwrite, pure-ftpd) do not rename onto an existing file. The old
			// file is moved aside, not deleted, until the new one is in place: if the rename was refused for another
			// reason, the old file is put back and nothing is lost.
			const aside = temporaryNameFor(target, 'old');
			if ((await rename(target, aside)) === undefined) {
				failure = await rename(temporary, target);
				if (failure === undefined) {
					this.session.note(
						`Replaced the existing "${target}": moved it aside, renamed the upload onto it`,
					);
					await this.removeQuietly(aside, 'the previous file');
				} else if ((await rename(aside, target)) !== undefined) {
					this.session.note(
						`The previous "${target}" could not be put back; it is kept as "${aside}"`,
					);
				}
			}
		}
		if (failure) {
			await this.removeQuietly(temporary);
			throw failure;
		}
	}

	/** Deletes a file we wrote or moved aside and no longer want; a failure is logged, not thrown. */
	private async removeQuietly(path: string, what = 'the incomplete upload'): Promise<void> {
		const failure = await failureOf(this.session.removeFile(path, `delete ${what}`));
		if (failure === undefined) {
			this.session.note(`Removed ${what} "${path}"`);
			return;
		}
		// Some servers (ftp-srv) delete a file whose upload failed themselves.
		const gone = (await this.session.stat(path).catch(() => 'unknown')) === undefined;
		this.session.note(
			gone
				? `Removed ${what} "${path}": the server had already deleted it`
				: `Could not remove ${what} "${path}": ${failure.message}`,
		);
	}

	private async append(sizeBefore: number): Promise<UploadResult> {
		const path = this.path;
		let sent = 0;
		await this.session.run(
			this.context('append to'),
			async (connection) => {
				sent = await this.store(connection, path, 'append').catch(async (error: unknown) => {
					const sizeNow = await this.existingFileSize().then(
						(size) => size ?? 0,
						() => undefined,
					);
					return await Promise.reject(
						sizeNow === sizeBefore
							? (error as Error)
							: new RemoteFailure(
									'transfer',
									`The append to "${path}" was interrupted after the server had stored part of it: the file has ${sizeNow ?? 'an unknown number of'} bytes now, ${sizeBefore} before (${(error as Error).message})`,
									'Check the end of the file on the server before appending again; retrying could append the same bytes twice.',
								),
					);
				});
				const sizeNow = await connection.size(path);
				if (sizeNow !== undefined && sizeNow !== sizeBefore + sent) {
					throw new RemoteFailure(
						'transfer',
						`After appending ${sent} bytes to "${path}" (${sizeBefore} bytes before), the server holds ${sizeNow} bytes`,
						'Another program may be writing to the same file at the same time.',
					);
				}
			},
			this.retries,
		);
		// After the append's work, never inside it: a retry of that work would append the bytes again.
		if (this.options.modifiedAt !== undefined)
			await this.session.setModifiedAt(path, this.options.modifiedAt);
		return { path, size: sent, appended: true };
	}
}
