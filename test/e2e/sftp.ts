/**
 * SFTP in the end-to-end suite: the in-process SFTP server (tools/sftpServer.ts) on 127.0.0.1 and a port chosen by
 * the operating system, its credential, and an activated run of a trigger workflow.
 *
 * `n8n execute` starts a workflow at its Manual Trigger in mode `cli`, where n8n passes a polling node's input through
 * without polling (n8n-core's WorkflowExecute.executePollNode polls only in mode `manual`). A trigger therefore runs
 * for real only in an activated workflow: `runActivated` publishes it (`n8n publish:workflow`; n8n 1.x:
 * `n8n update:workflow --active=true`), starts `n8n start`
 * (which activates it and polls once right away), waits for the execution that poll started in n8n's SQLite
 * database, and stops n8n.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as path from 'path';

import { runCommand } from '../../tools/commands';
import {
	baseEnvironment,
	freePort,
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

/** One finished execution of a workflow as stored by n8n (execution_entity + execution_data). */
export interface StoredExecution {
	id: string;
	mode: string;
	status: string;
	run: RunJson;
}

/**
 * Reads the finished executions of a workflow from n8n's SQLite database with n8n's own sqlite3 and flatted (n8n
 * stores run data with references as indexes, not as plain JSON). It runs on n8n's Node: sqlite3 is built for that
 * Node (24 for n8n 2.41.1), which is not the Node running jest.
 */
const READ_EXECUTIONS = `
const [database, workflowId, cache] = process.argv.slice(1);
const requireFromN8n = require('module').createRequire(cache + '/package.json');
const sqlite3 = requireFromN8n('sqlite3');
const { parse } = requireFromN8n('flatted');
const db = new sqlite3.Database(database, sqlite3.OPEN_READONLY, (openError) => {
	if (openError) throw openError;
	db.all(
		"SELECT e.id AS id, e.mode AS mode, e.status AS status, d.data AS data FROM execution_entity e " +
			"JOIN execution_data d ON d.executionId = e.id " +
			"WHERE e.workflowId = ? AND e.status IN ('success', 'error', 'crashed') ORDER BY e.id",
		[workflowId],
		(error, rows) => {
			if (error) throw error;
			const executions = rows.map((row) => ({ id: String(row.id), mode: row.mode, status: row.status, run: { data: parse(row.data) } }));
			process.stdout.write(JSON.stringify(executions));
			db.close();
		},
	);
});`;

async function finishedExecutions(n8n: N8n, workflowId: string): Promise<StoredExecution[]> {
	const database = path.join(n8n.userFolder, '.n8n', 'database.sqlite');
	const result = await runCommand(
		path.join(n8n.install.nodeBin, 'node'),
		['-e', READ_EXECUTIONS, database, workflowId, n8n.install.cache],
		{ env: baseEnvironment(), timeoutMs: 30_000, maxBufferBytes: 64 * 1024 * 1024 },
	);
	if (result.code !== 0) {
		throw new Error(`reading ${database} failed (exit ${String(result.code)}): ${result.stderr}`);
	}
	// The status and the run data are separate rows: wait until the run data is there too.
	return (JSON.parse(result.stdout) as StoredExecution[]).filter(
		(execution) => Object.keys(execution.run.data.resultData?.runData ?? {}).length > 0,
	);
}

/** n8n 2.x publishes a workflow version; 1.x has no versions and sets the workflow active. */
function activation(n8n: N8n, workflowId: string): string[] {
	return n8n.install.major < 2
		? ['update:workflow', `--id=${workflowId}`, '--active=true']
		: ['publish:workflow', `--id=${workflowId}`];
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
	// n8n start until the first poll's execution is stored: 12-18 s on a quiet machine, over 120 s at a load average of 15.
	timeoutMs = 240_000,
): Promise<ActivatedRun> {
	const started = Date.now();
	// Executions of earlier runs (e.g. `n8n execute` of the same workflow) are not the ones this run waits for.
	const earlier = new Set(
		(await finishedExecutions(n8n, workflowId)).map((execution) => execution.id),
	);
	await n8n.commandOrThrow(activation(n8n, workflowId));

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
	let exitedByItself = false;
	try {
		while (running && Date.now() - started < timeoutMs) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			executions = (await finishedExecutions(n8n, workflowId).catch(() => [])).filter(
				(execution) => !earlier.has(execution.id),
			);
			if (executions.length > 0) break;
		}
	} finally {
		untilExecutionMs = Date.now() - started;
		exitedByItself = !running;
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
				`${exitedByItself ? ' (n8n exited by itself)' : ''}\n--- n8n output ---\n${output}`,
		);
	}
	return { executions, output, ms: Date.now() - started, untilExecutionMs, stopMs };
}
