import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { RemoteFailure, type FailureStep, type RemoteSession } from '../transport';

/**
 * Pickup around a download (Download and the trigger alike): claiming a file by renaming it into a claim folder, so
 * that of several executions only one processes it, and moving a file whose download failed aside, so that it does
 * not block every later run. Renames never replace a file: a name already taken in the target folder gets a unique
 * variant.
 */

/** Tries at a free name before giving up: each is a random variant, so a second try already almost never collides. */
const MAX_NAME_TRIES = 5;
/** Claims of one file retried when another execution took the chosen name in the claim folder just before us. */
const MAX_CLAIM_TRIES = 3;

/** `orders.csv` → `orders.<time>-<random>.csv`: tells the copies apart and sorts them by when they arrived. */
export function uniqueVariant(name: string): string {
	const extension = posix.extname(name);
	const base = extension === '' ? name : name.slice(0, -extension.length);
	return `${base}.${Date.now().toString(36)}-${randomBytes(3).toString('hex')}${extension}`;
}

async function exists(session: RemoteSession, path: string, action: string): Promise<boolean> {
	return (await session.stat(path, action)) !== undefined;
}

/** A path in `folder` for a file named `name` that nothing occupies: the name itself if free, else a unique variant. */
async function freePathIn(session: RemoteSession, folder: string, name: string): Promise<string> {
	for (let attempt = 0; attempt < MAX_NAME_TRIES; attempt++) {
		const candidate = posix.join(folder, attempt === 0 ? name : uniqueVariant(name));
		if (!(await exists(session, candidate, 'check for a file of the same name at')))
			return candidate;
	}
	throw new RemoteFailure(
		'command',
		`No free name for "${name}" found in "${folder}" after ${MAX_NAME_TRIES} tries`,
		'Empty the folder of old copies of this file, or choose another folder.',
	);
}

export type ClaimResult = { claimed: true; claimedPath: string } | { claimed: false };

/**
 * Renames `path` into `claimFolder` (created if missing). A rename that fails while the file is no longer where it was
 * means another execution claimed it first: `{ claimed: false }`. A rename that fails while the file is still there
 * (no permission, a bad folder) is an error, so that a misconfiguration is never mistaken for "someone else has it".
 */
export async function claimFile(
	session: RemoteSession,
	path: string,
	claimFolder: string,
): Promise<ClaimResult> {
	if (posix.dirname(path) === claimFolder) return { claimed: true, claimedPath: path };
	await session.ensureFolder(claimFolder);
	let lastFailure: RemoteFailure | undefined;
	for (let attempt = 0; attempt < MAX_CLAIM_TRIES; attempt++) {
		const target = await freePathIn(session, claimFolder, posix.basename(path));
		const failure = await session.rename(path, target, 'claim (rename into the claim folder)').then(
			() => undefined,
			(error: RemoteFailure) => error,
		);
		if (failure === undefined) return { claimed: true, claimedPath: target };
		lastFailure = failure;
		if (!(await exists(session, path, 'check whether another execution claimed'))) {
			// No refusal: the connection broke, and the rename may have happened before it did. Then the file is ours:
			// processing it (perhaps twice) beats leaving it in the claim folder for nobody.
			if (failure.refusal === undefined && (await exists(session, target, 'check the claim of'))) {
				session.note(`"${path}" is at "${target}" after a failed rename: claimed`);
				return { claimed: true, claimedPath: target };
			}
			session.note(`"${path}" is gone: another execution claimed it`);
			return { claimed: false };
		}
		// Still there: only a name taken in the meantime deserves another try; anything else is the user's to fix.
		if (!(await exists(session, target, 'check the claim folder at'))) break;
	}
	throw (lastFailure as RemoteFailure).with({
		message: `"${path}" could not be claimed (renamed into "${claimFolder}"): ${lastFailure?.message}`,
		hint: `The file is still where it was. Check that the account may rename files in both folders and that Claim Folder is right. ${lastFailure?.hint ?? ''}`.trim(),
	});
}

/** Where a file that failed was moved to, by the error thrown for it. */
const movedAside = new WeakMap<object, string>();

/** The folder a failed file was moved into (After Failure: Move the File), or undefined if it was not moved. */
export function movedAsideTo(error: unknown): string | undefined {
	return error !== null && typeof error === 'object' ? movedAside.get(error) : undefined;
}

/** Steps of a failure before any file was touched: the server was never reached, or the input was wrong. */
const NOT_THE_FILES_FAULT = new Set<FailureStep>([
	'settings',
	'input',
	'connect',
	'tls',
	'handshake',
	'login',
	'subsystem',
	'directory',
]);

/**
 * Whether a failed download is the file's fault (a transfer that broke, a size or checksum that does not match, too
 * large for n8n's store), so that After Failure moves it: not a connection that never opened, a wrong input, or a
 * file that is not there (a refusal of a file that still exists, e.g. one the server will not read, is the file's).
 */
async function isFailureOfFile(
	session: RemoteSession,
	path: string,
	failure: unknown,
): Promise<boolean> {
	if (!(failure instanceof RemoteFailure) || NOT_THE_FILES_FAULT.has(failure.step)) return false;
	if (failure.refusal !== 'missingOrDenied') return true;
	const found = await session.stat(path).catch(() => undefined);
	return found !== undefined && found.type !== 'directory';
}

/**
 * After Failure: moves the file whose download failed into `failedFolder` (created if missing; never replacing a
 * file there) and returns the original failure, saying where the file is now. If the move fails too, the original
 * failure says the file stayed where it was.
 */
export async function moveAsideAfterFailure(
	session: RemoteSession,
	path: string,
	failedFolder: string,
	failure: unknown,
): Promise<unknown> {
	if (!(await isFailureOfFile(session, path, failure))) return failure;
	const original = failure as RemoteFailure;
	const moved = await session
		.ensureFolder(failedFolder)
		.then(async () => await freePathIn(session, failedFolder, posix.basename(path)))
		.then(async (target) => {
			await session.rename(path, target, 'move the failed file aside');
			return target;
		})
		.then(
			(target) => ({ target }),
			(error: unknown) => ({ error }),
		);
	if ('error' in moved) {
		const reason = moved.error instanceof Error ? moved.error.message : String(moved.error);
		return original.with({
			message: `${original.message}. Moving the file into "${failedFolder}" failed too (${reason}): it stayed at "${path}"`,
		});
	}
	session.note(`Moved "${path}" to "${moved.target}" after its download failed`);
	const explained = original.with({
		message: `${original.message}. The file was moved to "${moved.target}" (After Failure), so that it does not block later runs`,
	});
	movedAside.set(explained, failedFolder);
	return explained;
}

/** The exact modification time: the listed item's when it is exact for this path, else the server's (null: unknown). */
export async function modifiedAtOf(
	session: RemoteSession,
	listed: IDataObject | undefined,
	listedPath: string,
	downloadedPath: string,
): Promise<string | null> {
	if (listed?.path === listedPath && typeof listed.modifiedAt === 'string')
		return listed.modifiedAt;
	return await session.modifiedAt(downloadedPath).catch((error: Error) => {
		session.note(`The modification time of "${downloadedPath}" is unknown: ${error.message}`);
		return null;
	});
}
