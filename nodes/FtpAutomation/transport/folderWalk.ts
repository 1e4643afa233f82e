import { FtpFailure } from './errors';
import type { FtpSession } from './FtpSession';
import {
	globFilter,
	includes,
	listingFingerprint,
	toListEntry,
	type IncludeEntries,
	type ListEntry,
} from './listing';

/** Deeper than any real folder tree; reached only when the server shows a link loop as plain folders. */
const MAX_LIST_DEPTH = 50;

export interface ListOptions {
	recursive?: boolean;
	include?: IncludeEntries;
	filter?: string;
	/** Further attempts for a folder whose listing fails transiently. */
	retries?: number;
}

/** Lends a connection for one piece of work: the session itself, or one of a pool's. */
export type UseSession = <T>(work: (session: FtpSession) => Promise<T>) => Promise<T>;

/** Lends one session to one piece of work at a time (a connection runs one command at a time), in order. */
export function oneAtATime(session: FtpSession): UseSession {
	let previous: Promise<unknown> = Promise.resolve();
	return async <T>(work: (session: FtpSession) => Promise<T>): Promise<T> => {
		const turn = previous.then(async () => await work(session));
		previous = turn.catch(() => undefined);
		return await turn;
	};
}

/**
 * Lists `path` and, if recursive, its subfolders: each folder is listed as soon as a connection is free, so a pool
 * of N connections lists N folders at once. The result is in the order a depth-first walk would give (each folder's
 * entries in listing order, a subfolder's contents right after the subfolder), whatever order the listings finish in.
 */
export async function walkFolders(
	use: UseSession,
	path: unknown,
	options: ListOptions = {},
): Promise<ListEntry[]> {
	const matches = globFilter(options.filter);
	const include = options.include ?? 'both';
	const root = await use(async (session) => await session.existingFolder(path));
	const visited = new Set<string>();

	const walk = async (
		directory: string,
		relativeDirectory: string,
		ancestors: string[],
	): Promise<ListEntry[]> => {
		// Symbolic links are listed but never entered, and every folder is entered once.
		if (visited.has(directory)) return [];
		visited.add(directory);
		if (ancestors.length > MAX_LIST_DEPTH) {
			throw new FtpFailure(
				'command',
				`The folder "${root}" is nested more than ${MAX_LIST_DEPTH} levels deep at "${directory}"`,
				'A folder link on the server probably points back to one of its parents. List a narrower folder, or turn off Recursive.',
			);
		}
		const listed = await use(async (session) => {
			const infos = await session.listFolder(directory, options.retries ?? 0);
			// Some servers (ftp-srv, Windows junctions) show a link to a parent as a plain folder. Its contents are
			// then exactly those of that parent: list it, but do not descend into the same folder again.
			const fingerprint = listingFingerprint(infos);
			const loops = ancestors.includes(fingerprint);
			if (loops)
				session.note(
					`Not descending into ${directory}: it lists exactly what one of its parents lists (a folder link?)`,
				);
			const entries = (loops ? [] : infos).map((info) => {
				const entry = toListEntry(info, directory);
				const relativePath =
					relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
				return {
					entry,
					relativePath,
					output: includes(include, entry.type) && matches(relativePath),
				};
			});
			return { entries, fingerprint, exactTimes: session.supportsMlsd };
		});
		// Servers without MLSD (vsftpd) give exact times only through MDTM, one file at a time: ask on every free
		// connection at once.
		if (!listed.exactTimes) {
			await Promise.all(
				listed.entries
					.filter(
						({ entry, output }) => output && entry.type === 'file' && entry.modifiedAt === null,
					)
					.map(async ({ entry }) => {
						entry.modifiedAt = await use(
							async (session) => await session.modificationTime(entry.path),
						);
					}),
			);
		}
		const subfolders = await Promise.all(
			listed.entries.map(async ({ entry, relativePath }) =>
				options.recursive && entry.type === 'directory'
					? await walk(entry.path, relativePath, [...ancestors, listed.fingerprint])
					: [],
			),
		);
		return listed.entries.flatMap(({ entry, output }, index) => [
			...(output ? [entry] : []),
			...subfolders[index],
		]);
	};
	return await walk(root, '', []);
}
