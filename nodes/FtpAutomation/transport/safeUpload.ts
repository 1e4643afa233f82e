import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';

import type { RemoteConnection } from './contract';
import { DEFAULTS } from './defaults';
import { failureOf, RemoteFailure, TransientFailure, type FailureContext } from './failures';
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
}

export interface UploadResult {
	path: string;
	/** Bytes sent; for a skipped upload, the size of the file already there. */
	size: number;
	skipped?: boolean;
	appended?: boolean;
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
		if (ifExists === 'append') return await this.append(existingSize ?? 0);
		return await this.replace(this.options.atomic ?? DEFAULTS.atomicUpload);
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
		const sent = await connection.write(await this.openSource(), target, mode);
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
				} catch (error) {
					// Also before a retry: some servers (ProFTPD without AllowOverwrite) refuse to write over a file.
					if (atomic) await this.removeQuietly(target);
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
		return { path, size: sent, appended: true };
	}
}
