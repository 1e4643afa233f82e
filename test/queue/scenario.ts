/**
 * What the queue-mode suite shares between its phases: the cluster, the FTP server, the files put on it, and the
 * look-ups in n8n's PostgreSQL database (executions, their run data) and in the data tables the workflows fill.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

import {
	SessionPool,
	toConnectionSettings,
	walkFolders,
	type ListEntry,
} from '../../nodes/FtpAutomation/transport';
import { writeAsUser, type SpecialServer } from '../helpers/interopServers';
import type { QueueCluster } from './cluster';

export const WORKFLOWS = 8;
export const FILES_PER_WORKFLOW = 250;
export const CONCURRENCY = 4;
/** `n8n worker --concurrency`: two workers take all eight executions at once (n8n warns below 5). */
export const WORKER_CONCURRENCY = 5;

export interface ExpectedFile {
	path: string;
	sha256: string;
	size: number;
	rows: number;
	/** md5 of `line:payload` of every row in line order, joined with commas (as PostgreSQL computes it). */
	rowsMd5: string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** 250 CSV files per workflow folder, 5-40 rows each, with random payloads (so a mix-up changes the checksums). */
export async function putBulkFiles(server: SpecialServer): Promise<Map<string, ExpectedFile>> {
	const expected = new Map<string, ExpectedFile>();
	for (let folder = 0; folder < WORKFLOWS; folder++) {
		for (let file = 0; file < FILES_PER_WORKFLOW; file++) {
			const remotePath = `/bulk/${folder}/part-${String(file).padStart(3, '0')}.csv`;
			const rows = 5 + ((folder * 31 + file * 7) % 36);
			const lines = Array.from({ length: rows }, (_, line) => ({
				line: String(line + 1),
				payload: randomBytes(12).toString('hex'),
			}));
			const csv = `file,line,payload\n${lines.map((row) => `${remotePath},${row.line},${row.payload}`).join('\n')}\n`;
			await writeAsUser(server, remotePath, csv);
			expected.set(remotePath, {
				path: remotePath,
				sha256: sha256(csv),
				size: Buffer.byteLength(csv),
				rows,
				rowsMd5: md5(lines.map((row) => `${row.line}:${row.payload}`).join(',')),
			});
		}
	}
	return expected;
}

export const DATA_TABLES = `
	CREATE TABLE bulk_rows (file text NOT NULL, line text NOT NULL, payload text NOT NULL);
	CREATE TABLE bulk_files (path text NOT NULL, size bigint NOT NULL, sha256 text NOT NULL);
	CREATE TABLE trigger_files (path text NOT NULL, size bigint NOT NULL, sha256 text NOT NULL, execution text NOT NULL);
`;

export interface StoredExecution {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
	ms: number;
}

export async function executionsSince(
	cluster: QueueCluster,
	afterId: number,
	workflowIds: string[],
): Promise<StoredExecution[]> {
	const list = workflowIds.map((id) => `'${id}'`).join(',');
	const rows = await cluster.postgres.psql(
		`SELECT id, "workflowId", status, mode, coalesce(extract(epoch from ("stoppedAt" - "startedAt")) * 1000, 0)::int
		 FROM execution_entity WHERE id > ${afterId} AND "workflowId" IN (${list}) ORDER BY id`,
	);
	return rows
		.split('\n')
		.filter(Boolean)
		.map((row) => {
			const [id, workflowId, status, mode, ms] = row.split('|');
			return { id, workflowId, status, mode, ms: Number(ms) };
		});
}

export async function lastExecutionId(cluster: QueueCluster): Promise<number> {
	return Number(await cluster.postgres.psql('SELECT coalesce(max(id), 0) FROM execution_entity'));
}

const FINISHED = new Set(['success', 'error', 'crashed', 'canceled']);

/** Waits (at most `timeoutMs`) until `count` executions of the workflows after `afterId` have finished. */
export async function waitForFinished(
	cluster: QueueCluster,
	afterId: number,
	workflowIds: string[],
	count: number,
	timeoutMs: number,
): Promise<StoredExecution[]> {
	const started = Date.now();
	let executions: StoredExecution[] = [];
	while (Date.now() - started < timeoutMs) {
		executions = await executionsSince(cluster, afterId, workflowIds);
		if (executions.filter((execution) => FINISHED.has(execution.status)).length >= count)
			return executions;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(
		`${count} executions of ${workflowIds.join(', ')} did not finish within ${timeoutMs} ms; found: ` +
			`${JSON.stringify(executions)}\n${cluster.outputTail()}`,
	);
}

/** The run data n8n stored for an execution (flatted, decoded with n8n's own flatted). */
export async function runDataOf(
	cluster: QueueCluster,
	executionId: string,
): Promise<{
	resultData: {
		error?: { message: string; description?: string };
		runData: Record<string, Array<{ error?: { message: string; description?: string } }>>;
	};
}> {
	const text = await cluster.postgres.psql(
		`SELECT data FROM execution_data WHERE "executionId" = ${Number(executionId)}`,
	);
	const requireFromN8n = createRequire(path.join(cluster.n8n.install.cache, 'package.json'));
	const { parse } = requireFromN8n('flatted') as { parse: (text: string) => unknown };
	return parse(text) as Awaited<ReturnType<typeof runDataOf>>;
}

/** What a later List or trigger poll of `folder` sees: the node's own walk (the code both run), with `filter`. */
export async function listAsTheNodeDoes(
	server: SpecialServer,
	folder: string,
	filter: string,
): Promise<ListEntry[]> {
	const settings = toConnectionSettings(ftpCredentialData(server));
	const pool = await SessionPool.open(settings, 1);
	try {
		return await walkFolders(async (work) => await pool.use(work), folder, {
			filter,
			include: 'files',
		});
	} finally {
		pool.close();
	}
}

export function ftpCredentialData(
	server: SpecialServer,
): Record<string, string | number | boolean> {
	return {
		host: '127.0.0.1',
		port: server.port,
		security: 'none',
		username: server.username,
		password: server.password,
		dataConnection: 'passive',
	};
}

/** A file of `bytes` (1 MiB random blocks, written once and repeated: fast to make, not compressible). */
export async function writeLargeFile(file: string, bytes: number): Promise<string> {
	const block = randomBytes(1024 * 1024);
	const hash = createHash('sha256');
	const handle = await fsp.open(file, 'w');
	try {
		for (let written = 0; written < bytes; written += block.length) {
			const part = block.subarray(0, Math.min(block.length, bytes - written));
			await handle.write(part);
			hash.update(part);
		}
	} finally {
		await handle.close();
	}
	return hash.digest('hex');
}
