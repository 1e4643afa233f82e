/**
 * The measurements of `npm run bench` (started by bench/run.sh, which installs the tools, starts vsftpd on
 * 127.0.0.1 and stops it afterwards). See BENCHMARKS.md for what is measured and why.
 *
 * Everything below runs against that one vsftpd (plain FTP and explicit FTPS on the same port) and one OpenSSH sshd
 * (SFTP, serving the same folder) and writes into one scratch folder (bench/.work: the FTP root, n8n's user folder
 * with its binary data store, curl's, lftp's and sftp's downloads), so all clients read and write the same disk.
 *
 *   config.ts     what bench/run.sh passes in, the sizes, the folders
 *   processes.ts  measured processes (wall time, peak RSS from /proc), sync, SHA-256
 *   clients.ts    curl and lftp
 *   n8nRuns.ts    this package in a real n8n through the n8n driver (tools/n8n.ts), each `n8n execute` measured
 *   workloads.ts  the test data, the workflows and the cases
 *   sftp.ts       the SFTP cases (sshd; curl, OpenSSH's sftp, the built-in node, n8n's own ceiling), in the same rounds
 *   results.ts    the rows; report.ts the markdown
 */
import { existsSync, promises as fsp } from 'fs';
import * as path from 'path';

import {
	BIG_BYTES,
	BIG_LABEL,
	DL,
	LARGE_REPEATS,
	LOGS,
	REPEATS,
	REPO,
	RESULTS,
	RUN,
	SMALL_COUNT,
	SSHD_PID,
	TMP,
	VSFTPD_PID,
	log,
} from './config';
import { declaredOptions, setUpN8n } from './n8nRuns';
import { killChildren } from './processes';
import { report, treeState } from './report';
import { collapseLargeRuns, largeRows, sftpLargeRows, sftpSmallRows, smallRows } from './results';
import { createSftpData, sftpLargeFile, sftpManyRound, sftpWorkflowSpecs } from './sftp';
import { createData, largeFile, manySmallFiles, smokeTest, workflowSpecs } from './workloads';

async function main(): Promise<void> {
	const started = new Date();
	const t0 = Date.now();
	for (const folder of [LOGS, TMP, DL, RESULTS]) await fsp.mkdir(folder, { recursive: true });
	if (!existsSync(`/proc/${VSFTPD_PID}`)) throw new Error('vsftpd is not running');
	if (!existsSync(`/proc/${SSHD_PID}`)) throw new Error('sshd is not running');

	log('creating the test data');
	await createData();
	await createSftpData();

	log('building and packing the package, loading it into a fresh n8n user folder');
	const specs = [...workflowSpecs(), ...sftpWorkflowSpecs()];
	const tree = treeState();
	const { tgz } = await setUpN8n(specs, smokeTest);
	const options = declaredOptions();
	const engineOptions = (options.download ?? []).includes('concurrency');
	const engineEvidence = `options declared by the packed node: Download ${(options.download ?? []).join(', ') || 'none'}; Upload ${(options.upload ?? []).join(', ') || 'none'}`;
	log(
		`transfer-engine options in the packed build: ${engineOptions ? 'yes' : 'no'} (${engineEvidence})`,
	);

	if (RUN.large) {
		for (let round = 1; round <= LARGE_REPEATS; round++) {
			log(`${BIG_LABEL} files: round ${round} of ${LARGE_REPEATS}`);
			if (RUN.ftp) await largeFile();
			if (RUN.sftp) await sftpLargeFile(round);
		}
		collapseLargeRuns();
	}
	if (RUN.small) await manySmallFiles(RUN.ftp, RUN.sftp ? sftpManyRound : undefined);

	const seconds = (Date.now() - t0) / 1000;
	const markdown = report({ started, seconds, tgz, engineOptions, engineEvidence, tree });
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
				repeats: REPEATS,
				engineOptions,
				largeRows,
				smallRows,
				sftpLargeRows,
				sftpSmallRows,
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
