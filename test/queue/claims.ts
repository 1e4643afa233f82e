/**
 * The claim phase of the queue-mode suite: several executions of one workflow, on both workers at once, list the same
 * folder and download it with a Claim Folder. Each file must be processed by exactly one of them; the others' items
 * say `claimed: false`.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import { writeAsUser, type SpecialServer } from '../helpers/interopServers';
import type { QueueCluster } from './cluster';
import { errorOf } from './checks';
import { lastExecutionId, sha256, waitForFinished } from './scenario';
import { CLAIM_WEBHOOK_PATH, CLAIM_WORKFLOW_ID, claimWorkflow, type Workflow } from './workflows';

export const CLAIM_FILE_COUNT = 60;
/** Webhook calls at once: more than one worker runs at a time (`n8n worker --concurrency=5`). */
export const CLAIM_CALLS = 6;
const CLAIM_CONCURRENCY = 4;
const INBOUND = '/claims';
const CLAIM_FOLDER = `${INBOUND}/.processing`;
const ARCHIVE = '/claims-archive';

export const CLAIM_TABLES = `
	CREATE TABLE claim_items (path text NOT NULL, claimed boolean NOT NULL, claimed_path text NOT NULL, moved_to text NOT NULL, execution text NOT NULL);
	CREATE TABLE claim_hashes (path text NOT NULL, sha256 text NOT NULL, execution text NOT NULL);
`;

export function claimFlow(): Workflow {
	return claimWorkflow(INBOUND, CLAIM_FOLDER, ARCHIVE, CLAIM_CONCURRENCY);
}

/** Remote path → SHA-256 of the files put in the inbound folder. */
export type ClaimFiles = Map<string, string>;

/** Small files of random bytes (1-8 KiB), so that a mix-up of two files changes a checksum. */
export async function putClaimFiles(ftp: SpecialServer): Promise<ClaimFiles> {
	const files: ClaimFiles = new Map();
	for (let index = 0; index < CLAIM_FILE_COUNT; index++) {
		const remotePath = `${INBOUND}/claim-${String(index).padStart(2, '0')}.bin`;
		const content = randomBytes(1024 + ((index * 137) % 7168));
		await writeAsUser(ftp, remotePath, content);
		files.set(remotePath, sha256(content));
	}
	return files;
}

async function rows(cluster: QueueCluster, sql: string): Promise<string[][]> {
	return (await cluster.postgres.psql(sql))
		.split('\n')
		.filter(Boolean)
		.map((row) => row.split('|'));
}

/** Names in a folder under the server's root, and the SHA-256 of each file among them. */
async function folderOnDisk(ftp: SpecialServer, remote: string): Promise<Map<string, string>> {
	const folder = path.join(ftp.root, remote);
	const names = (await fsp.readdir(folder).catch(() => [] as string[])).sort();
	const found = new Map<string, string>();
	for (const name of names) {
		const stats = await fsp.stat(path.join(folder, name));
		found.set(
			name,
			stats.isFile() ? sha256(await fsp.readFile(path.join(folder, name))) : 'folder',
		);
	}
	return found;
}

/**
 * Fires the claim workflow's webhook CLAIM_CALLS times at once and checks that every file was claimed, downloaded,
 * hashed and archived by exactly one execution, that the executions ran on both workers at overlapping times, and
 * that nothing is left in the inbound and claim folders. Returns figures for the suite's summary.
 */
export async function runClaims(
	cluster: QueueCluster,
	ftp: SpecialServer,
	files: ClaimFiles,
): Promise<Record<string, string | number>> {
	const before = await lastExecutionId(cluster);
	const statuses = await Promise.all(
		Array.from({ length: CLAIM_CALLS }, async () => await cluster.callWebhook(CLAIM_WEBHOOK_PATH)),
	);
	expect(statuses).toEqual(Array(CLAIM_CALLS).fill(200));
	const executions = await waitForFinished(
		cluster,
		before,
		[CLAIM_WORKFLOW_ID],
		CLAIM_CALLS,
		3 * 60_000,
	);
	const outcomes = await Promise.all(
		executions.map(async (execution) => [
			execution.mode,
			execution.status,
			execution.status === 'success' ? '' : await errorOf(cluster, execution.id),
		]),
	);
	expect(outcomes).toEqual(Array(CLAIM_CALLS).fill(['webhook', 'success', '']));

	// Every execution ran on one worker, both workers ran some, and two on different workers overlapped in time.
	const ranOn = cluster.executionsByProcess();
	const workerOf = new Map<string, string>();
	for (const execution of executions) {
		const processes = ranOn.get(execution.id) ?? [];
		expect({ execution: execution.id, ranOn: processes }).toEqual({
			execution: execution.id,
			ranOn: [expect.stringMatching(/^worker[12]$/)],
		});
		workerOf.set(execution.id, processes[0]);
	}
	expect(new Set(workerOf.values())).toEqual(new Set(['worker1', 'worker2']));
	const spans = (
		await rows(
			cluster,
			`SELECT id, (extract(epoch from "startedAt") * 1000)::bigint, (extract(epoch from "stoppedAt") * 1000)::bigint
			 FROM execution_entity WHERE id > ${before} AND "workflowId" = '${CLAIM_WORKFLOW_ID}'`,
		)
	).map(([id, start, stop]) => ({ id, start: Number(start), stop: Number(stop) }));
	const overlapping = spans.flatMap((a) =>
		spans
			.filter((b) => a.id < b.id && workerOf.get(a.id) !== workerOf.get(b.id))
			.filter((b) => a.start < b.stop && b.start < a.stop)
			.map((b) => `${a.id}+${b.id}`),
	);
	expect(overlapping.length).toBeGreaterThan(0);

	// Each file claimed by exactly one execution, into the claim folder, then archived; the others skipped it.
	const items = await rows(
		cluster,
		'SELECT path, claimed, claimed_path, moved_to, execution FROM claim_items ORDER BY path, claimed DESC',
	);
	const claimedItems = items.filter(([, claimed]) => claimed === 't');
	const skippedItems = items.filter(([, claimed]) => claimed === 'f');
	const expectedPaths = [...files.keys()].sort();
	expect(claimedItems.map(([remotePath]) => remotePath)).toEqual(expectedPaths);
	for (const [remotePath, , claimedPath, movedTo, execution] of claimedItems) {
		const name = path.posix.basename(remotePath);
		expect({ remotePath, claimedPath, movedTo, execution }).toEqual({
			remotePath,
			claimedPath: `${CLAIM_FOLDER}/${name}`,
			movedTo: `${ARCHIVE}/${name}`,
			execution: expect.stringMatching(/^\d+$/),
		});
	}
	// The executions raced for the same files (else this proves nothing about claiming).
	expect(skippedItems.length).toBeGreaterThan(0);
	for (const [remotePath, , claimedPath, movedTo] of skippedItems) {
		expect([files.has(remotePath), claimedPath, movedTo]).toEqual([true, '', '']);
	}
	// The bytes each execution hashed on its worker are the original file's.
	const hashes = await rows(
		cluster,
		'SELECT path, sha256, execution FROM claim_hashes ORDER BY path',
	);
	expect(hashes.map(([remotePath, hash]) => [remotePath, hash])).toEqual(
		expectedPaths.map((remotePath) => [remotePath, files.get(remotePath)]),
	);
	const claimedBy = new Map(
		claimedItems.map(([remotePath, , , , execution]) => [remotePath, execution]),
	);
	for (const [remotePath, , execution] of hashes) expect(execution).toBe(claimedBy.get(remotePath));

	// On the server: the inbound folder holds only the (empty) claim folder; the archive exactly the files, whole.
	expect([...(await folderOnDisk(ftp, INBOUND)).entries()]).toEqual([['.processing', 'folder']]);
	expect([...(await folderOnDisk(ftp, CLAIM_FOLDER)).entries()]).toEqual([]);
	expect([...(await folderOnDisk(ftp, ARCHIVE)).entries()]).toEqual(
		expectedPaths.map((remotePath) => [path.posix.basename(remotePath), files.get(remotePath)]),
	);

	const claimsPerExecution: Record<string, string> = {};
	for (const execution of executions) {
		const claimed = claimedItems.filter(([, , , , id]) => id === execution.id).length;
		const skipped = skippedItems.filter(([, , , , id]) => id === execution.id).length;
		claimsPerExecution[execution.id] =
			`${workerOf.get(execution.id)}: ${claimed} claimed, ${skipped} claimed: false`;
	}
	return {
		'claims: executions (worker: claimed, skipped)': JSON.stringify(claimsPerExecution),
		'claims: items with claimed: false': skippedItems.length,
		'claims: overlapping executions on different workers': overlapping.join(', '),
	};
}
