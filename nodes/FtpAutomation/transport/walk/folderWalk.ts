import { RemoteFailure } from '../failures';
import { identityOf, realPathOf, type FolderSeen } from './folderIdentity';
import {
	globFilter,
	includes,
	listingFingerprint,
	toListEntry,
	type IncludeEntries,
	type ListEntry,
} from '../listing';
import { parentOf } from '../paths';
import type { RemoteSession } from '../session';
import { MAX_WALK_DEPTH, WalkBudget, walkLimits, type WalkLimits } from './walkLimits';

export interface ListOptions {
	recursive?: boolean;
	include?: IncludeEntries;
	filter?: string;
	/**
	 * Which output files need an exact time, by path relative to the walked folder (default: all of them). A walk
	 * made without its filter (to see Done File markers) asks no MDTM for what the selection will leave out anyway.
	 */
	timesFor?: (relativePath: string) => boolean;
	/** Further attempts for a folder whose listing fails transiently. */
	retries?: number;
	limits?: Partial<WalkLimits>;
}

/** Lends a connection for one piece of work: the session itself, or one of a pool's. */
export type UseSession = <T>(work: (session: RemoteSession) => Promise<T>) => Promise<T>;

/** Lends one session to one piece of work at a time (a connection runs one command at a time), in order. */
export function oneAtATime(session: RemoteSession): UseSession {
	let previous: Promise<unknown> = Promise.resolve();
	return async <T>(work: (session: RemoteSession) => Promise<T>): Promise<T> => {
		const turn = previous.then(async () => await work(session));
		previous = turn.catch(() => undefined);
		return await turn;
	};
}

/**
 * How a walk treats folders it cannot tell apart. Listing (the default) descends into a folder that may be a link
 * the server shows as a folder, and stops at the depth limit. Deleting (`strict`) never enters a folder it has not
 * proven to be inside the folder being deleted, and refuses when it cannot tell.
 */
export interface WalkPolicy {
	strict?: {
		/** The walked folder's own PWD after CWD. */
		rootRealPath: string;
		/** The walked folder's parents up to `/`: a folder link may point at any of them. */
		above: FolderSeen[];
		/** Added to every refusal, e.g. that nothing was deleted. */
		consequence: string;
	};
	/** Ask MDTM for files whose listing has no exact time (off when only the names matter). */
	modificationTimes?: boolean;
	/** The walked folder's MLSD unique fact, from its parent's listing. */
	rootUniqueId?: string;
}

function childPath(directory: string, name: string): string {
	return directory === '/' ? `/${name}` : `${directory}/${name}`;
}

/** What walking one folder found: its entries (depth first), or that it is a link (to `target`, if known). */
interface FolderResult {
	entries: ListEntry[];
	link?: { target?: string };
}

/**
 * Lists `path` and, if recursive, its subfolders: each folder is listed as soon as a connection is free, so a pool
 * of N connections lists N folders at once. The result is in the order a depth-first walk would give (each folder's
 * entries in listing order, a subfolder's contents right after the subfolder), whatever order the listings finish in.
 * Links are listed but never entered; a folder the server proves to be a link (or to be one of its own parents) is
 * listed as a link. Every listing, folder count and the total time are bounded (see walkLimits.ts).
 */
export async function walkFolders(
	use: UseSession,
	path: unknown,
	options: ListOptions = {},
	policy: WalkPolicy = {},
): Promise<ListEntry[]> {
	const matches = globFilter(options.filter);
	const timesFor = options.timesFor ?? (() => true);
	const include = options.include ?? 'both';
	const limits = walkLimits(options.limits);
	const strict = policy.strict;
	const root = await use(async (session) => await session.existingFolder(path));
	const budget = new WalkBudget(limits, root);
	const listOptions = { retries: options.retries ?? 0, maxEntries: limits.maxEntriesPerFolder };

	const refuse = (message: string, hint: string): never => {
		throw new RemoteFailure('command', `${message}${strict ? ` ${strict.consequence}` : ''}`, hint);
	};

	/** Before entering `folder`: the link it is proven to be, or undefined to enter it. */
	const linkBeforeEntering = async (
		session: RemoteSession,
		folder: FolderSeen,
		expectedRealPath: string | undefined,
		ancestors: FolderSeen[],
	): Promise<FolderResult['link']> => {
		const again = [...(strict?.above ?? []), ...ancestors].find(
			(ancestor) => folder.uniqueId !== undefined && ancestor.uniqueId === folder.uniqueId,
		);
		if (again) return { target: again.path };
		if (!strict) return undefined;
		const real = await realPathOf(session, folder);
		if (real === null) {
			refuse(
				`Cannot tell whether "${folder.path}" is a folder inside "${root}" or a link out of it: the server does not let it be entered or does not say where it really is.`,
				'Check that this user may open every folder inside, then try again; or delete what it holds step by step with List and Delete.',
			);
		}
		return real === expectedRealPath ? undefined : { target: real ?? undefined };
	};

	const walkFolder = async (
		folder: FolderSeen,
		relativeDirectory: string,
		ancestors: FolderSeen[],
	): Promise<FolderResult> => {
		budget.spendFolder();
		const listed = await use(async (session) => {
			const listing = await session.listFolder(folder.path, listOptions);
			folder.uniqueId = listing.folderUniqueId ?? folder.uniqueId;
			folder.parentUniqueId = listing.parentUniqueId;
			folder.fingerprint = listingFingerprint(listing.entries);
			const known = [...(strict?.above ?? []), ...ancestors];
			// The folder it was listed under; for the walked folder, its parent only if that could be listed.
			const parent =
				ancestors.length > 0
					? ancestors[ancestors.length - 1]
					: strict?.above.find((above) => above.path === parentOf(root));
			const identity = await identityOf(session, folder, parent, known);
			if (identity.kind === 'link') return { link: { target: identity.target } };
			if (identity.kind === 'unknown') {
				const twin = identity.twin.path;
				if (strict) {
					refuse(
						`Refusing to delete "${root}" recursively: "${folder.path}" lists exactly what "${twin}" lists, and the server cannot tell whether it is a link to that folder (it gives no file identities, and asked for the folder's real path it repeats the path it was given).`,
						`Deleting through a link would delete files outside "${root}". Remove the link (or the nested folder) on the server by other means, or delete the files with List and Delete.`,
					);
				}
				session.note(
					`"${folder.path}" lists exactly what "${twin}" lists; the server cannot tell whether it is a link to it, so the walk goes on (a loop would stop at depth ${MAX_WALK_DEPTH})`,
				);
			}
			const entries = listing.entries.map((remote) => {
				const entry = toListEntry(remote, folder.path);
				const relativePath =
					relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
				return {
					entry,
					relativePath,
					uniqueId: remote.type === 'directory' ? remote.uniqueId : undefined,
					matched: matches(relativePath),
					output: includes(include, entry.type) && matches(relativePath),
				};
			});
			return { entries, exactTimes: session.capabilities.exactTimes };
		});
		if ('link' in listed) return { entries: [], link: listed.link };
		budget.checkTime();

		// Servers without MLSD (vsftpd) give exact times only through MDTM, one file at a time: ask on every free
		// connection at once.
		if (!listed.exactTimes && policy.modificationTimes !== false) {
			await Promise.all(
				listed.entries
					.filter(
						({ entry, output, relativePath }) =>
							output &&
							entry.type === 'file' &&
							entry.modifiedAt === null &&
							timesFor(relativePath),
					)
					.map(async ({ entry }) => {
						entry.modifiedAt = await use(async (session) => await session.modifiedAt(entry.path));
					}),
			);
		}
		const lineage = [...ancestors, folder];
		const subfolders = await Promise.all(
			listed.entries.map(async ({ entry, relativePath, uniqueId }): Promise<FolderResult> => {
				if (!options.recursive || entry.type !== 'directory') return { entries: [] };
				if (lineage.length >= MAX_WALK_DEPTH) {
					if (strict) {
						refuse(
							`Refusing to delete "${root}" recursively: it is nested more than ${MAX_WALK_DEPTH} levels deep at "${entry.path}", which only a folder link on the server makes happen.`,
							'Find the link that points back into the tree and remove it on the server, or delete the deepest folders first.',
						);
					}
					await use(async (session) =>
						session.note(
							`Not descending into "${entry.path}": it is ${MAX_WALK_DEPTH} levels below "${root}" (the depth limit; a folder link the server shows as a folder makes such endless trees)`,
						),
					);
					return { entries: [] };
				}
				const child: FolderSeen = { path: entry.path, uniqueId };
				const expectedRealPath =
					strict && folder.realPath ? childPath(folder.realPath, entry.name) : undefined;
				const link = await use(
					async (session) => await linkBeforeEntering(session, child, expectedRealPath, lineage),
				);
				if (link !== undefined) return { entries: [], link };
				return await walkFolder(child, relativePath, lineage);
			}),
		);
		const result: ListEntry[] = [];
		for (const [index, { entry, matched }] of listed.entries.entries()) {
			const { entries, link } = subfolders[index];
			if (link !== undefined) {
				await use(async (session) =>
					session.note(
						`"${entry.path}" is a link${link.target === undefined ? '' : ` to "${link.target}"`} (the server says so): listed as a link, not entered`,
					),
				);
				entry.type = 'symbolicLink';
				if (link.target !== undefined) entry.target = link.target;
			}
			if (matched && includes(include, entry.type)) result.push(entry);
			result.push(...entries);
		}
		return { entries: result };
	};

	const top: FolderSeen = {
		path: root,
		realPath: strict?.rootRealPath,
		uniqueId: policy.rootUniqueId,
	};
	const walked = await walkFolder(top, '', []);
	if (walked.link !== undefined) {
		refuse(
			`"${root}" is a link${walked.link.target === undefined ? '' : ` to "${walked.link.target}"`} (the server says so).`,
			'Give the path of the folder itself, not of a link to it.',
		);
	}
	return walked.entries;
}
