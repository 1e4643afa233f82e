/**
 * The measurements of `npm run bench` (started by bench/run.sh, which installs the tools, starts vsftpd and sshd on
 * 127.0.0.1 and stops them afterwards). See BENCHMARKS.md for what is measured and why.
 *
 *   config.ts          what bench/run.sh passes in, the sizes, the folders, the rounds
 *   processes.ts       measured processes (wall time, peak RSS from /proc), sync, SHA-256
 *   data.ts            the test data, the checks of what arrived, the state each measurement starts from
 *   n8nRuns.ts         this package in a real n8n through the n8n driver (tools/n8n.ts), each `n8n execute` measured
 *   cases.ts           the cases inside n8n: n8n's own ceiling, this node, the built-in node
 *   clients.ts         curl, lftp, OpenSSH's sftp; referenceCases.ts the cases they run
 *   results.ts         medians, spreads, round-by-round ratios; report.ts the markdown
 *   profile.ts         BENCH_PROFILE: named cases once under --cpu-prof, where the CPU went while the nodes ran
 */
import { existsSync, promises as fsp } from 'fs';
import * as path from 'path';

import { WORKLOADS, n8nCases, smokeTest, workflowSpecs, type Case, type Workload } from './cases';
import {
	BIG_BYTES,
	DL,
	LOGS,
	PROFILE,
	RESULTS,
	REPO,
	ROUNDS,
	RUN,
	SMALL_COUNT,
	SSHD_PID,
	TMP,
	VSFTPD_PID,
	log,
} from './config';
import { createData, settle } from './data';
import { declaredOptions, setUpN8n } from './n8nRuns';
import { killChildren } from './processes';
import { profileCases } from './profile';
import { referenceCases } from './referenceCases';
import { report, treeState } from './report';
import { fmt, measurements, summarize } from './results';

const SOURCE: Record<Workload, 'big' | 'many'> = {
	bigDown: 'big',
	bigUp: 'big',
	manyDown: 'many',
	manyUp: 'many',
};

/**
 * Every case once per round, workload by workload, the order reversed every other round (so that no case always
 * follows the same neighbour), each starting from the same state (settle).
 */
async function rounds(cases: Case[]): Promise<void> {
	const workloads = WORKLOADS.filter((w) => (w.startsWith('big') ? RUN.large : RUN.small));
	for (let round = 1; round <= ROUNDS; round++) {
		for (const workload of workloads) {
			const due = cases.filter((c) => c.workload === workload && !(c.firstRoundOnly && round > 1));
			for (const c of round % 2 ? due : [...due].reverse()) {
				await settle(SOURCE[workload]);
				const sample = await c.run();
				measurements.push({ key: c.key, round, sample });
				log(`round ${round}/${ROUNDS} ${c.key}: ${fmt(sample.seconds, 2)} s`);
			}
		}
	}
}

async function main(): Promise<void> {
	const started = new Date();
	const t0 = Date.now();
	for (const folder of [LOGS, TMP, DL, RESULTS]) await fsp.mkdir(folder, { recursive: true });
	if (!existsSync(`/proc/${VSFTPD_PID}`)) throw new Error('vsftpd is not running');
	if (!existsSync(`/proc/${SSHD_PID}`)) throw new Error('sshd is not running');

	log('creating the test data');
	await createData();

	const protocols = [
		...(RUN.ftp ? (['ftp', 'ftps'] as const) : []),
		...(RUN.sftp ? (['sftp'] as const) : []),
	];
	const cases = [...n8nCases(protocols), ...referenceCases(protocols)];
	log('building and packing the package, loading it into a fresh n8n user folder');
	const tree = treeState();
	const { tgz } = await setUpN8n(workflowSpecs, async () => await smokeTest(protocols[0]));
	const options = declaredOptions();
	const engineEvidence = `options declared by the packed node: Download ${(options.download ?? []).join(', ') || 'none'}; Upload ${(options.upload ?? []).join(', ') || 'none'}`;

	if (PROFILE.length) {
		const stamp = started.toISOString().replace(/[:.]/g, '-');
		await profileCases(cases, PROFILE, path.join(RESULTS, `profile-${stamp}.md`));
		return;
	}
	await rounds(cases);

	const seconds = (Date.now() - t0) / 1000;
	const markdown = report({ started, seconds, tgz, engineEvidence, tree, cases });
	const stamp = started.toISOString().replace(/[:.]/g, '-');
	await fsp.writeFile(path.join(RESULTS, 'latest.md'), markdown + '\n');
	await fsp.writeFile(path.join(RESULTS, `${stamp}.md`), markdown + '\n');
	await fsp.writeFile(
		path.join(RESULTS, `${stamp}.json`),
		JSON.stringify(
			{
				started,
				seconds,
				bigBytes: BIG_BYTES,
				smallCount: SMALL_COUNT,
				rounds: ROUNDS,
				measurements,
				summaries: summarize(cases).map(({ case: c, ...rest }) => ({
					key: c.key,
					client: c.client,
					...rest,
				})),
			},
			null,
			2,
		) + '\n',
	);
	process.stdout.write(`\n${markdown}\n`);
	log(`results: ${path.relative(REPO, path.join(RESULTS, 'latest.md'))} (and ${stamp}.md/.json)`);
}

main().catch((error: unknown) => {
	log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
	killChildren();
	process.exit(1);
});
