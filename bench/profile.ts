/**
 * `BENCH_PROFILE=manyDown/node/ftp,manyUp/node/ftp npm run bench`: instead of the rounds, runs each named case once
 * with n8n under `node --cpu-prof` and writes where the n8n process spent its CPU while the measured nodes ran
 * (bench/results/profile-<time>.md): self time by package and the functions with the most self time. The samples
 * before the first and after the last measured node (n8n's start-up, the run data being saved) are left out.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import type { Case } from './cases';
import { WORK, log } from './config';
import { settle } from './data';
import { nodeRun, onExecution, setExtraEnvironment, type WorkflowRun } from './n8nRuns';
import { emptyFolder } from './processes';

interface CpuProfile {
	nodes: Array<{
		id: number;
		callFrame: { functionName: string; url: string; lineNumber: number };
	}>;
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

const MEASURED_NODES = ['List', 'Download', 'Upload'];
const CEILING_NODES = ['Read File', 'Write File'];

/** From the first measured node's start to the last one's end, ms since the epoch. */
function nodeWindow(execution: WorkflowRun): [number, number] {
	const ran = Object.keys(execution.run.data.resultData.runData);
	const names = ran.some((name) => MEASURED_NODES.includes(name))
		? MEASURED_NODES.filter((name) => ran.includes(name))
		: CEILING_NODES.filter((name) => ran.includes(name)).slice(-1);
	const spans = names.map((name) => {
		const { startTime = 0, executionTime = 0 } = nodeRun(execution.run, name);
		return [startTime, startTime + executionTime];
	});
	return [Math.min(...spans.map(([start]) => start)), Math.max(...spans.map(([, end]) => end))];
}

/** Which package a sampled function belongs to. */
function packageOf(url: string, functionName: string): string {
	if (!url) return functionName.startsWith('(') ? functionName : '(native)';
	if (url.startsWith('node:')) return 'node (built-in modules)';
	const modules = url.lastIndexOf('node_modules/');
	if (modules >= 0) {
		const rest = url.slice(modules + 'node_modules/'.length).split('/');
		return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
	}
	return url.includes('.n8n/nodes') ? 'n8n-nodes-ftp-automation' : url;
}

function summarizeProfile(profile: CpuProfile, execution: WorkflowRun, title: string): string[] {
	const [from, to] = nodeWindow(execution);
	// The profile's clock is monotonic; it ended when the process ended.
	const offsetUs = execution.endedAt * 1000 - profile.endTime;
	const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
	const byFunction = new Map<string, number>();
	const byPackage = new Map<string, number>();
	let at = profile.startTime;
	let total = 0;
	profile.samples.forEach((id, i) => {
		at += profile.timeDeltas[i];
		const delta = profile.timeDeltas[i + 1] ?? 0;
		const epochMs = (at + offsetUs) / 1000;
		if (epochMs < from || epochMs > to) return;
		const frame = frames.get(id)!;
		const pkg = packageOf(frame.url, frame.functionName);
		const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
		const key = `${frame.functionName || '(anonymous)'} | ${pkg} ${where}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
		byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
		total += delta;
	});
	const ms = (us: number) => (us / 1000).toFixed(0);
	const share = (us: number) => `${((100 * us) / Math.max(total, 1)).toFixed(1)} %`;
	const top = <T>(map: Map<T, number>, count: number) =>
		[...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
	return [
		`## ${title}`,
		'',
		`Samples while the measured nodes ran: ${ms(total)} ms (the nodes' window: ${((to - from) / 1000).toFixed(2)} s).`,
		'',
		'| Package | self time (ms) | share |',
		'|---|---:|---:|',
		...top(byPackage, 15).map(([pkg, us]) => `| ${pkg} | ${ms(us)} | ${share(us)} |`),
		'',
		'| Function (package, file:line) | self time (ms) | share |',
		'|---|---:|---:|',
		...top(byFunction, 25).map(
			([key, us]) => `| ${key.replace(/\|/g, '·')} | ${ms(us)} | ${share(us)} |`,
		),
		'',
	];
}

export async function profileCases(cases: Case[], keys: string[], outFile: string): Promise<void> {
	const lines = ['# Where the n8n process spends its CPU while the measured nodes run', ''];
	for (const key of keys) {
		const c = cases.find((candidate) => candidate.key === key);
		if (!c)
			throw new Error(`BENCH_PROFILE: no case "${key}" (${cases.map((x) => x.key).join(', ')})`);
		const folder = path.join(WORK, 'profiles', key.replace(/\//g, '-'));
		await emptyFolder(folder);
		// The first execution is the measured one (a 1 GiB case runs its 16 KiB baseline after it).
		const executions: WorkflowRun[] = [];
		onExecution((execution) => executions.push(execution));
		setExtraEnvironment({ N8N_NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${folder}` });
		await settle(c.workload.startsWith('big') ? 'big' : 'many');
		try {
			const sample = await c.run();
			log(`profiled ${key}: ${sample.seconds.toFixed(2)} s`);
		} finally {
			setExtraEnvironment({});
			onExecution(undefined);
		}
		const execution = executions[0];
		if (!execution) throw new Error(`BENCH_PROFILE: "${key}" runs no n8n process`);
		const file = (await fsp.readdir(folder)).find((name) => name.includes(`.${execution.pid}.`));
		if (!file) throw new Error(`no CPU profile of process ${execution.pid} in ${folder}`);
		const profile = JSON.parse(await fsp.readFile(path.join(folder, file), 'utf8')) as CpuProfile;
		lines.push(...summarizeProfile(profile, execution, `${key}: ${c.client}`));
	}
	await fsp.writeFile(outFile, lines.join('\n') + '\n');
	log(`profile: ${outFile}`);
}
