import { DEFAULTS } from '../defaults';
import { RemoteFailure } from '../failures';

/**
 * Bounds on what a listing or a recursive walk may cost, so that a broken or hostile server (an endless listing, a
 * tree that grows as fast as it is read) ends in an explained error instead of filling memory or running forever.
 * The user can raise each of them.
 */
export interface WalkLimits {
	/** Entries one folder listing may hold; checked before any of them is parsed. */
	maxEntriesPerFolder: number;
	/** Folders one recursive walk may list. */
	maxFolders: number;
	/** How long one recursive walk may take, in milliseconds. */
	timeLimitMs: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
	maxEntriesPerFolder: DEFAULTS.maxEntriesPerFolder,
	maxFolders: DEFAULTS.maxFolders,
	timeLimitMs: DEFAULTS.walkTimeLimitSeconds * 1000,
};

export const MAX_WALK_DEPTH = DEFAULTS.maxWalkDepth;

/** basic-ftp buffers a listing before it can be counted: this bounds that buffer in proportion to the entries. */
export function listingByteLimit(maxEntries: number): number {
	return Math.min(2 ** 30, Math.max(40 * 2 ** 20, maxEntries * 512));
}

/** The limits with the user's values where they are valid numbers, the defaults elsewhere. */
export function walkLimits(given: Partial<WalkLimits> = {}): WalkLimits {
	const positive = (value: number | undefined, fallback: number) =>
		typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
	return {
		maxEntriesPerFolder: Math.floor(
			positive(given.maxEntriesPerFolder, DEFAULT_WALK_LIMITS.maxEntriesPerFolder),
		),
		maxFolders: Math.floor(positive(given.maxFolders, DEFAULT_WALK_LIMITS.maxFolders)),
		timeLimitMs: positive(given.timeLimitMs, DEFAULT_WALK_LIMITS.timeLimitMs),
	};
}

/** Counts the folders one walk lists and watches its clock; fails with an explained error at either limit. */
export class WalkBudget {
	private folders = 0;
	private readonly startedAt = Date.now();

	constructor(
		readonly limits: WalkLimits,
		private readonly root: string,
	) {}

	get foldersListed(): number {
		return this.folders;
	}

	/** Called before each folder is listed. */
	spendFolder(): void {
		this.checkTime();
		if (this.folders >= this.limits.maxFolders) {
			throw new RemoteFailure(
				'command',
				`The folder "${this.root}" holds more than ${this.limits.maxFolders} folders (Max Folders)`,
				'Raise the limit of folders if the tree really is that large, or walk a narrower folder. A server whose folders never end (each holding new ones) is broken.',
				{ fixInNode: 'tooManyFolders' },
			);
		}
		this.folders++;
	}

	checkTime(): void {
		const elapsedMs = Date.now() - this.startedAt;
		if (elapsedMs > this.limits.timeLimitMs) {
			throw new RemoteFailure(
				'command',
				`Walking through "${this.root}" took longer than ${Math.round(this.limits.timeLimitMs / 1000)} s (Time Limit), after listing ${this.folders} folders`,
				'Raise the time limit if the tree is large or the server slow, or walk a narrower folder.',
				{ fixInNode: 'walkTimeLimit' },
			);
		}
	}
}
