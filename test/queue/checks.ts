/**
 * The checks and actions of the queue-mode phases that need more than a line: stored errors, the trigger's rows,
 * dropping files for it, publishing workflows, killing the worker that is uploading.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { writeAsUser, type SpecialServer } from '../helpers/interopServers';
import type { QueueCluster } from './cluster';
import { executionsSince, runDataOf, sha256, waitForFinished } from './scenario';
import { TRIGGER_WORKFLOW_ID, UPLOAD_WORKFLOW_ID } from './workflows';

/** The error n8n stored for a failed execution: the node that failed and its message. */
export async function errorOf(cluster: QueueCluster, executionId: string): Promise<string> {
	const run = await runDataOf(cluster, executionId).catch((error: Error) => error);
	if (run instanceof Error) return `(run data unreadable: ${run.message})`;
	const failed = Object.entries(run.resultData.runData).find(([, runs]) =>
		runs.some((r) => r.error),
	);
	const error = failed?.[1].find((r) => r.error)?.error ?? run.resultData.error;
	return `${failed?.[0] ?? 'workflow'}: ${error?.message ?? '(no error stored)'}`;
}

/** Rows the trigger workflow inserted: path → the executions that inserted it. */
async function triggerRows(
	cluster: QueueCluster,
): Promise<Map<string, { sha256: string; executions: string[] }>> {
	const rows = await cluster.postgres.psql(
		'SELECT path, sha256, execution FROM trigger_files ORDER BY path',
	);
	const byPath = new Map<string, { sha256: string; executions: string[] }>();
	for (const row of rows.split('\n').filter(Boolean)) {
		const [remotePath, hash, execution] = row.split('|');
		const entry = byPath.get(remotePath) ?? { sha256: hash, executions: [] };
		entry.executions.push(execution);
		byPath.set(remotePath, entry);
	}
	return byPath;
}

/** Files dropped for the trigger so far: remote path → SHA-256. */
export type DroppedFiles = Map<string, string>;

export async function dropFiles(
	ftp: SpecialServer,
	dropped: DroppedFiles,
	names: string[],
): Promise<void> {
	for (const name of names) {
		const content = `path,size\n${name},${name.length}\n${'x'.repeat(name.length * 100)}\n`;
		await writeAsUser(ftp, `/drop/${name}`, content);
		dropped.set(`/drop/${name}`, sha256(content));
	}
}

/** After a main restart (its activation polls): every dropped file emitted once, processed on a worker. */
export async function expectTriggerEmittedOnceEach(
	cluster: QueueCluster,
	dropped: DroppedFiles,
	before: number,
	newFiles: number,
): Promise<void> {
	if (newFiles > 0) await waitForFinished(cluster, before, [TRIGGER_WORKFLOW_ID], 1, 3 * 60_000);
	else await new Promise((resolve) => setTimeout(resolve, 5000));
	const rows = await triggerRows(cluster);
	expect([...rows.keys()].sort()).toEqual([...dropped.keys()].sort());
	for (const [remotePath, row] of rows) {
		expect({ remotePath, executions: row.executions.length, sha256: row.sha256 }).toEqual({
			remotePath,
			executions: 1,
			sha256: dropped.get(remotePath),
		});
	}
	const ranOn = cluster.executionsByProcess();
	const triggerExecutions = await executionsSince(cluster, 0, [TRIGGER_WORKFLOW_ID]);
	for (const execution of triggerExecutions) {
		expect([execution.mode, execution.status, ranOn.get(execution.id)]).toEqual([
			'trigger',
			'success',
			[expect.stringMatching(/^worker[12]$/)],
		]);
	}
}

/**
 * What `n8n publish:workflow --id=ID` does (WorkflowRepository.publishVersion: the imported version becomes the active
 * one), for all workflows in one statement: the command starts n8n once per workflow (about 12 s each here).
 */
export async function publish(cluster: QueueCluster, ids: string[]): Promise<void> {
	const list = ids.map((id) => `'${id}'`).join(',');
	const versions = await cluster.postgres.psql(
		`SELECT count(*) FROM workflow_entity w JOIN workflow_history h ON h."workflowId" = w.id AND h."versionId" = w."versionId" WHERE w.id IN (${list})`,
	);
	expect(Number(versions)).toBe(ids.length);
	await cluster.postgres.psql(
		`UPDATE workflow_entity SET active = true, "activeVersionId" = "versionId" WHERE id IN (${list})`,
	);
}

/** Waits for the upload's temporary file to grow on the server, then SIGKILLs the worker running the execution. */
export async function killWorkerMidUpload(
	cluster: QueueCluster,
	before: number,
	uploadFolder: string,
	uploadBytes: number,
): Promise<{ bytes: number }> {
	const started = Date.now();
	while (Date.now() - started < 120_000) {
		const part = (await fsp.readdir(uploadFolder)).find((name) => name.endsWith('.part'));
		if (part) {
			const { size } = await fsp.stat(path.join(uploadFolder, part)).catch(() => ({ size: 0 }));
			if (size > 0 && size < uploadBytes) {
				const [execution] = (await executionsSince(cluster, before, [UPLOAD_WORKFLOW_ID])).slice(
					-1,
				);
				const worker = cluster.workers.find((candidate) =>
					candidate.output.includes(`Worker started execution ${execution?.id} `),
				);
				if (worker) {
					await worker.kill();
					return { bytes: size };
				}
			}
		}
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
	throw new Error(
		`the upload's temporary file never grew in ${uploadFolder}\n${cluster.outputTail()}`,
	);
}
