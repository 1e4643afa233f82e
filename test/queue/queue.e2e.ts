/**
 * The package in n8n's queue mode (see test/queue/README.md): one main, two workers, Redis and PostgreSQL on
 * loopback, the packed package in the shared user folder, one vsftpd. Run once with binary data mode `database`
 * (n8n 2's default in queue mode) and once with `filesystem` on a folder all processes share.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { N8nCredential } from '../../tools/n8n';
import {
	startSpecialServers,
	writeAsUser,
	type SpecialServer,
	type SpecialServers,
} from '../helpers/interopServers';
import { QueueCluster, type BinaryDataMode, type ClusterOptions } from './cluster';
import {
	CONCURRENCY,
	DATA_TABLES,
	FILES_PER_WORKFLOW,
	ftpCredentialData,
	lastExecutionId,
	listAsTheNodeDoes,
	putBulkFiles,
	runDataOf,
	sha256,
	waitForFinished,
	WORKER_CONCURRENCY,
	WORKFLOWS,
	writeLargeFile,
	type ExpectedFile,
} from './scenario';
import {
	dropFiles,
	errorOf,
	expectTriggerEmittedOnceEach,
	killWorkerMidUpload,
	publish,
	type DroppedFiles,
} from './checks';
import { sampleConnections } from './serverConnections';
import { CLAIM_TABLES, claimFlow, putClaimFiles, runClaims, type ClaimFiles } from './claims';
import {
	bulkWebhookPath,
	bulkWorkflow,
	FTP_CREDENTIAL,
	LIMIT_WEBHOOK_PATH,
	LIMIT_WORKFLOW_ID,
	PG_CREDENTIAL,
	tooLargeDownloadWorkflow,
	TRIGGER_WORKFLOW_ID,
	triggerWorkflow,
	UPLOAD_WEBHOOK_PATH,
	UPLOAD_WORKFLOW_ID,
	uploadWorkflow,
	type Workflow,
} from './workflows';

const DATABASE_LIMIT_MIB = 4;
const TOO_LARGE_BYTES = 24 * 1024 * 1024 + 5;
const UPLOAD_BYTES = 384 * 1024 * 1024;
const KEEP = process.env.N8N_E2E_KEEP === '1';

let cluster: QueueCluster;
let servers: SpecialServers;
let ftp: SpecialServer;
let expectedFiles: Map<string, ExpectedFile>;
let uploadSourceHash: string;
let uploadSourceFolder: string;
let claimFiles: ClaimFiles;
const figures: Record<string, string | number> = {};
const dropped: DroppedFiles = new Map();
const bulkWorkflowIds = Array.from(
	{ length: WORKFLOWS },
	(_, index) => bulkWorkflow(index, CONCURRENCY).id,
);

function clusterOptions(mode: BinaryDataMode): ClusterOptions {
	return {
		mode,
		workerConcurrency: WORKER_CONCURRENCY,
		env: {
			N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE: String(DATABASE_LIMIT_MIB),
			N8N_RESTRICT_FILE_ACCESS_TO: uploadSourceFolder,
		},
	};
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
	const started = Date.now();
	try {
		return await work();
	} finally {
		figures[`${label} (ms)`] = Date.now() - started;
	}
}

beforeAll(async () => {
	// 32 sessions at once, each with its own passive data connection: more passive ports than the default 20.
	process.env.FTP_INTEROP_PASV = '120';
	const results = await Promise.allSettled([
		timed(
			'setup: n8n pack, Redis, PostgreSQL',
			async () => (cluster = await QueueCluster.create()),
		),
		timed('setup: vsftpd', async () => {
			servers = await startSpecialServers(['vsftpd-plain-only']);
			ftp = servers.get('vsftpd-plain-only');
		}),
	]);
	const failed = results.find((result) => result.status === 'rejected');
	if (failed) throw (failed as PromiseRejectedResult).reason;

	expectedFiles = await timed(
		'setup: 2000 files on the server',
		async () => await putBulkFiles(ftp),
	);
	await writeAsUser(ftp, '/drop/already-there.csv', 'path,size\nold,1\n');
	await writeAsUser(ftp, `/limit/too-large.bin`, Buffer.alloc(TOO_LARGE_BYTES, 7));
	uploadSourceFolder = path.join(cluster.n8n.userFolder, 'upload-source');
	await fsp.mkdir(uploadSourceFolder);
	uploadSourceHash = await writeLargeFile(path.join(uploadSourceFolder, 'big.bin'), UPLOAD_BYTES);
	await writeAsUser(ftp, '/upload/.keep', '');
	claimFiles = await putClaimFiles(ftp);

	await cluster.postgres.psql(DATA_TABLES);
	await cluster.postgres.psql(CLAIM_TABLES);
	const workflowsDir = path.join(cluster.n8n.userFolder, 'queue-workflows');
	await fsp.mkdir(workflowsDir);
	const workflows: Workflow[] = [
		...bulkWorkflowIds.map((_, index) => bulkWorkflow(index, CONCURRENCY)),
		triggerWorkflow(),
		uploadWorkflow(path.join(uploadSourceFolder, 'big.bin'), '/upload/big.bin'),
		tooLargeDownloadWorkflow('/limit/too-large.bin'),
		claimFlow(),
	];
	for (const workflow of workflows)
		await fsp.writeFile(path.join(workflowsDir, `${workflow.id}.json`), JSON.stringify(workflow));
	const credentials: N8nCredential[] = [
		{ ...FTP_CREDENTIAL, type: 'ftpAutomationApi', data: ftpCredentialData(ftp) },
		{
			...PG_CREDENTIAL,
			type: 'postgres',
			data: {
				host: cluster.postgres.host,
				port: cluster.postgres.port,
				database: cluster.postgres.database,
				user: cluster.postgres.user,
				password: cluster.postgres.password,
				ssl: 'disable',
			},
		},
	];
	const credentialsFile = path.join(cluster.n8n.userFolder, 'credentials-plain.json');
	await fsp.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
	await timed('setup: import and publish', async () => {
		const options = clusterOptions('database');
		await cluster.cli(['import:credentials', `--input=${credentialsFile}`], options);
		await fsp.rm(credentialsFile);
		await cluster.cli(['import:workflow', '--separate', `--input=${workflowsDir}`], options);
		await publish(
			cluster,
			workflows.map((workflow) => workflow.id),
		);
	});
}, 30 * 60_000);

afterAll(async () => {
	console.log(
		`queue mode figures:\n${JSON.stringify({ ...figures, ...cluster?.timings }, null, 2)}`,
	);
	if (KEEP && cluster) console.log(`kept: ${cluster.n8n.userFolder}`);
	await Promise.allSettled([cluster?.destroy(KEEP), servers?.stop()]);
}, 120_000);

/** 8 executions at once through their webhooks: every file's bytes and rows arrive, on the workers only. */
async function runBulk(mode: BinaryDataMode): Promise<void> {
	await cluster.postgres.psql('TRUNCATE bulk_rows, bulk_files');
	const before = await lastExecutionId(cluster);
	const sampler = sampleConnections(ftp.port, WORKFLOWS * CONCURRENCY);
	const started = Date.now();
	const statuses = await Promise.all(
		bulkWorkflowIds.map(async (_, index) => await cluster.callWebhook(bulkWebhookPath(index))),
	);
	expect(statuses).toEqual(Array(WORKFLOWS).fill(200));
	const executions = await waitForFinished(cluster, before, bulkWorkflowIds, WORKFLOWS, 6 * 60_000);
	const ms = Date.now() - started;
	const connections = await sampler.stop();
	const files = WORKFLOWS * FILES_PER_WORKFLOW;
	Object.assign(figures, {
		[`${mode}: bulk, 8 executions x 250 files (ms)`]: ms,
		[`${mode}: files/s`]: Math.round((files / ms) * 1000),
		[`${mode}: peak FTP connections (server side, limit ${WORKFLOWS * CONCURRENCY})`]:
			connections.peak,
		[`${mode}: connection samples`]: connections.samples,
		[`${mode}: most one read alone listed / single reads above the limit, not confirmed`]: `${connections.singleReadPeak} / ${connections.unconfirmedOverLimit}`,
		[`${mode}: client processes at a peak above the limit (PID: connections)`]: JSON.stringify(
			connections.clientsAtPeak ?? {},
		),
		[`${mode}: client-end TCP states at that peak`]: JSON.stringify(
			connections.clientStatesAtPeak ?? {},
		),
		[`${mode}: n8n PIDs`]: JSON.stringify({
			main: cluster.main?.pid,
			workers: cluster.workers.map((worker) => worker.pid),
		}),
	});

	const outcomes = await Promise.all(
		executions.map(async (execution) => [
			execution.workflowId,
			execution.mode,
			execution.status,
			execution.status === 'success' ? '' : await errorOf(cluster, execution.id),
		]),
	);
	expect(outcomes.sort()).toEqual(
		bulkWorkflowIds.map((id) => [id, 'webhook', 'success', '']).sort(),
	);
	const ranOn = cluster.executionsByProcess();
	const perWorker: Record<string, number> = {};
	for (const execution of executions) {
		const processes = ranOn.get(execution.id) ?? [];
		expect({ execution: execution.id, ranOn: processes }).toEqual({
			execution: execution.id,
			ranOn: [expect.stringMatching(/^worker[12]$/)],
		});
		perWorker[processes[0]] = (perWorker[processes[0]] ?? 0) + 1;
	}
	figures[`${mode}: executions per worker`] = JSON.stringify(perWorker);

	const fileRows = await cluster.postgres.psql(
		'SELECT path, size, sha256 FROM bulk_files ORDER BY path',
	);
	const expectedList = [...expectedFiles.values()].sort((a, b) => a.path.localeCompare(b.path));
	expect(fileRows.split('\n')).toEqual(
		expectedList.map((file) => `${file.path}|${file.size}|${file.sha256}`),
	);
	const rowSums = await cluster.postgres.psql(
		`SELECT file, count(*), md5(string_agg(line || ':' || payload, ',' ORDER BY line::int)) FROM bulk_rows GROUP BY file ORDER BY file`,
	);
	expect(rowSums.split('\n')).toEqual(
		expectedList.map((file) => `${file.path}|${file.rows}|${file.rowsMd5}`),
	);

	expect(connections.overLimit).toBe(0);
	expect(connections.peak).toBeLessThanOrEqual(WORKFLOWS * CONCURRENCY);
	// The sampler saw the transfers (a sampler that sees nothing proves nothing).
	expect(connections.peak).toBeGreaterThan(CONCURRENCY);
}

const MODES = (process.env.QUEUE_E2E_MODES ?? 'database,filesystem').split(',') as BinaryDataMode[];

describe.each<BinaryDataMode>(MODES)('binary data mode %s', (mode) => {
	beforeAll(async () => {
		await cluster.start(clusterOptions(mode));
	}, 5 * 60_000);

	afterAll(async () => {
		await cluster.stopN8n();
	}, 120_000);

	it(
		'runs 8 webhook executions at once on the two workers: every file and row arrives, the FTP server never sees more than 8 x Concurrency 4 connections',
		async () => {
			await timed(`${mode}: bulk phase`, async () => await runBulk(mode));
		},
		10 * 60_000,
	);

	it(
		'emits files dropped for the trigger once each across main restarts, processed on the workers with their binary data',
		async () => {
			await timed(`${mode}: trigger phase`, async () => {
				const before = await lastExecutionId(cluster);
				const names =
					mode === 'database' ? ['a-1.csv', 'a-2.csv', 'a-3.csv'] : ['b-1.csv', 'b-2.csv'];
				await dropFiles(ftp, dropped, names);
				figures[`${mode}: main restart (ms)`] = await cluster.restartMain();
				await expectTriggerEmittedOnceEach(cluster, dropped, before, names.length);
				// A restart between two polls with nothing new: nothing is emitted again.
				const beforeIdle = await lastExecutionId(cluster);
				await cluster.restartMain();
				await expectTriggerEmittedOnceEach(cluster, dropped, beforeIdle, 0);
				expect(await waitForFinished(cluster, beforeIdle, [TRIGGER_WORKFLOW_ID], 0, 1000)).toEqual(
					[],
				);
			});
		},
		10 * 60_000,
	);

	// Once (in the first mode): claiming does not depend on where n8n keeps binary data.
	if (mode === MODES[0]) {
		it(
			'processes each file once when several executions on both workers claim from the same folder (Claim Folder); the others report claimed: false',
			async () => {
				await timed(`${mode}: claim phase`, async () =>
					Object.assign(figures, await runClaims(cluster, ftp, claimFiles)),
				);
			},
			5 * 60_000,
		);
	}

	if (mode === 'database') {
		it(
			`refuses a download larger than N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE (${DATABASE_LIMIT_MIB} MiB) with the limit explained, and keeps the file`,
			async () => {
				const before = await lastExecutionId(cluster);
				expect(await cluster.callWebhook(LIMIT_WEBHOOK_PATH)).toBe(200);
				const [execution] = await waitForFinished(
					cluster,
					before,
					[LIMIT_WORKFLOW_ID],
					1,
					2 * 60_000,
				);
				expect(execution.status).toBe('error');
				const run = await runDataOf(cluster, execution.id);
				const error = run.resultData.runData.Download?.[0]?.error ?? run.resultData.error;
				expect(error?.message).toContain(
					`"/limit/too-large.bin" is larger than ${DATABASE_LIMIT_MIB} MiB`,
				);
				expect(error?.message).toContain('binary data mode "database"');
				expect(error?.description).toContain('N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE');
				// No After Download (delete): the file is where it was, whole.
				const onServer = await fsp.stat(path.join(ftp.root, 'limit/too-large.bin'));
				expect(onServer.size).toBe(TOO_LARGE_BYTES);
				// Nothing of it was kept in n8n's database.
				expect(
					await cluster.postgres
						.psql(`SELECT count(*) FROM binary_data WHERE "fileName" = 'too-large.bin'`)
						.catch((error: Error) => error.message),
				).toBe('0');
			},
			5 * 60_000,
		);
	}

	if (mode === 'filesystem') {
		it(
			'leaves no partial file under the target name when a worker is killed in the middle of an upload, and reports the execution',
			async () => {
				await timed('filesystem: worker killed mid-upload', async () => {
					const before = await lastExecutionId(cluster);
					expect(await cluster.callWebhook(UPLOAD_WEBHOOK_PATH)).toBe(200);
					const uploadFolder = path.join(ftp.root, 'upload');
					const killedAt = await killWorkerMidUpload(cluster, before, uploadFolder, UPLOAD_BYTES);
					figures['filesystem: temporary file size when the worker was killed (bytes)'] =
						killedAt.bytes;
					const [execution] = await waitForFinished(
						cluster,
						before,
						[UPLOAD_WORKFLOW_ID],
						1,
						3 * 60_000,
					);
					figures['filesystem: execution after the kill'] = execution.status;
					const left = (await fsp.readdir(uploadFolder)).filter((name) => name !== '.keep').sort();
					figures['filesystem: left in /upload'] = left.join(', ');
					if (execution.status === 'success') {
						// n8n ran the job again on the other worker: the target is whole.
						expect(sha256(await fsp.readFile(path.join(uploadFolder, 'big.bin')))).toBe(
							uploadSourceHash,
						);
					} else {
						expect(['error', 'crashed']).toContain(execution.status);
						expect(left).not.toContain('big.bin');
					}
					// What the killed upload left has a hidden temporary name, never the target's or one a filter takes.
					for (const name of left.filter((entry) => entry !== 'big.bin'))
						expect(name).toMatch(/^\.big\.bin\.[0-9a-f]{8}\.part$/);
					const listedWithFilter = await listAsTheNodeDoes(ftp, '/upload', '*.bin');
					expect(listedWithFilter.map((entry) => entry.name)).toEqual(
						execution.status === 'success' ? ['big.bin'] : [],
					);
					const listedAll = await listAsTheNodeDoes(ftp, '/upload', '');
					figures['filesystem: a later List without a filter sees'] = listedAll
						.map((entry) => entry.name)
						.join(', ');
				});
			},
			10 * 60_000,
		);
	}
});
