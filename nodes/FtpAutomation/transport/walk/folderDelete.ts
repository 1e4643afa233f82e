import { RemoteFailure } from '../failures';
import type { FolderSeen } from './folderIdentity';
import { oneAtATime, walkFolders } from './folderWalk';
import { listingFingerprint } from '../listing';
import { ancestorsAndSelf, baseName, parentOf } from '../paths';
import type { RemoteSession } from '../session';
import { walkLimits, type WalkLimits } from './walkLimits';

const NOTHING_DELETED = 'Nothing was deleted.';

function refusal(message: string, hint: string): RemoteFailure {
	return new RemoteFailure('input', `${message} ${NOTHING_DELETED}`, hint);
}

/**
 * The folders above `folder`, listed: a link inside it that points at one of them (`home -> ../..`) lists exactly
 * what that folder lists, which is how a server that shows links as folders still gives such a link away.
 */
async function foldersAbove(
	session: RemoteSession,
	folder: string,
	limits: WalkLimits,
): Promise<{ above: FolderSeen[]; rootUniqueId?: string }> {
	const above: FolderSeen[] = [];
	let rootUniqueId: string | undefined;
	for (const path of ['/', ...ancestorsAndSelf(parentOf(folder))]) {
		const listing = await session
			.listFolder(path, { maxEntries: limits.maxEntriesPerFolder })
			.catch((error: Error) => {
				session.note(
					`Could not list "${path}" to compare it with the folders inside "${folder}": ${error.message}`,
				);
				return undefined;
			});
		if (!listing) continue;
		above.push({
			path,
			uniqueId: listing.folderUniqueId,
			fingerprint: listingFingerprint(listing.entries),
			realPath: path === '/' ? '/' : undefined,
		});
		if (path === parentOf(folder))
			rootUniqueId = listing.entries.find((entry) => entry.name === baseName(folder))?.uniqueId;
	}
	return { above, rootUniqueId };
}

/** RMD of a folder whose listed entries are gone; a folder still not empty holds what the server did not list. */
async function removeListedFolder(session: RemoteSession, path: string): Promise<void> {
	await session.removeFolder(path).catch((failure: unknown) => {
		if (!(failure instanceof RemoteFailure) || !/not empty/i.test(failure.message)) throw failure;
		throw failure.with({
			message: `${failure.message}. It still holds entries the server does not list (ProFTPD hides links that point outside the account, for one); everything it listed was deleted.`,
			hint: 'Look at the folder with another client or on the server, remove what is left, then delete the folder again.',
		});
	});
}

/**
 * Deletes `folder` with everything in it, never leaving it: the whole tree is walked first with the strict walk
 * (every subfolder proven to be inside `folder`, by its PWD after CWD or MLSD unique facts; a refusal when the
 * server cannot tell), so a refusal comes before anything is deleted. Links are removed themselves, first, so that a
 * link the server will not remove stops the work before any file is gone; then files and folders, deepest first.
 */
export async function deleteFolderTree(
	session: RemoteSession,
	folder: string,
	givenLimits: Partial<WalkLimits> = {},
): Promise<void> {
	const limits = walkLimits(givenLimits);
	await session.existingFolder(folder);
	const rootRealPath = await session.realPathOf(folder);
	if (rootRealPath === undefined) {
		throw refusal(
			`Refusing to delete "${folder}" recursively: the server does not say where the folder really is (no usable answer when asked for its real path), so links inside it could not be told apart from folders.`,
			'Delete what it holds step by step with List and Delete.',
		);
	}
	if (rootRealPath !== folder) {
		throw refusal(
			`Refusing to delete "${folder}" recursively: it is a link to "${rootRealPath}" (the server says so).`,
			'Delete the link itself (Delete with Folder off), or give the real folder if you mean to delete it.',
		);
	}
	if (rootRealPath === '/' || rootRealPath === session.homeDirectory) {
		throw refusal(
			`Refusing to delete "${folder}" recursively: it is the ${rootRealPath === '/' ? 'root folder' : 'login folder'} of this account.`,
			'Delete the subfolders you mean one by one, or give the exact folder path.',
		);
	}
	const { above, rootUniqueId } = await foldersAbove(session, folder, limits);
	const entries = await walkFolders(
		oneAtATime(session),
		folder,
		{ recursive: true, limits },
		{
			strict: { rootRealPath, above, consequence: NOTHING_DELETED },
			modificationTimes: false,
			rootUniqueId,
		},
	).catch((failure: unknown) => {
		// The walk's own limits (Max Folders, Time Limit, a listing too large) stop the delete before it starts too.
		if (failure instanceof RemoteFailure && !failure.message.endsWith(NOTHING_DELETED)) {
			throw failure.with({ message: `${failure.message}. ${NOTHING_DELETED}` });
		}
		throw failure;
	});
	const links = entries.filter((entry) => entry.type === 'symbolicLink');
	for (const link of links) {
		await session.removeFile(link.path, 'delete the link').catch((failure: RemoteFailure) => {
			throw failure.with({
				message: `${failure.message}. It is a link${link.target === undefined ? '' : ` (to "${link.target}")`}, and only the link itself may be removed; nothing else was deleted.`,
			});
		});
	}
	let files = 0;
	let folders = 0;
	for (const entry of [...entries].reverse()) {
		if (entry.type === 'symbolicLink') continue;
		if (entry.type === 'directory') {
			await removeListedFolder(session, entry.path);
			folders++;
		} else {
			await session.removeFile(entry.path);
			files++;
		}
	}
	await removeListedFolder(session, folder);
	session.note(
		`Deleted "${folder}" with ${files} files, ${folders} folders and ${links.length} links in it (the links themselves; what they point to was not touched)`,
	);
}
