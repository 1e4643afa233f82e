/**
 * n8n in queue mode on loopback, as teams run it when one machine is not enough: Redis (Debian's redis-server, through
 * scripts/n8n-queue.sh), PostgreSQL (test/e2e/postgres.ts), one main (`n8n start`: UI, webhooks, the polling trigger)
 * and two workers (`n8n worker`: the executions). All of them share one user folder (the packed package in
 * `.n8n/nodes`), one encryption key and one binary data mode; every port is free, on 127.0.0.1, and distinct.
 *
 * Each n8n process runs in its own process group (n8n starts a task runner as a child), is stopped by its PID's group
 * (SIGTERM, then SIGKILL), and its output is kept for the assertions (which process ran which execution).
 */
import { spawn, type ChildProcess } from 'child_process';
import { promises as fsp } from 'fs';
import * as http from 'http';
import * as path from 'path';

import { freePort, N8n, REPO } from '../../tools/n8n';
import { startPostgres, type Postgres } from '../e2e/postgres';

export type BinaryDataMode = 'database' | 'filesystem';

const QUEUE_SCRIPT = path.join(REPO, 'scripts/n8n-queue.sh');
/** n8n 2.41 on this 2-core machine: 10-25 s until ready, more while other n8n processes start. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

/** One n8n (or Redis) process and everything it printed. */
export class RunningProcess {
	output = '';
	private readonly exited: Promise<number | string | null>;
	private running = true;

	constructor(
		readonly name: string,
		readonly child: ChildProcess,
	) {
		child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
		child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
		this.exited = new Promise((resolve) =>
			child.once('exit', (code, signal) => {
				this.running = false;
				resolve(code ?? signal);
			}),
		);
	}

	get pid(): number {
		return this.child.pid!;
	}

	get alive(): boolean {
		return this.running;
	}

	/** Signals the whole process group (n8n and its task runner); the group's id is n8n's PID (detached). */
	signal(signal: NodeJS.Signals): void {
		if (!this.running) return;
		try {
			process.kill(-this.pid, signal);
		} catch {
			// already gone
		}
	}

	async stop(): Promise<void> {
		if (!this.running) return;
		this.signal('SIGTERM');
		const timer = setTimeout(() => this.signal('SIGKILL'), STOP_TIMEOUT_MS);
		await this.exited;
		clearTimeout(timer);
		// The task runner may outlive n8n by a moment; its group is n8n's.
		try {
			process.kill(-this.pid, 'SIGKILL');
		} catch {
			// nothing left
		}
	}

	/** SIGKILL to n8n itself (a crashed worker), then to what is left of its group. */
	async kill(): Promise<void> {
		try {
			process.kill(this.pid, 'SIGKILL');
		} catch {
			// already gone
		}
		await this.exited;
		this.signal('SIGKILL');
	}

	async waitForExit(): Promise<number | string | null> {
		return await this.exited;
	}
}

async function httpStatus(url: string): Promise<number | undefined> {
	return await new Promise((resolve) => {
		const request = http.get(url, { timeout: 2000 }, (response) => {
			response.resume();
			resolve(response.statusCode);
		});
		request.on('timeout', () => request.destroy());
		request.on('error', () => resolve(undefined));
	});
}

async function waitUntilReady(process: RunningProcess, url: string): Promise<number> {
	const started = Date.now();
	while (Date.now() - started < READY_TIMEOUT_MS) {
		if (!process.alive)
			throw new Error(`${process.name} exited while starting:\n${process.output}`);
		if ((await httpStatus(url)) === 200) return Date.now() - started;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	throw new Error(
		`${process.name} not ready at ${url} after ${READY_TIMEOUT_MS} ms:\n${process.output}`,
	);
}

export interface ClusterOptions {
	mode: BinaryDataMode;
	/** Extra environment for every n8n process (e.g. N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE). */
	env: Record<string, string>;
	/** `n8n worker --concurrency`: executions one worker runs at once. */
	workerConcurrency: number;
}

/** The services every run shares (Redis, PostgreSQL, the user folder) and the n8n processes of the current mode. */
export class QueueCluster {
	main: RunningProcess | undefined;
	workers: RunningProcess[] = [];
	/** Output of n8n processes already stopped (restarts, the other mode): executions are looked up in all of it. */
	readonly pastOutput: Array<{ name: string; output: string }> = [];
	mainPort = 0;
	readonly timings: Record<string, number> = {};
	private options: ClusterOptions | undefined;

	private constructor(
		readonly n8n: N8n,
		readonly postgres: Postgres,
		readonly redis: RunningProcess,
		readonly redisPort: number,
		readonly sharedStorage: string,
	) {}

	/** Installs what is missing, starts Redis and PostgreSQL, and packs the package into a fresh user folder. */
	static async create(): Promise<QueueCluster> {
		const install = spawn('bash', [QUEUE_SCRIPT, 'install'], { stdio: ['ignore', 'pipe', 'pipe'] });
		const installRun = new RunningProcess('n8n-queue.sh install', install);
		const code = await installRun.waitForExit();
		if (code !== 0) throw new Error(`scripts/n8n-queue.sh install failed:\n${installRun.output}`);
		const [n8n, postgres] = await Promise.all([
			N8n.prepare(() => ({}), { tempPrefix: 'n8n-queue-' }),
			startPostgres(),
		]);
		const redisPort = await freePort();
		const redisDir = path.join(n8n.userFolder, 'redis');
		const redis = new RunningProcess(
			'redis',
			spawn('bash', [QUEUE_SCRIPT, 'redis', redisDir, String(redisPort)], {
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true,
			}),
		);
		const started = Date.now();
		while (!redis.output.includes('Ready to accept connections')) {
			if (!redis.alive || Date.now() - started > 30_000)
				throw new Error(`redis-server did not start:\n${redis.output}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const sharedStorage = path.join(n8n.userFolder, 'shared-binary-data');
		await fsp.mkdir(sharedStorage);
		return new QueueCluster(n8n, postgres, redis, redisPort, sharedStorage);
	}

	/** What every n8n process of the cluster gets: queue mode, PostgreSQL, Redis, the binary data mode. */
	private environment(): Record<string, string> {
		const { postgres, options } = this;
		if (!options) throw new Error('the cluster has not been started');
		return {
			EXECUTIONS_MODE: 'queue',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: postgres.host,
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: postgres.password,
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.redisPort),
			N8N_DEFAULT_BINARY_DATA_MODE: options.mode,
			// One folder for the main and both workers (they share the user folder too; said explicitly, as a
			// deployment on several machines must mount one).
			N8N_BINARY_DATA_STORAGE_PATH: this.sharedStorage,
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			// The MCP server registry is fetched from api.n8n.io: nothing here may leave 127.0.0.1.
			N8N_DISABLED_MODULES: 'mcp-registry',
			// A crashed worker's job is looked for every 5 s instead of 30 s. The job lock stays n8n's 30 s: a shorter
			// one risks a busy worker (2 cores here) losing a healthy job to the other worker.
			QUEUE_WORKER_STALLED_INTERVAL: '5000',
			...options.env,
		};
	}

	/** Runs one n8n CLI command (import, publish) against the cluster's database. */
	async cli(args: string[], options: ClusterOptions): Promise<string> {
		this.options = options;
		const invocation = await this.n8n.invocation(args, this.environment());
		const child = new RunningProcess(`n8n ${args[0]}`, spawnInvocation(invocation));
		const timer = setTimeout(() => child.signal('SIGKILL'), 180_000);
		const code = await child.waitForExit();
		clearTimeout(timer);
		if (code !== 0)
			throw new Error(`n8n ${args.join(' ')} failed (${String(code)}):\n${child.output}`);
		return child.output;
	}

	/** Starts the main and the workers in `options.mode` and waits until each answers its readiness check. */
	async start(options: ClusterOptions): Promise<void> {
		this.options = options;
		const started = Date.now();
		await Promise.all([this.startMain(), this.startWorker(0), this.startWorker(1)]);
		this.timings[`start (${options.mode})`] = Date.now() - started;
	}

	private async startMain(): Promise<void> {
		this.mainPort = await freePort();
		const invocation = await this.n8n.invocation(['start'], {
			...this.environment(),
			N8N_PORT: String(this.mainPort),
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		});
		this.main = new RunningProcess('main', spawnInvocation(invocation));
		await waitUntilReady(this.main, `http://127.0.0.1:${this.mainPort}/healthz/readiness`);
	}

	private async startWorker(index: number): Promise<void> {
		const healthPort = await freePort();
		const invocation = await this.n8n.invocation(
			['worker', `--concurrency=${this.options!.workerConcurrency}`],
			{
				...this.environment(),
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(healthPort),
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			},
		);
		const worker = new RunningProcess(`worker${index + 1}`, spawnInvocation(invocation));
		this.workers[index] = worker;
		await waitUntilReady(worker, `http://127.0.0.1:${healthPort}/healthz/readiness`);
	}

	/** Stops the main (SIGTERM) and starts it again: its activation runs the trigger's poll. */
	async restartMain(): Promise<number> {
		const started = Date.now();
		await this.retire(this.main);
		await this.startMain();
		return Date.now() - started;
	}

	async restartWorker(index: number): Promise<void> {
		await this.retire(this.workers[index]);
		await this.startWorker(index);
	}

	/** Stops the n8n processes (Redis and PostgreSQL stay for the next mode). */
	async stopN8n(): Promise<void> {
		await Promise.all(
			[this.main, ...this.workers].map(async (process) => await this.retire(process)),
		);
		this.workers = [];
		this.main = undefined;
	}

	private async retire(process: RunningProcess | undefined): Promise<void> {
		if (!process) return;
		await process.stop();
		this.pastOutput.push({ name: process.name, output: process.output });
		// Kept with the user folder (N8N_E2E_KEEP=1) for reading after a failure.
		const logs = path.join(this.n8n.userFolder, 'logs');
		await fsp.mkdir(logs, { recursive: true });
		await fsp.writeFile(
			path.join(logs, `${String(this.pastOutput.length).padStart(2, '0')}-${process.name}.log`),
			process.output,
		);
	}

	/** Which process logged `Worker started execution ID`, for every process that ever ran. */
	executionsByProcess(): Map<string, string[]> {
		const all = [
			...this.pastOutput,
			...[this.main, ...this.workers]
				.filter((process): process is RunningProcess => process !== undefined)
				.map((process) => ({ name: process.name, output: process.output })),
		];
		const byExecution = new Map<string, string[]>();
		for (const { name, output } of all) {
			for (const match of output.matchAll(/Worker started execution (\d+)/g)) {
				byExecution.set(match[1], [...(byExecution.get(match[1]) ?? []), name]);
			}
		}
		return byExecution;
	}

	/** Everything the processes printed, for failure messages (the last `chars` of each). */
	outputTail(chars = 4000): string {
		return [...this.pastOutput, ...[this.main, ...this.workers].filter(Boolean).map((p) => p!)]
			.map(({ name, output }) => `--- ${name} ---\n${output.slice(-chars)}`)
			.join('\n');
	}

	/**
	 * POSTs to a production webhook of the main. The main answers its readiness check before it has activated the
	 * workflows: a 404 ("not registered") is asked again for up to a minute.
	 */
	async callWebhook(webhookPath: string): Promise<number> {
		const started = Date.now();
		for (;;) {
			const status = await this.postWebhook(webhookPath);
			if (status !== 404 || Date.now() - started > 60_000) return status;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}

	private async postWebhook(webhookPath: string): Promise<number> {
		return await new Promise((resolve, reject) => {
			const request = http.request(
				`http://127.0.0.1:${this.mainPort}/webhook/${webhookPath}`,
				{ method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 30_000 },
				(response) => {
					response.resume();
					response.on('end', () => resolve(response.statusCode ?? 0));
				},
			);
			request.on('timeout', () => request.destroy(new Error(`webhook ${webhookPath}: timeout`)));
			request.on('error', reject);
			request.end('{}');
		});
	}

	async destroy(keep: boolean): Promise<void> {
		await this.stopN8n().catch(() => undefined);
		await this.redis.stop().catch(() => undefined);
		await this.postgres.stop().catch(() => undefined);
		if (!keep) await this.n8n.remove();
	}
}

function spawnInvocation(invocation: {
	command: string;
	args: string[];
	cwd: string;
	env: NodeJS.ProcessEnv;
}): ChildProcess {
	return spawn(invocation.command, invocation.args, {
		cwd: invocation.cwd,
		env: invocation.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
}
