/**
 * SFTP in the end-to-end suite: the in-process SFTP server (tools/sftpServer.ts) on 127.0.0.1 and a port chosen by
 * the operating system, its credential, and an activated run of a trigger workflow.
 *
 * `n8n execute` starts a workflow at its Manual Trigger in mode `cli`, where n8n passes a polling node's input through
 * without polling (n8n-core's WorkflowExecute.executePollNode polls only in mode `manual`). A trigger therefore runs
 * for real only in an activated workflow: `runActivated` publishes it (`n8n publish:workflow`), starts `n8n start`
 * (which activates it and polls once right away), waits for the execution that poll started in n8n's SQLite
 * database, and stops n8n.
 */
import { execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { createRequire } from 'module';
import * as path from 'path';

import {
	SCRIPT,
	baseEnvironment,
	freePort,
	REPO,
	type N8n,
	type N8nCredential,
	type RunJson,
} from '../../tools/n8n';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';

export const SFTP_CREDENTIAL = {
	id: 'e2eSftpPinned001',
	name: 'E2E SFTP (host key pinned)',
} as const;

/** The SFTP server of the suite: password authentication, a password that is nowhere else. */
export async function startE2eSftpServer(): Promise<TestSftpServer> {
	return await startSftpServer({
		username: 'e2e-sftp',
		password: `Sftp-E2E-${randomBytes(6).toString('hex')}`,
	});
}

/** Password login with the server's host key pinned (never Accept Any Host Key). */
export function sftpCredential(server: TestSftpServer): N8nCredential {
	return {
		...SFTP_CREDENTIAL,
		type: 'sftpAutomationApi',
		data: {
			host: server.host,
			port: server.port,
			username: server.username,
			password: server.password,
			hostKeyFingerprint: server.hostKeyFingerprint,
			acceptAnyHostKey: false,
			legacyAlgorithms: false,
			connectionTimeout: 30,
		},
	};
}

/** Where scripts/n8n-e2e.sh installed n8n (its node_modules hold sqlite3 and flatted, which n8n itself uses). */
function n8nCacheFolder(): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile('bash', [SCRIPT, 'cache'], { env: baseEnvironment(), cwd: REPO }, (error, stdout) => {
			if (error) reject(error);
			else resolve(String(stdout).split('\n')[0].trim());
		});
	});
}

interface Sqlite3Database {
	all(
		sql: string,
		params: unknown[],
		callback: (error: Error | null, rows: unknown[]) => void,
	): void;
	close(callback?: (error: Error | null) => void): void;
}
interface Sqlite3 {
	OPEN_READONLY: number;
	Database: new (
		file: string,
		mode: number,
		callback: (error: Error | null) => void,
	) => Sqlite3Database;
}

/** One finished execution of a workflow as stored by n8n (execution_entity + execution_data). */
export interface StoredExecution {
	id: string;
	mode: string;
	status: string;
	run: RunJson;
}

interface ExecutionRow {
	id: number | string;
	mode: string;
	status: string;
	data: string;
}

async function finishedExecutions(
	database: string,
	workflowId: string,
	modules: { sqlite3: Sqlite3; parse: (text: string) => unknown },
): Promise<StoredExecution[]> {
	const { sqlite3, parse } = modules;
	const db = await new Promise<Sqlite3Database>((resolve, reject) => {
		const opened: Sqlite3Database = new sqlite3.Database(
			database,
			sqlite3.OPEN_READONLY,
			(error) => (error ? reject(error) : resolve(opened)),
		);
	});
	try {
		const rows = await new Promise<ExecutionRow[]>((resolve, reject) => {
			db.all(
				`SELECT e.id AS id, e.mode AS mode, e.status AS status, d.data AS data
				 FROM execution_entity e JOIN execution_data d ON d.executionId = e.id
				 WHERE e.workflowId = ? AND e.status IN ('success', 'error', 'crashed') ORDER BY e.id`,
				[workflowId],
				(error, result) => (error ? reject(error) : resolve(result as ExecutionRow[])),
			);
		});
		return (
			rows
				.map((row) => ({
					id: String(row.id),
					mode: row.mode,
					status: row.status,
					// n8n stores the run data with flatted (references as indexes), not plain JSON.
					run: { data: parse(row.data) as RunJson['data'] },
				}))
				// The status and the run data are separate rows: wait until the run data is there too.
				.filter((execution) => Object.keys(execution.run.data.resultData?.runData ?? {}).length > 0)
		);
	} finally {
		await new Promise<void>((resolve) => db.close(() => resolve()));
	}
}

export interface ActivatedRun {
	executions: StoredExecution[];
	/** n8n's output while it ran (stdout and stderr, interleaved). */
	output: string;
	/** From `publish:workflow` to the end; until the execution was found; stopping n8n. */
	ms: number;
	untilExecutionMs: number;
	stopMs: number;
}

/**
 * Publishes the workflow, runs `n8n start` until an execution of it has finished (or `timeoutMs` passed, or n8n
 * exited), stops n8n (SIGTERM, SIGKILL after 20 s) and returns the executions that finished in that time.
 */
export async function runActivated(
	n8n: N8n,
	workflowId: string,
	timeoutMs = 120_000,
): Promise<ActivatedRun> {
	const started = Date.now();
	const cache = await n8nCacheFolder();
	const requireFromN8n = createRequire(path.join(cache, 'package.json'));
	const modules = {
		sqlite3: requireFromN8n('sqlite3') as Sqlite3,
		parse: (requireFromN8n('flatted') as { parse: (text: string) => unknown }).parse,
	};
	const database = path.join(n8n.userFolder, '.n8n', 'database.sqlite');
	// Executions of earlier runs (e.g. `n8n execute` of the same workflow) are not the ones this run waits for.
	const earlier = new Set(
		(await finishedExecutions(database, workflowId, modules)).map((execution) => execution.id),
	);
	await n8n.commandOrThrow(['publish:workflow', `--id=${workflowId}`]);

	const port = await freePort();
	const start = await n8n.invocation(['start'], {
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
	});
	const child = spawn(start.command, start.args, {
		cwd: start.cwd,
		env: start.env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	let running = true;
	void exited.then(() => (running = false));

	let executions: StoredExecution[] = [];
	let untilExecutionMs = 0;
	let stopMs = 0;
	try {
		while (running && Date.now() - started < timeoutMs) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			executions = (await finishedExecutions(database, workflowId, modules).catch(() => [])).filter(
				(execution) => !earlier.has(execution.id),
			);
			if (executions.length > 0) break;
		}
	} finally {
		untilExecutionMs = Date.now() - started;
		if (running) {
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
			await exited;
			clearTimeout(timer);
		}
		stopMs = Date.now() - started - untilExecutionMs;
	}
	if (executions.length === 0) {
		throw new Error(
			`no finished execution of ${workflowId} within ${timeoutMs} ms of n8n start` +
				`${running ? '' : ' (n8n exited)'}\n--- n8n output ---\n${output}`,
		);
	}
	return { executions, output, ms: Date.now() - started, untilExecutionMs, stopMs };
}
