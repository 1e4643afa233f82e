/** The markdown report (bench/results/latest.md): the machine and software, both tables, the targets. */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

import { SCRIPT } from '../tools/n8n';
import {
	BIG_BYTES,
	BIG_LABEL,
	LARGE_REPEATS,
	MB,
	REPEATS,
	REPO,
	RSS_GROWTH_LIMIT_MIB,
	SECURITIES,
	SECURITY_LABEL,
	SMALL_BYTES,
	SMALL_COUNT,
	USER_FOLDER,
	type Security,
} from './config';
import { fmt, largeRows, median, notes, smallRows, type LargeRow, type SmallRow } from './results';
import { sftpReport } from './sftp';

function versionOf(command: string, args: string[]): string {
	try {
		return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
			.split('\n')[0]
			.trim();
	} catch {
		return 'unknown';
	}
}

function git(args: string[]): string {
	try {
		return execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim();
	} catch {
		return '';
	}
}

interface Target {
	target: string;
	measured: string;
	pass: boolean | undefined;
}

export interface Tree {
	commit: string;
	/** `git status --porcelain` of nodes/ and credentials/ when the package was built. */
	dirty: string;
}

export function treeState(): Tree {
	return {
		commit: git(['rev-parse', '--short=12', 'HEAD']),
		dirty: git(['status', '--porcelain', '--', 'nodes', 'credentials']),
	};
}

export function report(context: {
	started: Date;
	seconds: number;
	tgz: string;
	engineOptions: boolean;
	engineEvidence: string;
	tree: Tree;
}): string {
	const lines: string[] = [];
	const { commit, dirty } = context.tree;
	const mbps = (bytes: number, seconds: number): number => bytes / MB / seconds;
	const cpu = os.cpus()[0]?.model ?? 'unknown CPU';

	lines.push(`# FTP Automation node benchmark: results`);
	lines.push('');
	lines.push(
		`- **Date**: ${context.started
			.toISOString()
			.replace('T', ' ')
			.replace(/\.\d+Z$/, ' UTC')}, \`npm run bench\` took ${Math.round(context.seconds)} s`,
	);
	lines.push(
		`- **Measured**: commit \`${commit}\`${
			dirty
				? ` plus uncommitted changes in ${dirty.split('\n').length} file(s) of nodes/ or credentials/ (${dirty
						.split('\n')
						.map((line) => line.trim().replace(/^\S+\s+/, ''))
						.join(', ')}): the working tree as it was when the package was built and packed`
				: ` (clean nodes/ and credentials/; packed as \`${path.basename(context.tgz)}\`)`
		}`,
	);
	lines.push(
		`- **Transfer-engine options** (Download \`options.concurrency\`): ${context.engineOptions ? 'present in the packed build' : '**not yet in the packed build**: n8n ignores the unknown option and the Download node runs sequentially, so "concurrency 8" is the same as concurrency 1'} (${context.engineEvidence})`,
	);
	lines.push(
		`- **Machine**: ${cpu}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}; everything on 127.0.0.1 and one disk`,
	);
	lines.push(
		`- **Software**: n8n ${versionOf('bash', [SCRIPT, 'n8n', USER_FOLDER, '--version'])} (headless \`n8n execute\`, binary data mode filesystem), Node ${process.version}, vsftpd ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'vsftpd'])} (one instance: plain FTP and explicit FTPS, require_ssl_reuse=YES, passive), ${versionOf('curl', ['--version']).split(' ').slice(0, 2).join(' ')} (${/libssh2\/[\d.]+/.exec(versionOf('curl', ['--version']))?.[0] ?? 'no libssh2'}), lftp ${/Version ([\d.]+)/.exec(versionOf('lftp', ['--version']))?.[1] ?? 'unknown'}, OpenSSH ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'openssh-server'])} (sshd with internal-sftp and its default algorithms, password login; its sftp client with key login)`,
	);
	lines.push(`- MB/s = 10^6 bytes per second. RSS in MiB.`);
	lines.push('');

	// ---- large file (FTP; left out when BENCH_ONLY skipped it)
	if (largeRows.length) lines.push(...ftpLargeTable());
	if (smallRows.length) lines.push(...ftpSmallTable());

	function ftpLargeTable(): string[] {
		const lines: string[] = [];
		lines.push(
			`## 1. One ${BIG_LABEL} file (random bytes), median of ${LARGE_REPEATS} run${LARGE_REPEATS > 1 ? 's' : ''} (interleaved rounds)`,
		);
		lines.push('');
		lines.push(
			"Node time = the node's `executionTime` in n8n's run data (connect, log in, transfer, close); n8n wall = the whole `n8n execute` process. curl/lftp time = the process's wall time (connect, log in, transfer).",
		);
		lines.push('');
		lines.push(
			'| Transfer | Security | Client | Time (s), median | runs (s) | MB/s | × curl-to-disk | n8n wall (s) | Peak RSS (MiB) | Peak RSS, same workflow with a 16 KiB file | RSS growth (MiB) | RSS rise while the node ran (MiB) | Peak RSS reached during | Verified |',
		);
		lines.push('|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
		const reference = (direction: string, security: Security): LargeRow | undefined =>
			largeRows.find(
				(r) => r.direction === direction && r.security === security && r.kind === 'curl-disk',
			);
		for (const r of largeRows) {
			const ref = reference(r.direction, r.security);
			const ratio = ref ? ref.seconds / r.seconds : undefined;
			const growth =
				r.peakRssMiB !== undefined && r.tinyPeakRssMiB !== undefined
					? r.peakRssMiB - r.tinyPeakRssMiB
					: undefined;
			lines.push(
				`| ${r.direction} | ${SECURITY_LABEL[r.security]} | ${r.client} | ${fmt(r.seconds, 2)} | ${(r.runs ?? [r.seconds]).map((run) => run.toFixed(2)).join(', ')} | ${fmt(mbps(BIG_BYTES, r.seconds), 0)} | ${r.kind === 'curl-disk' ? '1.00' : fmt(ratio, 2)} | ${fmt(r.wallSeconds, 1)} | ${fmt(r.peakRssMiB, 0)} | ${fmt(r.tinyPeakRssMiB, 0)} | ${fmt(growth, 0)} | ${fmt(r.riseMiB, 0)} | ${r.peakAt ?? '–'} | ${r.verified} |`,
			);
		}
		lines.push('');
		return lines;
	}

	function ftpSmallTable(): string[] {
		const lines: string[] = [];
		lines.push(
			`## 2. ${SMALL_COUNT.toLocaleString('en-US')} files of ${SMALL_BYTES / 1024} KiB in one folder (median of ${REPEATS} run${REPEATS > 1 ? 's' : ''}, interleaved rounds)`,
		);
		lines.push('');
		lines.push(
			'Node time = List `executionTime` + Download `executionTime`. lftp time = the wall time of `lftp -e "mirror --parallel=N /many DIR"` (connect, log in, list, download).',
		);
		lines.push('');
		lines.push(
			'| Security | Client | Time (s), median | runs (s) | of which List (s), median | files/s | MB/s | × lftp --parallel=8 | n8n wall (s), median | Peak RSS (MiB), median | Verified |',
		);
		lines.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
		const lftp8 = (security: Security): SmallRow | undefined =>
			smallRows.find((r) => r.security === security && r.kind === 'lftp8');
		for (const r of smallRows) {
			const m = median(r.runs);
			const ref = lftp8(r.security);
			lines.push(
				`| ${SECURITY_LABEL[r.security]} | ${r.client} | ${fmt(m, 2)} | ${r.runs.map((v) => v.toFixed(2)).join(', ')} | ${r.listRuns?.length ? fmt(median(r.listRuns), 2) : '–'} | ${fmt(SMALL_COUNT / m, 0)} | ${fmt(mbps(SMALL_COUNT * SMALL_BYTES, m), 1)} | ${ref ? (r.kind === 'lftp8' ? '1.00' : fmt(median(ref.runs) / m, 2)) : '–'} | ${r.wallRuns?.length ? fmt(median(r.wallRuns), 1) : '–'} | ${r.peakRssMiB?.length ? fmt(median(r.peakRssMiB), 0) : '–'} | ${r.verified} |`,
			);
		}
		lines.push('');
		return lines;
	}

	// ---- SFTP (sftp.ts)
	const sftp = sftpReport();
	lines.push(...sftp.lines);

	// ---- targets
	const targets: Target[] = [];
	const findLarge = (
		direction: string,
		security: Security,
		kind: LargeRow['kind'],
	): LargeRow | undefined =>
		largeRows.find((r) => r.direction === direction && r.security === security && r.kind === kind);
	for (const direction of ['download', 'upload']) {
		for (const security of SECURITIES) {
			const node = findLarge(direction, security, 'node');
			const ref = findLarge(direction, security, 'curl-disk');
			if (!node || !ref) continue;
			const ratio = ref.seconds / node.seconds;
			targets.push({
				target: `${BIG_LABEL} ${direction}, ${SECURITY_LABEL[security]}: ≥ 0.9 × curl-to-disk throughput`,
				measured: `${ratio.toFixed(2)} × (${fmt(mbps(BIG_BYTES, node.seconds), 0)} vs ${fmt(mbps(BIG_BYTES, ref.seconds), 0)} MB/s)`,
				pass: ratio >= 0.9,
			});
		}
	}
	for (const r of largeRows.filter((row) => row.kind === 'node')) {
		const growth = r.peakRssMiB! - r.tinyPeakRssMiB!;
		// An upload's peak can come from n8n's Read/Write Files from Disk node, which loads the file before the FTP
		// node runs: the FTP node is then judged by how much RSS rose while it ran.
		const peakElsewhere =
			r.peakAt !== undefined && r.peakAt !== (r.direction === 'download' ? 'Download' : 'Upload');
		targets.push({
			target: `${BIG_LABEL} ${r.direction}, ${SECURITY_LABEL[r.security]}: peak RSS growth < ${RSS_GROWTH_LIMIT_MIB} MiB`,
			measured: `${growth.toFixed(0)} MiB (${r.peakRssMiB!.toFixed(0)} vs ${r.tinyPeakRssMiB!.toFixed(0)} MiB, peak reached during ${r.peakAt ?? '?'}); rise while the FTP node ran: ${fmt(r.riseMiB, 0)} MiB`,
			pass:
				growth < RSS_GROWTH_LIMIT_MIB ||
				(peakElsewhere && (r.riseMiB ?? Infinity) < RSS_GROWTH_LIMIT_MIB),
		});
	}
	const findSmall = (security: Security, kind: SmallRow['kind']): SmallRow | undefined =>
		smallRows.find((r) => r.security === security && r.kind === kind);
	for (const security of SECURITIES) {
		const node = findSmall(security, 'node8');
		const ref = findSmall(security, 'lftp8');
		if (!node || !ref) continue;
		const n = median(node.runs);
		const l = median(ref.runs);
		targets.push({
			target: `${SMALL_COUNT} × 16 KiB, ${SECURITY_LABEL[security]}: concurrency 8 faster than lftp mirror --parallel=8`,
			measured: `${n.toFixed(2)} s vs ${l.toFixed(2)} s (${(l / n).toFixed(2)} ×)`,
			pass: n < l,
		});
	}
	for (const direction of ['download', 'upload']) {
		const node = findLarge(direction, 'plain', 'node');
		const builtin = findLarge(direction, 'plain', 'builtin');
		if (!node || !builtin) continue;
		const ratio = builtin.seconds / node.seconds;
		targets.push({
			target: `${BIG_LABEL} ${direction}, plain FTP: ≥ 2 × the built-in FTP node`,
			measured: `${ratio.toFixed(2)} × (${node.seconds.toFixed(2)} s vs ${builtin.seconds.toFixed(2)} s)`,
			pass: ratio >= 2,
		});
	}
	{
		const node = findSmall('plain', 'node8');
		const builtin = findSmall('plain', 'builtin');
		if (node && builtin) {
			const ratio = median(builtin.runs) / median(node.runs);
			targets.push({
				target: `${SMALL_COUNT} × 16 KiB, plain FTP: ≥ 2 × the built-in FTP node (concurrency 8)`,
				measured: `${ratio.toFixed(2)} × (${median(node.runs).toFixed(2)} s vs ${median(builtin.runs).toFixed(2)} s)`,
				pass: ratio >= 2,
			});
		}
	}
	targets.push(...sftp.targets);
	lines.push('## Targets');
	lines.push('');
	lines.push('| Target | Measured | Result |');
	lines.push('|---|---|---|');
	for (const t of targets)
		lines.push(
			`| ${t.target} | ${t.measured} | ${t.pass === undefined ? '–' : t.pass ? '**pass**' : '**miss**'} |`,
		);
	lines.push('');
	if (notes.length) {
		lines.push('## Notes from this run');
		lines.push('');
		for (const note of notes) lines.push(`- ${note}`);
		lines.push('');
	}
	return lines.join('\n');
}
