/** The markdown report (bench/results/latest.md): the machine and software, one table per workload, the targets. */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

import { SCRIPT } from '../tools/n8n';
import type { Case, Role, Workload } from './cases';
import {
	BIG_BYTES,
	BIG_LABEL,
	MB,
	PARALLEL,
	PROTOCOL_LABEL,
	REPO,
	ROUNDS,
	RSS_GROWTH_LIMIT_MIB,
	SMALL_BYTES,
	SMALL_COUNT,
	USER_FOLDER,
	type Protocol,
} from './config';
import { fmt, fmtSpread, summarize, type Summary } from './results';

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

/** Targets of issue 16: medians over the rounds. */
export const CEILING_TARGET = 1.1;
export const BUILTIN_TARGET = 2.5;

const SMALL = `${SMALL_COUNT.toLocaleString('en-US')} × ${SMALL_BYTES / 1024} KiB`;
const TITLES: Record<Workload, string> = {
	bigDown: `One ${BIG_LABEL} file (random bytes), download`,
	bigUp: `One ${BIG_LABEL} file, upload`,
	manyDown: `${SMALL} in one folder, download (List → Download)`,
	manyUp: `${SMALL}, upload`,
};
const ROLE_ORDER: Role[] = ['ceiling', 'node', 'builtin', 'reference', 'information'];
const PROTOCOL_ORDER: Protocol[] = ['local', 'ftp', 'ftps', 'sftp'];

function ordered(summaries: Summary[]): Summary[] {
	const rank = (c: Case) => PROTOCOL_ORDER.indexOf(c.protocol) * 10 + ROLE_ORDER.indexOf(c.role);
	return [...summaries].sort((a, b) => rank(a.case) - rank(b.case));
}

function runs(summary: Summary): string {
	return summary.samples.map((s) => s.seconds.toFixed(2)).join(', ');
}

function bigTable(workload: 'bigDown' | 'bigUp', summaries: Summary[]): string[] {
	const lines = [
		"| Protocol | Client | Time (s): median (min–max) | MB/s | × n8n's ceiling: median (min–max) | × built-in | n8n wall (s) | Peak RSS (MiB) | RSS growth vs 16 KiB (MiB): median (min–max) | RSS rise while the node ran (MiB) | Peak RSS reached during | runs (s) | Verified |",
		'|---|---|---|---:|---|---|---:|---:|---|---:|---|---|---|',
	];
	for (const s of ordered(summaries.filter((x) => x.case.workload === workload))) {
		const note = s.case.firstRoundOnly ? ` (first round only: ${s.case.firstRoundOnly})` : '';
		lines.push(
			`| ${PROTOCOL_LABEL[s.case.protocol]} | ${s.case.client}${note} | ${fmtSpread(s.seconds)} | ${fmt(BIG_BYTES / MB / s.seconds.median, 0)} | ${s.case.role === 'ceiling' ? '1.00' : fmtSpread(s.vsCeiling)} | ${fmtSpread(s.vsBuiltin)} | ${fmt(s.wall?.median, 1)} | ${fmt(s.peakRss?.median, 0)} | ${fmtSpread(s.rssGrowth, 0)} | ${fmt(s.rise?.median, 0)} | ${s.peakAt.join(', ') || '–'} | ${runs(s)} | ${s.samples[0].verified} |`,
		);
	}
	return lines;
}

function manyTable(workload: 'manyDown' | 'manyUp', summaries: Summary[]): string[] {
	const lines = [
		"| Protocol | Client | Time (s): median (min–max) | of which List (s) | files/s | × n8n's ceiling: median (min–max) | × built-in | n8n wall (s) | Peak RSS (MiB) | runs (s) | Verified |",
		'|---|---|---|---:|---:|---|---|---:|---:|---|---|',
	];
	for (const s of ordered(summaries.filter((x) => x.case.workload === workload))) {
		lines.push(
			`| ${PROTOCOL_LABEL[s.case.protocol]} | ${s.case.client} | ${fmtSpread(s.seconds)} | ${fmt(s.list?.median, 2)} | ${fmt(SMALL_COUNT / s.seconds.median, 0)} | ${s.case.role === 'ceiling' ? '1.00' : fmtSpread(s.vsCeiling)} | ${fmtSpread(s.vsBuiltin)} | ${fmt(s.wall?.median, 1)} | ${fmt(s.peakRss?.median, 0)} | ${runs(s)} | ${s.samples[0].verified} |`,
		);
	}
	return lines;
}

interface Target {
	target: string;
	measured: string;
	pass: boolean;
}

function targets(summaries: Summary[]): Target[] {
	const result: Target[] = [];
	const nodes = ordered(summaries.filter((s) => s.case.role === 'node'));
	for (const s of nodes) {
		const what = `${TITLES[s.case.workload]}, ${PROTOCOL_LABEL[s.case.protocol]}`;
		if (s.vsCeiling)
			result.push({
				target: `${what}: ≤ ${CEILING_TARGET} × n8n's own ceiling`,
				measured: `${fmtSpread(s.vsCeiling)} × (${fmt(s.seconds.median, 2)} s)`,
				pass: s.vsCeiling.median <= CEILING_TARGET,
			});
		if (s.vsBuiltin && s.case.workload.startsWith('many'))
			result.push({
				target: `${what}: ≥ ${BUILTIN_TARGET} × faster than n8n's built-in FTP node`,
				measured: `${fmtSpread(s.vsBuiltin)} ×`,
				pass: s.vsBuiltin.median >= BUILTIN_TARGET,
			});
		if (s.rssGrowth)
			result.push({
				target: `${what}: peak RSS growth < ${RSS_GROWTH_LIMIT_MIB} MiB`,
				measured: `${fmtSpread(s.rssGrowth, 0)} MiB (rise while the node ran: ${fmtSpread(s.rise, 0)} MiB)`,
				pass: s.rssGrowth.median < RSS_GROWTH_LIMIT_MIB,
			});
	}
	return result;
}

export function report(context: {
	started: Date;
	seconds: number;
	tgz: string;
	engineEvidence: string;
	tree: Tree;
	cases: Case[];
}): string {
	const lines: string[] = [];
	const { commit, dirty } = context.tree;
	const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
	const summaries = summarize(context.cases);

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
		}; ${context.engineEvidence}`,
	);
	lines.push(
		`- **Machine**: ${cpu}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}; everything on 127.0.0.1 and one disk`,
	);
	lines.push(
		`- **Software**: n8n ${versionOf('bash', [SCRIPT, 'n8n', USER_FOLDER, '--version'])} (headless \`n8n execute\`, binary data mode filesystem), Node ${process.version}, vsftpd ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'vsftpd'])} (one instance: plain FTP and explicit FTPS, require_ssl_reuse=YES, passive), ${versionOf('curl', ['--version']).split(' ').slice(0, 2).join(' ')} (${/libssh2\/[\d.]+/.exec(versionOf('curl', ['--version']))?.[0] ?? 'no libssh2'}), lftp ${/Version ([\d.]+)/.exec(versionOf('lftp', ['--version']))?.[1] ?? 'unknown'}, OpenSSH ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'openssh-server'])} (sshd with internal-sftp and its default algorithms)`,
	);
	lines.push(
		`- **Rounds**: ${ROUNDS}; in each round every case runs once as its own process, one after the other, in the opposite order every other round; before each: \`sync\` and the source read into the page cache. Medians over the rounds; ratios are computed round by round (this row's time ÷ the ceiling's time in the same round) and given as median (min–max). × built-in = the built-in node's time ÷ this node's, round by round (above 1: faster). Concurrency ${PARALLEL} on the ${SMALL_COUNT.toLocaleString('en-US')} files. MB/s = 10^6 bytes per second; RSS in MiB.`,
	);
	lines.push('');
	let section = 0;
	for (const workload of ['bigDown', 'bigUp', 'manyDown', 'manyUp'] as const) {
		if (!summaries.some((s) => s.case.workload === workload)) continue;
		lines.push(`## ${++section}. ${TITLES[workload]}`);
		lines.push('');
		lines.push(
			...(workload.startsWith('big')
				? bigTable(workload as 'bigDown', summaries)
				: manyTable(workload as 'manyDown', summaries)),
		);
		lines.push('');
	}
	const list = targets(summaries);
	lines.push(`## Targets (${list.filter((t) => t.pass).length} of ${list.length} met)`);
	lines.push('');
	lines.push('| Target | Measured: median (min–max of the rounds) | Result |');
	lines.push('|---|---|---|');
	for (const t of list)
		lines.push(`| ${t.target} | ${t.measured} | ${t.pass ? '**pass**' : '**miss**'} |`);
	lines.push('');
	return lines.join('\n');
}
