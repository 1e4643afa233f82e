/**
 * The n8n driver: a real n8n for the end-to-end suite (test/e2e/), `npm run demo`, `npm run dev` and
 * `npm run bench`. The n8n installed by `scripts/n8n-e2e.sh` in its cache folder (the version N8N_E2E_VERSION names,
 * default the script's; each version on the Node it needs), a fresh user folder with this package packed and installed
 * into `.n8n/nodes` (as users get it), and the CLI commands they need (`import:credentials`, `import:workflow`,
 * `execute`, or any other through `invocation` for callers that run the process themselves).
 *
 * Starting n8n processes yourself (queue mode's `n8n start` and `n8n worker`, the browser test's `n8n start`):
 * `await n8n.invocation(['worker'], { EXECUTIONS_MODE: 'queue', QUEUE_BULL_REDIS_PORT: '6390', ... })` gives the
 * command, arguments and environment; what you pass wins over the suite's defaults (SQLite, the test key, ...). To
 * run n8n without the script, put `n8nInstall().nodeBin` first on PATH and start `n8nInstall().bin`.
 *
 * The shell script does the installing (it is also usable by hand and by CI before the suite runs); this file
 * runs n8n's commands and turns their output into data: the run JSON is cut out of stdout, where it is mixed
 * with n8n's log lines.
 */
import { execFileSync } from 'child_process';
import { existsSync, promises as fsp } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { runCommand, type CommandResult } from './commands';

/**
 * The repository root: the nearest folder above this file that holds scripts/n8n-e2e.sh. Under jest that is
 * `..`; the demo (`npm run demo`) compiles this file into `.cache/demo/tools/` and the bench into
 * `.cache/bench/tools/`, and both find the same root.
 */
function findRepo(start: string): string {
	for (let dir = start; ; dir = path.dirname(dir)) {
		if (existsSync(path.join(dir, 'scripts', 'n8n-e2e.sh'))) return dir;
		if (path.dirname(dir) === dir) return path.resolve(start, '..');
	}
}

export const REPO = findRepo(__dirname);
export const SCRIPT = path.join(REPO, 'scripts/n8n-e2e.sh');

/** Which n8n `scripts/n8n-e2e.sh` uses for the current N8N_E2E_VERSION (installed or not). */
export interface N8nInstall {
	/** The n8n version, e.g. `2.41.1`. */
	version: string;
	/** Its major version: 1.x keeps binary data elsewhere and activates workflows with another command. */
	major: number;
	/** The cache folder: `node_modules/` holds n8n and its own dependencies (sqlite3, flatted, ...). */
	cache: string;
	/** The n8n executable (exists once installed). */
	bin: string;
	/** The folder of the `node` that runs this n8n (Node 24 for 2.41.1): first on PATH for any n8n process. */
	nodeBin: string;
}

/** Asks the script (synchronous: the e2e suite decides which tests to register from the version). */
export function n8nInstall(): N8nInstall {
	const [cache, version, nodeBin] = execFileSync('bash', [SCRIPT, 'cache'], {
		env: baseEnvironment(),
		cwd: REPO,
		encoding: 'utf8',
		timeout: 30_000,
	})
		.trim()
		.split('\n');
	return {
		version,
		major: Number(version.split('.')[0]),
		cache,
		bin: path.join(cache, 'node_modules', '.bin', 'n8n'),
		nodeBin,
	};
}

/** First install: 6-16 min (npm ci of n8n, sqlite3 compiled from source; 16 min seen at a load average of 12). */
const INSTALL_TIMEOUT_MS = 30 * 60_000;
/** build + pack + npm install of the tarball: about 20 s. */
const PREPARE_TIMEOUT_MS = 5 * 60_000;
/** One n8n command: 4–6 s, plus 5–10 s of migrations on a new user folder. */
const COMMAND_TIMEOUT_MS = 3 * 60_000;

export type { CommandResult } from './commands';

/** A node's run as stored in n8n's run data (only the parts the suite, the demo and the bench read). */
export interface NodeRun {
	startTime: number;
	/** The node's own run time, ms (what the bench measures). */
	executionTime?: number;
	executionStatus?: string;
	error?: { message: string; description?: string; [key: string]: unknown };
	data?: { main: Array<Array<ItemJson> | null> };
}

export interface ItemJson {
	json: Record<string, unknown>;
	binary?: Record<
		string,
		{ id?: string; fileName?: string; mimeType?: string; fileSize?: string; data?: string }
	>;
	pairedItem?: unknown;
	error?: unknown;
}

/** What `n8n execute --rawOutput` prints: the execution's IRun. */
export interface RunJson {
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message: string; description?: string; [key: string]: unknown };
		};
	};
	status?: string;
	finished?: boolean;
	[key: string]: unknown;
}

export interface Execution extends CommandResult {
	/** The run JSON cut out of stdout; undefined when n8n printed none. */
	run?: RunJson;
}

/** Only what n8n and npm need: no tokens or other secrets of the calling environment reach the processes. */
export function baseEnvironment(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		HOME: process.env.HOME ?? os.homedir(),
		LANG: 'C.UTF-8',
		TZ: 'UTC',
	};
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('N8N_E2E_') || key.startsWith('npm_config_')) env[key] = value;
	}
	return env;
}

async function run(
	args: string[],
	env: NodeJS.ProcessEnv,
	timeout: number,
	cwd = REPO,
): Promise<CommandResult> {
	return await runCommand('bash', [SCRIPT, ...args], {
		env,
		cwd,
		timeoutMs: timeout,
		maxBufferBytes: 64 * 1024 * 1024,
	});
}

function describeFailure(what: string, result: CommandResult): Error {
	return new Error(
		`${what} failed (exit ${String(result.code)}, ${result.ms} ms)\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
	);
}

/** A port that was free a moment ago on 127.0.0.1 (for n8n's task-runner broker; never 5678/5679). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/**
 * Cuts the run JSON out of `n8n execute` output: from the first line that is exactly `{` to the first later line
 * that is exactly `}` (JSON.stringify with 2-space indentation; log lines around it never are a bare brace).
 */
export function cutRunJson(stdout: string): RunJson | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	if (start < 0) return undefined;
	const end = lines.findIndex((line, index) => index > start && line === '}');
	if (end < 0) return undefined;
	return JSON.parse(lines.slice(start, end + 1).join('\n')) as RunJson;
}

/** Output items of a node's first run, on the given output (0 = main, 1 = error output). */
export function outputOf(run: RunJson, node: string, output = 0): ItemJson[] {
	const runs = run.data.resultData.runData[node];
	if (!runs || runs.length === 0) {
		throw new Error(
			`node "${node}" did not run; ran: ${Object.keys(run.data.resultData.runData).join(', ')}`,
		);
	}
	return runs[0].data?.main[output] ?? [];
}

/** How to start `n8n ARGS...` with a user folder: for callers that run the process themselves. */
export interface Invocation {
	command: string;
	args: string[];
	cwd: string;
	env: NodeJS.ProcessEnv;
}

export interface N8nCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export class N8n {
	/** Each n8n command runs with its own broker port, so a leftover process never blocks the next one. */
	private constructor(
		/** The n8n version and Node that run this user folder's commands. */
		readonly install: N8nInstall,
		readonly userFolder: string,
		readonly encryptionKey: string,
		/** Set by the suite (e.g. N8N_RESTRICT_FILE_ACCESS_TO) for every command. */
		readonly extraEnv: Record<string, string>,
		readonly timings: Record<string, number>,
	) {}

	/**
	 * Installs n8n if needed, then packs this package into a fresh user folder (a new temp folder named
	 * `<tempPrefix>XXXXXX`, default `n8n-e2e-`), or into `userFolder` when given (created if missing, kept on failure:
	 * `npm run dev` keeps one across runs).
	 */
	static async prepare(
		extraEnv: (userFolder: string) => Record<string, string> = () => ({}),
		options: { tempPrefix?: string; userFolder?: string } = {},
	): Promise<N8n> {
		const timings: Record<string, number> = {};
		const install = await run(['install'], baseEnvironment(), INSTALL_TIMEOUT_MS);
		if (install.code !== 0) throw describeFailure('scripts/n8n-e2e.sh install', install);
		timings.install = install.ms;
		const userFolder = options.userFolder
			? path.resolve(options.userFolder)
			: await fsp.mkdtemp(path.join(os.tmpdir(), options.tempPrefix ?? 'n8n-e2e-'));
		if (options.userFolder) await fsp.mkdir(userFolder, { recursive: true });
		const prepare = await run(['prepare', userFolder], baseEnvironment(), PREPARE_TIMEOUT_MS);
		if (prepare.code !== 0) {
			if (!options.userFolder) await fsp.rm(userFolder, { recursive: true, force: true });
			throw describeFailure(`scripts/n8n-e2e.sh prepare ${userFolder}`, prepare);
		}
		timings.packAndLoad = prepare.ms;
		return new N8n(
			n8nInstall(),
			userFolder,
			'n8n-nodes-ftp-automation-e2e-key',
			extraEnv(userFolder),
			timings,
		);
	}

	/**
	 * The environment of every n8n command: the minimal base environment, the fixed encryption key, a free
	 * task-runner broker port, log level info (the run JSON is printed at that level), `extraEnv`, then `env`. The
	 * script fills in the rest (DB_TYPE=sqlite, telemetry off, ...) only where nothing here set it.
	 */
	async environment(env: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
		return {
			...baseEnvironment(),
			N8N_ENCRYPTION_KEY: this.encryptionKey,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			N8N_LOG_LEVEL: 'info',
			...this.extraEnv,
			...env,
		};
	}

	/**
	 * How `n8n ARGS...` runs with this user folder, for callers that start the process themselves: `npm run dev`
	 * keeps `n8n start` running, the bench polls each process's memory, queue mode starts `n8n worker`s with `env`
	 * saying so. The process is n8n itself (scripts/n8n-e2e.sh execs it, on the Node of `install.nodeBin`).
	 */
	async invocation(args: string[], env: Record<string, string> = {}): Promise<Invocation> {
		return {
			command: 'bash',
			args: [SCRIPT, 'n8n', this.userFolder, ...args],
			cwd: REPO,
			env: await this.environment(env),
		};
	}

	/** Runs `n8n ARGS...` with this user folder; never throws for a non-zero exit. */
	async command(args: string[]): Promise<CommandResult> {
		return await run(
			['n8n', this.userFolder, ...args],
			await this.environment(),
			COMMAND_TIMEOUT_MS,
		);
	}

	async commandOrThrow(args: string[]): Promise<CommandResult> {
		const result = await this.command(args);
		if (result.code !== 0) throw describeFailure(`n8n ${args.join(' ')}`, result);
		return result;
	}

	/**
	 * Imports credentials given with plain `data` (n8n encrypts it with N8N_ENCRYPTION_KEY). The plain file is
	 * deleted right after the import, so that searching the user folder for a password afterwards means
	 * searching n8n's own storage.
	 */
	async importCredentials(credentials: N8nCredential[]): Promise<CommandResult> {
		const file = path.join(this.userFolder, 'credentials-plain.json');
		await fsp.writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
		try {
			return await this.commandOrThrow(['import:credentials', `--input=${file}`]);
		} finally {
			await fsp.rm(file, { force: true });
		}
	}

	/** Imports every `*.json` in `folder` (one workflow per file). */
	async importWorkflows(folder: string): Promise<CommandResult> {
		return await this.commandOrThrow(['import:workflow', '--separate', `--input=${folder}`]);
	}

	/** `n8n execute --id=ID --rawOutput`; exit code 1 when the workflow fails. */
	async execute(id: string): Promise<Execution> {
		const result = await this.command(['execute', `--id=${id}`, '--rawOutput']);
		let parsed: RunJson | undefined;
		try {
			parsed = cutRunJson(result.stdout);
		} catch (error) {
			throw describeFailure(
				`n8n execute --id=${id}: the run JSON does not parse (${(error as Error).message})`,
				result,
			);
		}
		return { ...result, run: parsed };
	}

	/** This user folder's binary data store (binary data mode `filesystem`): n8n 1.x named it `binaryData`. */
	get binaryStore(): string {
		return path.join(this.userFolder, '.n8n', this.install.major < 2 ? 'binaryData' : 'storage');
	}

	/** The file behind a binary data id (`filesystem-v2:<path>`) in this user folder's binary data store. */
	binaryFile(id: string): string {
		const match = /^filesystem(?:-v2)?:(.+)$/.exec(id);
		if (!match) throw new Error(`not a filesystem binary data id: ${id}`);
		return path.join(this.binaryStore, match[1]);
	}

	/** The package as n8n loads it: the packed tarball installed into `.n8n/nodes`. */
	get installedPackage(): string {
		return path.join(this.userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-ftp-automation');
	}

	/** The tarball `prepare` packed (in `<user folder>/pack`). */
	async tarball(): Promise<string> {
		const folder = path.join(this.userFolder, 'pack');
		const name = (await fsp.readdir(folder)).find((file) => file.endsWith('.tgz'));
		if (!name) throw new Error(`no tarball in ${folder}`);
		return path.join(folder, name);
	}

	async remove(): Promise<void> {
		await fsp.rm(this.userFolder, { recursive: true, force: true });
	}
}
