/** The rows the workloads fill in and the report prints, and the arithmetic on them. */
import type { Security } from './config';

export interface LargeRow {
	direction: 'download' | 'upload';
	security: Security;
	client: string;
	kind: 'curl-null' | 'curl-disk' | 'lftp' | 'node' | 'builtin';
	seconds: number;
	/** n8n rows: the whole `n8n execute` process (start-up, migrations check, the other nodes). */
	wallSeconds?: number;
	peakRssMiB?: number;
	tinyPeakRssMiB?: number;
	/** VmRSS rise while the FTP node ran (see rssRiseKiB). */
	riseMiB?: number;
	/** When the peak VmRSS sample was taken (peakPhase). */
	peakAt?: string;
	verified: string;
	/** The time of every round, s (the row's other values are those of the median round). */
	runs?: number[];
}

export interface SmallRow {
	security: Security;
	client: string;
	kind: 'lftp8' | 'lftp1' | 'node1' | 'node8' | 'builtin';
	runs: number[];
	/** n8n rows: the List node's share of each run, s. */
	listRuns?: number[];
	wallRuns?: number[];
	peakRssMiB?: number[];
	verified: string;
}

export const largeRows: LargeRow[] = [];
/** Every round's rows, collapsed into `largeRows` by collapseLargeRuns. */
export const largeRuns: LargeRow[] = [];

/** One row per client and case: the median round's values, with every round's time in `runs`. */
function collapse<T extends { seconds: number; runs?: number[] }>(
	all: T[],
	key: (run: T) => string,
): T[] {
	const groups = new Map<string, T[]>();
	for (const run of all) groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
	return [...groups.values()].map((runs) => {
		const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
		const middle = sorted[Math.floor((sorted.length - 1) / 2)];
		return {
			...middle,
			seconds: median(runs.map((run) => run.seconds)),
			runs: runs.map((run) => run.seconds),
		};
	});
}

export function collapseLargeRuns(): void {
	largeRows.push(...collapse(largeRuns, (run) => `${run.direction}/${run.security}/${run.kind}`));
	sftpLargeRows.push(...collapse(sftpLargeRuns, (run) => `${run.direction}/${run.kind}`));
}

/** The SFTP rows (sftp.ts): one sshd, so no security column; n8n's own ceiling is the reference. */
export interface SftpLargeRow extends Omit<LargeRow, 'security' | 'kind'> {
	kind: 'curl-null' | 'curl-disk' | 'sftp' | 'ceiling' | 'node' | 'builtin';
}
export const sftpLargeRuns: SftpLargeRow[] = [];
export const sftpLargeRows: SftpLargeRow[] = [];

export interface SftpSmallRow extends Omit<SmallRow, 'security' | 'kind'> {
	kind: 'curl8' | 'sftp8' | 'sftp1' | 'ceiling' | 'node8' | 'builtin';
}
export const sftpSmallRows: SftpSmallRow[] = [];
export const smallRows: SmallRow[] = [];
export const notes: string[] = [];

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function fmt(value: number | undefined, digits = 1): string {
	return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

export const kib2mib = (kib: number): number => kib / 1024;
