import type { RemoteSession } from '../session';

/** A folder on the way down, with what is known of its identity. */
export interface FolderSeen {
	path: string;
	/** MLSD `unique` fact (device and inode on Unix servers): the same value means the same folder. */
	uniqueId?: string;
	/** The MLSD `unique` fact of its real parent, from its own listing's `type=pdir` line. */
	parentUniqueId?: string;
	/** Its listing, for noticing a folder that lists exactly what another one lists. */
	fingerprint?: string;
	/** Its PWD after CWD, once asked; null when the server could not say. */
	realPath?: string | null;
}

/** What the server says a listed folder is: a folder of its own, a link, or it cannot tell (`twin` looks the same). */
export type FolderIdentity =
	| { kind: 'folder' }
	| { kind: 'link'; target?: string }
	| { kind: 'unknown'; twin: FolderSeen };

export async function realPathOf(
	session: RemoteSession,
	folder: FolderSeen,
): Promise<string | null> {
	if (folder.realPath === undefined)
		folder.realPath = (await session.realPathOf(folder.path)) ?? null;
	return folder.realPath;
}

/**
 * Whether two folders are the same folder, as far as the server can tell: by MLSD unique facts, else by the real
 * paths PWD reports. Undefined when the server cannot tell (it gives no unique facts and repeats any path it is
 * sent to, as ftp-srv, IIS and ProFTPD do for links).
 */
async function sameFolder(
	session: RemoteSession,
	folder: FolderSeen,
	other: FolderSeen,
): Promise<boolean | undefined> {
	if (folder.uniqueId !== undefined && other.uniqueId !== undefined)
		return folder.uniqueId === other.uniqueId;
	const [real, otherReal] = [await realPathOf(session, folder), await realPathOf(session, other)];
	// Only a server whose PWD names a folder we walked through by its own path says anything about paths.
	if (real === null || otherReal !== other.path) return undefined;
	if (real === otherReal) return true;
	return real !== folder.path ? false : undefined;
}

/**
 * What a folder is, once listed, judged against its parent and every folder known above it. The real parent the
 * listing names (MLSD `pdir`) settles it; otherwise a folder that lists exactly what a known folder lists is asked
 * about (unique facts, PWD): the same folder means a link back to it, and no answer means the server cannot tell.
 */
export async function identityOf(
	session: RemoteSession,
	folder: FolderSeen,
	parent: FolderSeen | undefined,
	known: FolderSeen[],
): Promise<FolderIdentity> {
	if (folder.parentUniqueId !== undefined && parent?.uniqueId !== undefined) {
		return folder.parentUniqueId === parent.uniqueId ? { kind: 'folder' } : { kind: 'link' };
	}
	for (const twin of known.filter((other) => other.fingerprint === folder.fingerprint)) {
		const same = await sameFolder(session, folder, twin);
		if (same === true) return { kind: 'link', target: twin.path };
		if (same === undefined) return { kind: 'unknown', twin };
	}
	return { kind: 'folder' };
}
