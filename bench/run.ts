/**
 * The measurements of `npm run bench` (started by bench/run.sh, which installs the tools, starts vsftpd on
 * 127.0.0.1 and stops it afterwards). See BENCHMARKS.md for what is measured and why.
 *
 * Everything below runs against that one vsftpd (plain FTP and explicit FTPS on the same port) and writes into
 * one scratch folder (bench/.work: the FTP root, n8n's user folder with its binary data store, curl's and
 * lftp's downloads), so all clients read and write the same disk.
 */
import { spawn, execFileSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { createReadStream, existsSync, promises as fsp, readFileSync, statSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

// ------------------------------------------------------------------------------------------------
// configuration (from bench/run.sh)
// ------------------------------------------------------------------------------------------------

function required(name: string): string {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run this through bench/run.sh (npm run bench)`);
	return value;
}

const WORK = required('BENCH_WORK');
const REPO = required('BENCH_REPO');
const PORT = Number(required('BENCH_FTP_PORT'));
const FTP_USER = required('BENCH_FTP_USER');
const FTP_PASSWORD = required('BENCH_FTP_PASSWORD');
const VSFTPD_PID = Number(required('BENCH_VSFTPD_PID'));

const BIG_BYTES = Number(process.env.BENCH_BIG_MIB ?? 1024) * 1024 * 1024;
const TINY_BYTES = 16 * 1024;
const SMALL_COUNT = Number(process.env.BENCH_SMALL_COUNT ?? 2000);
const SMALL_BYTES = 16 * 1024;
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
/** Rounds of the large-file rows: single runs of 1 GiB swing by ±30 % with the disk's write-back, so the median is used. */
const LARGE_REPEATS = Math.max(1, Number(process.env.BENCH_LARGE_REPEATS ?? 3));
/** large | small: run only one part (for debugging the harness). */
const ONLY = process.env.BENCH_ONLY ?? '';
const RSS_GROWTH_LIMIT_MIB = 64;

const SRV = path.join(WORK, 'srv');
const DL = path.join(WORK, 'dl');
const FILES = path.join(WORK, 'files');
const USER_FOLDER = path.join(WORK, 'n8n');
const STORAGE = path.join(USER_FOLDER, '.n8n', 'storage');
const LOGS = path.join(WORK, 'logs');
const TMP = path.join(WORK, 'tmp');
const CA = path.join(WORK, 'cert.pem');
const SCRIPT = path.join(REPO, 'scripts', 'n8n-e2e.sh');
const RESULTS = path.join(REPO, 'bench', 'results');
const TEMPLATES = path.join(REPO, 'bench', 'workflows');

type Security = 'plain' | 'tls';
const SECURITIES: Security[] = ['plain', 'tls'];
const SECURITY_LABEL: Record<Security, string> = { plain: 'plain FTP', tls: 'explicit FTPS' };

const MB = 1e6;
const MiB = 1024 * 1024;

function log(message: string): void {
	process.stderr.write(`bench: ${message}\n`);
}

// ------------------------------------------------------------------------------------------------
// processes
// ------------------------------------------------------------------------------------------------

interface Finished {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
	/** Peak resident set size (VmHWM of the process itself, polled from /proc), KiB. */
	peakRssKiB: number;
	/** VmRSS samples of the process: [Date.now(), KiB]. */
	rssSamples: Array<[number, number]>;
}

const children = new Set<number>();

/** Stops what is still running if the runner is interrupted (bench/run.sh then stops vsftpd). */
function killChildren(): void {
	for (const pid of children) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		killChildren();
		process.exit(130);
	});
}

function readMemoryKiB(pid: number): { hwm: number; rss: number } | undefined {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
		const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
		return hwm && rss ? { hwm: Number(hwm[1]), rss: Number(rss[1]) } : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Runs a command; stdout goes to a file when `stdoutFile` is given (n8n's run JSON can be megabytes).
 * The peak RSS is the last VmHWM read from /proc/<pid>/status, polled every 20 ms: VmHWM only grows, and the
 * n8n process is the spawned pid itself (scripts/n8n-e2e.sh execs n8n).
 */
function runCommand(
	command: string,
	args: string[],
	options: { env?: NodeJS.ProcessEnv; stdoutFile?: string; timeoutMs?: number } = {},
): Promise<Finished> {
	return new Promise((resolve, reject) => {
		const started = process.hrtime.bigint();
		const child = spawn(command, args, {
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		if (child.pid === undefined) {
			reject(new Error(`could not start ${command}`));
			return;
		}
		const pid = child.pid;
		children.add(pid);
		let stdout = '';
		let stderr = '';
		const chunks: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => {
			if (options.stdoutFile) chunks.push(chunk);
			else stdout += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
		});
		let peak = 0;
		const rssSamples: Array<[number, number]> = [];
		const poll = setInterval(() => {
			const memory = readMemoryKiB(pid);
			if (!memory) return;
			peak = Math.max(peak, memory.hwm);
			rssSamples.push([Date.now(), memory.rss]);
		}, 20);
		const timer = setTimeout(() => {
			stderr += `\n[bench: killed after ${options.timeoutMs} ms]`;
			child.kill('SIGKILL');
		}, options.timeoutMs ?? 15 * 60_000);
		child.on('error', (error) => {
			clearInterval(poll);
			clearTimeout(timer);
			children.delete(pid);
			reject(error);
		});
		child.on('close', async (code, signal) => {
			clearInterval(poll);
			clearTimeout(timer);
			children.delete(pid);
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			if (options.stdoutFile) {
				const buffer = Buffer.concat(chunks);
				await fsp.writeFile(options.stdoutFile, buffer);
				stdout = buffer.toString();
			}
			resolve({ code, signal, stdout, stderr, ms, peakRssKiB: peak, rssSamples });
		});
	});
}

async function runOrThrow(command: string, args: string[], what: string, env?: NodeJS.ProcessEnv): Promise<Finished> {
	const result = await runCommand(command, args, { env });
	if (result.code !== 0) {
		throw new Error(
			`${what} failed (exit ${result.code ?? result.signal}, ${Math.round(result.ms)} ms)\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
		);
	}
	return result;
}

/** Flushes dirty pages of the previous transfer, so that its writeback does not slow down the next one. */
async function sync(): Promise<void> {
	await runOrThrow('sync', [], 'sync');
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------------
// files
// ------------------------------------------------------------------------------------------------

async function sha256File(file: string): Promise<string> {
	if (statSync(file).size > 64 * MiB) {
		// coreutils is several times faster than a JS loop for 1 GiB.
		const result = await runOrThrow('sha256sum', [file], `sha256sum ${file}`);
		return result.stdout.split(' ')[0];
	}
	return await new Promise((resolve, reject) => {
		const hash = createHash('sha256');
		createReadStream(file)
			.on('data', (chunk) => hash.update(chunk))
			.on('error', reject)
			.on('end', () => resolve(hash.digest('hex')));
	});
}

function sha256(buffer: Buffer): string {
	return createHash('sha256').update(buffer).digest('hex');
}

async function chownToFtpUser(target: string): Promise<void> {
	await runOrThrow('chown', ['-R', `${FTP_USER}:${FTP_USER}`, target], `chown ${target}`);
}

async function emptyFolder(folder: string): Promise<void> {
	await fsp.rm(folder, { recursive: true, force: true });
	await fsp.mkdir(folder, { recursive: true });
}

// ------------------------------------------------------------------------------------------------
// reference clients: curl and lftp
// ------------------------------------------------------------------------------------------------

function ftpUrl(remotePath: string): string {
	return `ftp://127.0.0.1:${PORT}${remotePath}`;
}

function curlArgs(security: Security): string[] {
	// Passive mode (curl's default: EPSV, then PASV); curl 7.88 hangs on active mode over TLS.
	const args = ['-sS', '--fail', '--user', `${FTP_USER}:${FTP_PASSWORD}`];
	if (security === 'tls') args.push('--ssl-reqd', '--cacert', CA);
	return args;
}

function lftpSettings(security: Security): string {
	const common = 'set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 60; set ftp:passive-mode yes; set xfer:clobber yes; set ftp:sync-mode no;';
	if (security === 'plain') return `${common} set ftp:ssl-allow no;`;
	return `${common} set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate yes; set ssl:ca-file ${CA};`;
}

async function lftp(security: Security, commands: string, what: string): Promise<Finished> {
	return await runOrThrow(
		'lftp',
		['-u', `${FTP_USER},${FTP_PASSWORD}`, '-p', String(PORT), '-e', `${lftpSettings(security)} ${commands}; quit`, '127.0.0.1'],
		what,
	);
}

// ------------------------------------------------------------------------------------------------
// n8n
// ------------------------------------------------------------------------------------------------

interface NodeRun {
	startTime?: number;
	executionTime?: number;
	executionStatus?: string;
	error?: { message?: string; description?: string };
	data?: { main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, { id?: string; fileSize?: string }> }> | null> };
}
interface RunJson {
	status?: string;
	data: { resultData: { runData: Record<string, NodeRun[]>; error?: { message?: string; description?: string } } };
}

function n8nEnv(): NodeJS.ProcessEnv {
	return {
		PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		HOME: process.env.HOME ?? os.homedir(),
		LANG: 'C.UTF-8',
		TZ: 'UTC',
		// The built-in FTP node downloads into a temporary file first: keep it on the same disk too.
		TMPDIR: TMP,
		N8N_LOG_LEVEL: 'info',
		// The default in n8n 2.x for `n8n execute`; stated so that downloads stream into files on disk.
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		N8N_RESTRICT_FILE_ACCESS_TO: FILES,
		// The upload workflows run `sync` (Execute Command, off by default in n8n 2.x) after Read/Write Files from Disk
		// has copied the 1 GiB file into the binary store, so that the upload does not compete with writing that copy
		// back to disk (curl and lftp read a file that was synced before them).
		NODES_EXCLUDE: '[]',
		...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('N8N_E2E_'))),
	};
}

async function n8nCommand(args: string[], stdoutFile?: string): Promise<Finished> {
	return await runCommand('bash', [SCRIPT, 'n8n', USER_FOLDER, ...args], { env: n8nEnv(), stdoutFile, timeoutMs: 20 * 60_000 });
}

function cutRunJson(stdout: string): RunJson | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	if (start < 0) return undefined;
	const end = lines.findIndex((line, index) => index > start && line === '}');
	if (end < 0) return undefined;
	return JSON.parse(lines.slice(start, end + 1).join('\n')) as RunJson;
}

interface WorkflowRun {
	run: RunJson;
	wallMs: number;
	peakRssKiB: number;
	rssSamples: Array<[number, number]>;
}

let executionCounter = 0;

async function execute(id: string): Promise<WorkflowRun> {
	executionCounter++;
	const out = path.join(LOGS, `${String(executionCounter).padStart(3, '0')}-${id}.out`);
	const result = await n8nCommand(['execute', `--id=${id}`, '--rawOutput'], out);
	await fsp.writeFile(out.replace(/\.out$/, '.err'), result.stderr);
	let run: RunJson | undefined;
	try {
		run = cutRunJson(result.stdout);
	} catch (error) {
		throw new Error(`n8n execute --id=${id}: the run JSON does not parse (${(error as Error).message}); see ${out}`);
	}
	const error = run?.data.resultData.error;
	if (result.code !== 0 || !run || error) {
		throw new Error(
			`n8n execute --id=${id} failed (exit ${result.code ?? result.signal}): ${error?.message ?? 'no run JSON'}${error?.description ? `\n${error.description}` : ''}\n--- stdout (end) ---\n${result.stdout.slice(-3000)}\n--- stderr (end) ---\n${result.stderr.slice(-3000)}`,
		);
	}
	return { run, wallMs: result.ms, peakRssKiB: result.peakRssKiB, rssSamples: result.rssSamples };
}

function nodeRun(run: RunJson, node: string): NodeRun {
	const runs = run.data.resultData.runData[node];
	if (!runs?.[0]) throw new Error(`node "${node}" did not run`);
	if (typeof runs[0].executionTime !== 'number') throw new Error(`node "${node}" has no executionTime`);
	return runs[0];
}

/**
 * How much the n8n process's RSS rose while the node ran: the highest VmRSS sample between the node's startTime and
 * startTime + executionTime, minus the last sample before it started (a cross-check of the tiny-file comparison,
 * which also sees n8n's start-up noise).
 */
function rssRiseKiB(result: WorkflowRun, node: string): number | undefined {
	const { startTime, executionTime } = nodeRun(result.run, node);
	if (startTime === undefined || executionTime === undefined) return undefined;
	const before = result.rssSamples.filter(([t]) => t <= startTime).at(-1);
	const during = result.rssSamples.filter(([t]) => t >= startTime && t <= startTime + executionTime);
	if (!before || during.length === 0) return undefined;
	return Math.max(...during.map(([, rss]) => rss)) - before[1];
}

/** Which phase of the execution the highest VmRSS sample fell into: a node's name, "start-up" or "after the nodes". */
function peakPhase(result: WorkflowRun): string {
	if (result.rssSamples.length === 0) return '–';
	const [peakTime] = result.rssSamples.reduce((best, sample) => (sample[1] > best[1] ? sample : best));
	const nodes = Object.entries(result.run.data.resultData.runData)
		.map(([name, runs]) => ({ name, start: runs[0]?.startTime ?? 0, end: (runs[0]?.startTime ?? 0) + (runs[0]?.executionTime ?? 0) }))
		.filter((node) => node.name !== 'Start');
	const during = nodes.find((node) => peakTime >= node.start && peakTime <= node.end + 20);
	if (during) return during.name;
	if (nodes.length && peakTime < Math.min(...nodes.map((node) => node.start))) return 'start-up';
	return 'after the nodes';
}

function nodeMs(run: RunJson, ...nodes: string[]): number {
	return nodes.reduce((sum, node) => sum + (nodeRun(run, node).executionTime ?? 0), 0);
}

function outputItems(run: RunJson, node: string): NonNullable<NodeRun['data']>['main'][number] & object {
	return nodeRun(run, node).data?.main[0] ?? [];
}

function binaryFile(id: string): string {
	const match = /^filesystem(?:-v2)?:(.+)$/.exec(id);
	if (!match) throw new Error(`not a filesystem binary data id: ${id} (is N8N_DEFAULT_BINARY_DATA_MODE=filesystem in effect?)`);
	return path.join(STORAGE, match[1]);
}

/** Binary data of one run is not needed afterwards: keep the disk from filling up with 1 GiB copies. */
async function clearBinaryStore(): Promise<void> {
	await emptyFolder(STORAGE);
	await emptyFolder(TMP);
}

type Placeholders = Record<string, unknown>;

function substitute(value: unknown, placeholders: Placeholders): unknown {
	if (typeof value === 'string') {
		if (value in placeholders) return placeholders[value];
		return value.replace(/__[A-Z_]+__/g, (key) => (key in placeholders ? String(placeholders[key]) : key));
	}
	if (Array.isArray(value)) return value.map((entry) => substitute(entry, placeholders));
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, substitute(entry, placeholders)]));
	}
	return value;
}

const CREDENTIALS = {
	plain: { id: 'benchFtpPlain001', name: 'Bench vsftpd plain FTP', type: 'ftpAutomationApi' },
	tls: { id: 'benchFtpsExpl001', name: 'Bench vsftpd explicit FTPS', type: 'ftpAutomationApi' },
	builtin: { id: 'benchBuiltinFtp1', name: 'Bench vsftpd (built-in FTP node)', type: 'ftp' },
};

function credentialRef(kind: keyof typeof CREDENTIALS): Record<string, { id: string; name: string }> {
	const { id, name, type } = CREDENTIALS[kind];
	return { [type]: { id, name } };
}

interface WorkflowSpec {
	id: string;
	template: string;
	placeholders: Placeholders;
}

/** Workflow ids: 16 characters, like n8n's own. */
function workflowId(name: string): string {
	const id = `bench${name}`.replace(/[^A-Za-z0-9]/g, '');
	if (id.length > 16) throw new Error(`workflow id too long: ${id}`);
	return id.padEnd(16, '0');
}

const ATTEMPTS = 5;

/**
 * Builds and packs the working tree as it is now into a fresh n8n user folder, imports the credentials and
 * workflows, and checks that n8n loads the node (a 16 KiB download). Someone's half-finished edit in nodes/ may
 * break the build, or build into code that does not load, for a while: then it waits and starts over.
 */
async function setUpN8n(workflows: WorkflowSpec[]): Promise<{ tgz: string }> {
	for (let attempt = 1; ; attempt++) {
		try {
			const result = await setUpN8nOnce(workflows);
			await n8nDownload(workflowId('DlTinyP'), { bytes: TINY_BYTES, sha: tinySha }, 'smoke test: this node downloads 16 KiB in n8n');
			return result;
		} catch (error) {
			log(`setting up n8n failed (attempt ${attempt} of ${ATTEMPTS}): ${(error as Error).message.slice(0, 3000)}`);
			if (attempt >= ATTEMPTS) throw new Error('the package did not build, pack or load into n8n; see above');
			log('starting over in 2 minutes (the working tree may be mid-edit)');
			await sleep(120_000);
		}
	}
}

async function setUpN8nOnce(workflows: WorkflowSpec[]): Promise<{ tgz: string }> {
	await fsp.rm(USER_FOLDER, { recursive: true, force: true });
	await fsp.mkdir(USER_FOLDER, { recursive: true });
	const prepared = await runCommand('bash', [SCRIPT, 'prepare', USER_FOLDER], { env: n8nEnv(), timeoutMs: 25 * 60_000 });
	if (prepared.code !== 0) throw new Error(`scripts/n8n-e2e.sh prepare failed (npm run build / npm pack):\n${prepared.stderr.slice(-2500)}`);
	const packDir = path.join(USER_FOLDER, 'pack');
	const tgz = (await fsp.readdir(packDir)).find((file) => file.endsWith('.tgz'));
	if (!tgz) throw new Error(`no tarball in ${packDir}`);

	const cert = await fsp.readFile(CA, 'utf8');
	const credentials = [
		{ ...CREDENTIALS.plain, data: { host: '127.0.0.1', port: PORT, security: 'none', username: FTP_USER, password: FTP_PASSWORD } },
		{
			...CREDENTIALS.tls,
			data: { host: '127.0.0.1', port: PORT, security: 'explicit', username: FTP_USER, password: FTP_PASSWORD, caCertificate: cert },
		},
		{ ...CREDENTIALS.builtin, data: { host: '127.0.0.1', port: PORT, username: FTP_USER, password: FTP_PASSWORD } },
	];
	const credentialsFile = path.join(WORK, 'credentials-plain.json');
	await fsp.writeFile(credentialsFile, JSON.stringify(credentials, null, 2), { mode: 0o600 });
	try {
		const imported = await n8nCommand(['import:credentials', `--input=${credentialsFile}`]);
		if (imported.code !== 0) throw new Error(`n8n import:credentials failed:\n${imported.stdout}\n${imported.stderr}`);
	} finally {
		await fsp.rm(credentialsFile, { force: true });
	}

	const folder = path.join(WORK, 'workflows');
	await emptyFolder(folder);
	for (const spec of workflows) {
		const template = JSON.parse(await fsp.readFile(path.join(TEMPLATES, spec.template), 'utf8')) as unknown;
		const workflow = substitute(template, { __ID__: spec.id, ...spec.placeholders });
		await fsp.writeFile(path.join(folder, `${spec.id}.json`), JSON.stringify(workflow, null, 2));
	}
	const imported = await n8nCommand(['import:workflow', '--separate', `--input=${folder}`]);
	if (imported.code !== 0) throw new Error(`n8n import:workflow failed:\n${imported.stdout}\n${imported.stderr}`);
	return { tgz: path.join(packDir, tgz) };
}

/** The options each operation of the packed node declares (its description, loaded with n8n's own n8n-workflow). */
function declaredOptions(): Record<string, string[]> {
	const nodeFile = path.join(USER_FOLDER, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-ftp-automation', 'dist', 'nodes', 'FtpAutomation', 'FtpAutomation.node.js');
	const n8nModules = path.join(path.dirname(path.dirname(path.dirname(execFileSync('bash', [SCRIPT, 'bin'], { encoding: 'utf8' }).trim()))), 'node_modules');
	const script = `
const m = require(process.argv[1]);
const Node = Object.values(m).find((v) => typeof v === 'function');
const out = {};
for (const p of new Node().description.properties) {
	if (p.name !== 'options') continue;
	for (const op of (p.displayOptions && p.displayOptions.show && p.displayOptions.show.operation) || []) out[op] = (p.options || []).map((o) => o.name);
}
console.log(JSON.stringify(out));`;
	try {
		return JSON.parse(
			execFileSync('node', ['-e', script, nodeFile], { encoding: 'utf8', env: { ...process.env, NODE_PATH: n8nModules } }),
		) as Record<string, string[]>;
	} catch (error) {
		log(`could not read the node's options: ${(error as Error).message}`);
		return {};
	}
}

// ------------------------------------------------------------------------------------------------
// results
// ------------------------------------------------------------------------------------------------

interface LargeRow {
	direction: 'download' | 'upload';
	security: Security;
	client: string;
	kind: 'curl-null' | 'curl-disk' | 'lftp' | 'node' | 'builtin';
	seconds: number;
	/** n8n rows: the whole `n8n execute` process (start-up, migrations check, the other nodes). */
	wallSeconds?: number;
	peakRssMiB?: number;
	tinyPeakRssMiB?: number;
	/** VmRSS rise while the FTP node ran (see rssRiseKiB). */
	riseMiB?: number;
	/** When the peak VmRSS sample was taken (peakPhase). */
	peakAt?: string;
	verified: string;
	/** The time of every round, s (the row's other values are those of the median round). */
	runs?: number[];
}

interface SmallRow {
	security: Security;
	client: string;
	kind: 'lftp8' | 'lftp1' | 'node1' | 'node8' | 'builtin';
	runs: number[];
	/** n8n rows: the List node's share of each run, s. */
	listRuns?: number[];
	wallRuns?: number[];
	peakRssMiB?: number[];
	verified: string;
}

const largeRows: LargeRow[] = [];
/** Every round's rows, collapsed into `largeRows` by collapseLargeRuns. */
const largeRuns: LargeRow[] = [];

/** One row per client and case: the median round's values, with every round's time in `runs`. */
function collapseLargeRuns(): void {
	const groups = new Map<string, LargeRow[]>();
	for (const run of largeRuns) {
		const key = `${run.direction}/${run.security}/${run.kind}`;
		groups.set(key, [...(groups.get(key) ?? []), run]);
	}
	for (const runs of groups.values()) {
		const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
		const middle = sorted[Math.floor((sorted.length - 1) / 2)];
		largeRows.push({ ...middle, seconds: median(runs.map((run) => run.seconds)), runs: runs.map((run) => run.seconds) });
	}
}
const smallRows: SmallRow[] = [];
const notes: string[] = [];

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function fmt(value: number | undefined, digits = 1): string {
	return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

// ------------------------------------------------------------------------------------------------
// the workloads
// ------------------------------------------------------------------------------------------------

const BIG_REMOTE = '/big/big.bin';
const TINY_REMOTE = '/tiny/tiny.bin';
const MANY_REMOTE = '/many';
let bigSha = '';
let tinySha = '';
/** file name → SHA-256, and back. */
const smallShas = new Map<string, string>();
const smallNames = new Map<string, string>();

async function createData(): Promise<void> {
	const started = Date.now();
	await fsp.mkdir(path.join(SRV, 'big'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'tiny'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'many'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'up'), { recursive: true });
	const big = path.join(SRV, 'big', 'big.bin');
	await runOrThrow('bash', ['-c', `head -c ${BIG_BYTES} /dev/urandom > '${big}'`], 'creating the large file');
	bigSha = await sha256File(big);
	const tiny = randomBytes(TINY_BYTES);
	tinySha = sha256(tiny);
	await fsp.writeFile(path.join(SRV, 'tiny', 'tiny.bin'), tiny);
	for (let i = 0; i < SMALL_COUNT; i++) {
		const name = `file-${String(i).padStart(5, '0')}.bin`;
		const data = randomBytes(SMALL_BYTES);
		smallShas.set(name, sha256(data));
		smallNames.set(sha256(data), name);
		await fsp.writeFile(path.join(SRV, 'many', name), data);
	}
	await chownToFtpUser(SRV);
	// The upload source for curl, lftp and n8n's Read/Write Files from Disk: the same bytes, a hard link.
	await fsp.link(big, path.join(FILES, 'big.bin'));
	await fsp.writeFile(path.join(FILES, 'tiny.bin'), tiny);
	// Warm the page cache: every client then reads the source from memory, none from a cold disk.
	await runOrThrow('bash', ['-c', `cat '${big}' > /dev/null; cat '${SRV}'/many/* > /dev/null`], 'warming the page cache');
	await sync();
	log(`test data: ${BIG_BYTES} B large file, ${SMALL_COUNT} × ${SMALL_BYTES} B in ${MANY_REMOTE} (${Date.now() - started} ms)`);
}

function workflowSpecs(): WorkflowSpec[] {
	const specs: WorkflowSpec[] = [];
	for (const security of SECURITIES) {
		const credentials = credentialRef(security);
		const s = security === 'plain' ? 'P' : 'T';
		for (const [size, remote, local] of [
			['Big', BIG_REMOTE, 'big.bin'],
			['Tiny', TINY_REMOTE, 'tiny.bin'],
		] as const) {
			specs.push({ id: workflowId(`Dl${size}${s}`), template: 'download.json', placeholders: { __CREDENTIALS__: credentials, __REMOTE_PATH__: remote } });
			specs.push({
				id: workflowId(`Up${size}${s}`),
				template: 'upload.json',
				placeholders: { __CREDENTIALS__: credentials, __REMOTE_PATH__: `/up/node-${security}-${local}`, __LOCAL_FILE__: path.join(FILES, local) },
			});
		}
		for (const concurrency of [1, 8]) {
			specs.push({
				id: workflowId(`Many${s}C${concurrency}`),
				template: 'list-download.json',
				placeholders: { __CREDENTIALS__: credentials, __REMOTE_PATH__: MANY_REMOTE, __CONCURRENCY__: concurrency },
			});
		}
	}
	const builtin = credentialRef('builtin');
	for (const [size, remote, local] of [
		['Big', BIG_REMOTE, 'big.bin'],
		['Tiny', TINY_REMOTE, 'tiny.bin'],
	] as const) {
		specs.push({ id: workflowId(`BiDl${size}`), template: 'builtin-download.json', placeholders: { __CREDENTIALS__: builtin, __REMOTE_PATH__: remote } });
		specs.push({
			id: workflowId(`BiUp${size}`),
			template: 'builtin-upload.json',
			placeholders: { __CREDENTIALS__: builtin, __REMOTE_PATH__: `/up/builtin-${local}`, __LOCAL_FILE__: path.join(FILES, local) },
		});
	}
	specs.push({ id: workflowId('BiMany'), template: 'builtin-list-download.json', placeholders: { __CREDENTIALS__: builtin, __REMOTE_PATH__: MANY_REMOTE } });
	return specs;
}

async function expectSize(file: string, bytes: number, what: string): Promise<string> {
	const size = (await fsp.stat(file)).size;
	if (size !== bytes) throw new Error(`${what}: ${file} has ${size} bytes, expected ${bytes}`);
	return 'size';
}

async function expectSha(file: string, sha: string, what: string): Promise<string> {
	const actual = await sha256File(file);
	if (actual !== sha) throw new Error(`${what}: SHA-256 of ${file} is ${actual}, expected ${sha}`);
	return 'SHA-256';
}

/** One n8n download of the large (or tiny) file: node time, peak RSS, SHA-256 of the stored binary. */
async function n8nDownload(id: string, expected: { bytes: number; sha: string }, what: string): Promise<WorkflowRun & { ms: number }> {
	await sync();
	const result = await execute(id);
	const [item] = outputItems(result.run, 'Download');
	const binaryId = item?.binary?.data?.id;
	if (!binaryId) throw new Error(`${what}: no binary data id in the output (${JSON.stringify(item).slice(0, 500)})`);
	const file = binaryFile(binaryId);
	await expectSize(file, expected.bytes, what);
	await expectSha(file, expected.sha, what);
	await clearBinaryStore();
	return { ...result, ms: nodeMs(result.run, 'Download') };
}

async function n8nUpload(id: string, remoteFile: string, expected: { bytes: number; sha: string }, what: string): Promise<WorkflowRun & { ms: number }> {
	await fsp.rm(remoteFile, { force: true });
	await sync();
	const result = await execute(id);
	await expectSize(remoteFile, expected.bytes, what);
	await expectSha(remoteFile, expected.sha, what);
	await fsp.rm(remoteFile, { force: true });
	await clearBinaryStore();
	return { ...result, ms: nodeMs(result.run, 'Upload') };
}

const kib2mib = (kib: number): number => kib / 1024;
const rise = (result: WorkflowRun, node: string): number | undefined => {
	const kib = rssRiseKiB(result, node);
	return kib === undefined ? undefined : kib2mib(kib);
};
const BIG_LABEL = BIG_BYTES % (1024 * MiB) === 0 ? `${BIG_BYTES / 1024 / MiB} GiB` : `${BIG_BYTES / MiB} MiB`;

async function largeFile(): Promise<void> {
	const bigLocal = path.join(FILES, 'big.bin');
	const big = { bytes: BIG_BYTES, sha: bigSha };
	const tiny = { bytes: TINY_BYTES, sha: tinySha };
	for (const security of SECURITIES) {
		const s = security === 'plain' ? 'P' : 'T';
		const label = SECURITY_LABEL[security];

		// ---- download
		log(`${BIG_LABEL} download, ${label}`);
		await sync();
		let t = await runOrThrow('curl', [...curlArgs(security), '-o', '/dev/null', ftpUrl(BIG_REMOTE)], 'curl download to /dev/null');
		largeRuns.push({ direction: 'download', security, client: 'curl → /dev/null (information)', kind: 'curl-null', seconds: t.ms / 1000, verified: '–' });

		const curlFile = path.join(DL, 'curl.bin');
		await sync();
		t = await runOrThrow('curl', [...curlArgs(security), '-o', curlFile, ftpUrl(BIG_REMOTE)], 'curl download to disk');
		largeRuns.push({
			direction: 'download', security, client: 'curl → disk (reference)', kind: 'curl-disk', seconds: t.ms / 1000,
			verified: await expectSize(curlFile, BIG_BYTES, 'curl download'),
		});
		await fsp.rm(curlFile, { force: true });

		const lftpFile = path.join(DL, 'lftp.bin');
		await sync();
		t = await lftp(security, `get ${BIG_REMOTE} -o ${lftpFile}`, 'lftp get');
		largeRuns.push({
			direction: 'download', security, client: 'lftp get → disk', kind: 'lftp', seconds: t.ms / 1000,
			verified: await expectSize(lftpFile, BIG_BYTES, 'lftp get'),
		});
		await fsp.rm(lftpFile, { force: true });

		const node = await n8nDownload(workflowId(`DlBig${s}`), big, `this node, download ${label}`);
		const nodeTiny = await n8nDownload(workflowId(`DlTiny${s}`), tiny, `this node, tiny download ${label}`);
		largeRuns.push({
			direction: 'download', security, client: 'this node in n8n (Download node time)', kind: 'node', seconds: node.ms / 1000,
			wallSeconds: node.wallMs / 1000, peakRssMiB: kib2mib(node.peakRssKiB), tinyPeakRssMiB: kib2mib(nodeTiny.peakRssKiB), riseMiB: rise(node, 'Download'), peakAt: peakPhase(node), verified: 'SHA-256 of the stored binary',
		});

		if (security === 'plain') {
			const builtin = await n8nDownload(workflowId('BiDlBig'), big, 'built-in FTP node, download');
			const builtinTiny = await n8nDownload(workflowId('BiDlTiny'), tiny, 'built-in FTP node, tiny download');
			largeRuns.push({
				direction: 'download', security, client: "n8n's built-in FTP node (node time)", kind: 'builtin', seconds: builtin.ms / 1000,
				wallSeconds: builtin.wallMs / 1000, peakRssMiB: kib2mib(builtin.peakRssKiB), tinyPeakRssMiB: kib2mib(builtinTiny.peakRssKiB), riseMiB: rise(builtin, 'Download'), peakAt: peakPhase(builtin), verified: 'SHA-256 of the stored binary',
			});
		}

		// ---- upload
		log(`${BIG_LABEL} upload, ${label}`);
		const curlRemote = path.join(SRV, 'up', 'curl.bin');
		await sync();
		t = await runOrThrow('curl', [...curlArgs(security), '-T', bigLocal, ftpUrl('/up/curl.bin')], 'curl upload');
		largeRuns.push({
			direction: 'upload', security, client: 'curl -T (reference)', kind: 'curl-disk', seconds: t.ms / 1000,
			verified: await expectSize(curlRemote, BIG_BYTES, 'curl upload'),
		});
		await fsp.rm(curlRemote, { force: true });

		const lftpRemote = path.join(SRV, 'up', 'lftp.bin');
		await sync();
		t = await lftp(security, `put ${bigLocal} -o /up/lftp.bin`, 'lftp put');
		largeRuns.push({
			direction: 'upload', security, client: 'lftp put', kind: 'lftp', seconds: t.ms / 1000,
			verified: await expectSize(lftpRemote, BIG_BYTES, 'lftp put'),
		});
		await fsp.rm(lftpRemote, { force: true });

		const up = await n8nUpload(workflowId(`UpBig${s}`), path.join(SRV, 'up', `node-${security}-big.bin`), big, `this node, upload ${label}`);
		const upTiny = await n8nUpload(workflowId(`UpTiny${s}`), path.join(SRV, 'up', `node-${security}-tiny.bin`), tiny, `this node, tiny upload ${label}`);
		largeRuns.push({
			direction: 'upload', security, client: 'this node in n8n (Upload node time)', kind: 'node', seconds: up.ms / 1000,
			wallSeconds: up.wallMs / 1000, peakRssMiB: kib2mib(up.peakRssKiB), tinyPeakRssMiB: kib2mib(upTiny.peakRssKiB), riseMiB: rise(up, 'Upload'), peakAt: peakPhase(up), verified: 'SHA-256 of the file on the server',
		});

		if (security === 'plain') {
			const builtin = await n8nUpload(workflowId('BiUpBig'), path.join(SRV, 'up', 'builtin-big.bin'), big, 'built-in FTP node, upload');
			const builtinTiny = await n8nUpload(workflowId('BiUpTiny'), path.join(SRV, 'up', 'builtin-tiny.bin'), tiny, 'built-in FTP node, tiny upload');
			largeRuns.push({
				direction: 'upload', security, client: "n8n's built-in FTP node (node time)", kind: 'builtin', seconds: builtin.ms / 1000,
				wallSeconds: builtin.wallMs / 1000, peakRssMiB: kib2mib(builtin.peakRssKiB), tinyPeakRssMiB: kib2mib(builtinTiny.peakRssKiB), riseMiB: rise(builtin, 'Upload'), peakAt: peakPhase(builtin), verified: 'SHA-256 of the file on the server',
			});
		}
	}
}

async function verifyManyDownloads(run: RunJson, what: string): Promise<string> {
	const items = outputItems(run, 'Download');
	if (items.length !== SMALL_COUNT) throw new Error(`${what}: ${items.length} items, expected ${SMALL_COUNT}`);
	const seen = new Set<string>();
	for (const item of items) {
		const binary = item.binary?.data;
		if (!binary?.id) throw new Error(`${what}: an item without binary data: ${JSON.stringify(item).slice(0, 300)}`);
		const data = await fsp.readFile(binaryFile(binary.id));
		const digest = sha256(data);
		const name = smallNames.get(digest);
		if (!name) throw new Error(`${what}: a stored binary matches no source file (${binary.id})`);
		seen.add(name);
	}
	if (seen.size !== SMALL_COUNT) throw new Error(`${what}: ${seen.size} distinct files, expected ${SMALL_COUNT}`);
	return 'SHA-256 of every stored binary';
}

async function verifyManyFolder(folder: string, what: string): Promise<string> {
	const names = await fsp.readdir(folder);
	if (names.length !== SMALL_COUNT) throw new Error(`${what}: ${names.length} files in ${folder}, expected ${SMALL_COUNT}`);
	for (const name of names) {
		if (sha256(await fsp.readFile(path.join(folder, name))) !== smallShas.get(name)) throw new Error(`${what}: ${name} differs`);
	}
	return 'SHA-256 of every file';
}

async function manySmallFiles(): Promise<void> {
	const rows = new Map<string, SmallRow>();
	const row = (security: Security, kind: SmallRow['kind'], client: string): SmallRow => {
		const key = `${security}/${kind}`;
		if (!rows.has(key)) {
			const created: SmallRow = { security, kind, client, runs: [], listRuns: [], wallRuns: [], peakRssMiB: [], verified: '' };
			rows.set(key, created);
			smallRows.push(created);
		}
		return rows.get(key)!;
	};
	// Interleaved rounds: every client sees the same machine state (page cache, background writeback).
	for (let round = 1; round <= REPEATS; round++) {
		for (const security of SECURITIES) {
			const s = security === 'plain' ? 'P' : 'T';
			const label = SECURITY_LABEL[security];
			log(`${SMALL_COUNT} files, ${label}, round ${round} of ${REPEATS}`);
			for (const parallel of [8, 1]) {
				// lftp --parallel=1 is for information only; over FTPS it takes ~90 s, so it runs in the first round only.
				if (parallel === 1 && security === 'tls' && round > 1) continue;
				const target = path.join(DL, `lftp-many-${parallel}`);
				await emptyFolder(target);
				await sync();
				const t = await lftp(security, `mirror --parallel=${parallel} ${MANY_REMOTE} ${target}`, `lftp mirror --parallel=${parallel}`);
				const r = row(security, parallel === 8 ? 'lftp8' : 'lftp1', `lftp mirror --parallel=${parallel}${parallel === 1 ? (security === 'tls' ? ' (information; first round only)' : ' (information)') : ''}`);
				r.runs.push(t.ms / 1000);
				r.verified = await verifyManyFolder(target, `lftp mirror --parallel=${parallel}`);
				await fsp.rm(target, { recursive: true, force: true });
			}
			for (const concurrency of [1, 8]) {
				await sync();
				const result = await execute(workflowId(`Many${s}C${concurrency}`));
				const r = row(security, concurrency === 1 ? 'node1' : 'node8', `this node, List → Download, concurrency ${concurrency}`);
				r.runs.push(nodeMs(result.run, 'List', 'Download') / 1000);
				r.listRuns!.push(nodeMs(result.run, 'List') / 1000);
				r.wallRuns!.push(result.wallMs / 1000);
				r.peakRssMiB!.push(kib2mib(result.peakRssKiB));
				r.verified = await verifyManyDownloads(result.run, `this node, concurrency ${concurrency}, ${label}`);
				await clearBinaryStore();
			}
			if (security === 'plain') {
				await sync();
				const result = await execute(workflowId('BiMany'));
				const r = row(security, 'builtin', "n8n's built-in FTP node, List → Download");
				r.runs.push(nodeMs(result.run, 'List', 'Download') / 1000);
				r.listRuns!.push(nodeMs(result.run, 'List') / 1000);
				r.wallRuns!.push(result.wallMs / 1000);
				r.peakRssMiB!.push(kib2mib(result.peakRssKiB));
				r.verified = await verifyManyDownloads(result.run, "n8n's built-in FTP node");
				await clearBinaryStore();
			}
		}
	}
}

// ------------------------------------------------------------------------------------------------
// report
// ------------------------------------------------------------------------------------------------

function versionOf(command: string, args: string[]): string {
	try {
		return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
	} catch {
		return 'unknown';
	}
}

function git(args: string[]): string {
	try {
		return execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim();
	} catch {
		return '';
	}
}

interface Target {
	target: string;
	measured: string;
	pass: boolean | undefined;
}

interface Tree {
	commit: string;
	/** `git status --porcelain` of nodes/ and credentials/ when the package was built. */
	dirty: string;
}

function treeState(): Tree {
	return { commit: git(['rev-parse', '--short=12', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'nodes', 'credentials']) };
}

function report(context: { started: Date; seconds: number; tgz: string; engineOptions: boolean; engineEvidence: string; tree: Tree }): string {
	const lines: string[] = [];
	const { commit, dirty } = context.tree;
	const mbps = (bytes: number, seconds: number): number => bytes / MB / seconds;
	const cpu = os.cpus()[0]?.model ?? 'unknown CPU';

	lines.push(`# FTP Automation node benchmark: results`);
	lines.push('');
	lines.push(`- **Date**: ${context.started.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, \`npm run bench\` took ${Math.round(context.seconds)} s`);
	lines.push(
		`- **Measured**: commit \`${commit}\`${dirty ? ` plus uncommitted changes in ${dirty.split('\n').length} file(s) of nodes/ or credentials/ (${dirty.split('\n').map((line) => line.trim().replace(/^\S+\s+/, '')).join(', ')}): the working tree as it was when the package was built and packed` : ` (clean nodes/ and credentials/; packed as \`${path.basename(context.tgz)}\`)`}`,
	);
	lines.push(
		`- **Transfer-engine options** (Download \`options.concurrency\`): ${context.engineOptions ? 'present in the packed build' : '**not yet in the packed build**: n8n ignores the unknown option and the Download node runs sequentially, so "concurrency 8" is the same as concurrency 1'} (${context.engineEvidence})`,
	);
	lines.push(
		`- **Machine**: ${cpu}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}; everything on 127.0.0.1 and one disk`,
	);
	lines.push(
		`- **Software**: n8n ${versionOf('bash', [SCRIPT, 'n8n', USER_FOLDER, '--version'])} (headless \`n8n execute\`, binary data mode filesystem), Node ${process.version}, vsftpd ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'vsftpd'])} (one instance: plain FTP and explicit FTPS, require_ssl_reuse=YES, passive), ${versionOf('curl', ['--version']).split(' ').slice(0, 2).join(' ')}, lftp ${/Version ([\d.]+)/.exec(versionOf('lftp', ['--version']))?.[1] ?? 'unknown'}`,
	);
	lines.push(`- MB/s = 10^6 bytes per second. RSS in MiB.`);
	lines.push('');

	// ---- large file
	lines.push(`## 1. One ${BIG_LABEL} file (random bytes), median of ${LARGE_REPEATS} run${LARGE_REPEATS > 1 ? 's' : ''} (interleaved rounds)`);
	lines.push('');
	lines.push('Node time = the node\'s `executionTime` in n8n\'s run data (connect, log in, transfer, close); n8n wall = the whole `n8n execute` process. curl/lftp time = the process\'s wall time (connect, log in, transfer).');
	lines.push('');
	lines.push('| Transfer | Security | Client | Time (s), median | runs (s) | MB/s | × curl-to-disk | n8n wall (s) | Peak RSS (MiB) | Peak RSS, same workflow with a 16 KiB file | RSS growth (MiB) | RSS rise while the node ran (MiB) | Peak RSS reached during | Verified |');
	lines.push('|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
	const reference = (direction: string, security: Security): LargeRow | undefined =>
		largeRows.find((r) => r.direction === direction && r.security === security && r.kind === 'curl-disk');
	for (const r of largeRows) {
		const ref = reference(r.direction, r.security);
		const ratio = ref ? ref.seconds / r.seconds : undefined;
		const growth = r.peakRssMiB !== undefined && r.tinyPeakRssMiB !== undefined ? r.peakRssMiB - r.tinyPeakRssMiB : undefined;
		lines.push(
			`| ${r.direction} | ${SECURITY_LABEL[r.security]} | ${r.client} | ${fmt(r.seconds, 2)} | ${(r.runs ?? [r.seconds]).map((run) => run.toFixed(2)).join(', ')} | ${fmt(mbps(BIG_BYTES, r.seconds), 0)} | ${r.kind === 'curl-disk' ? '1.00' : fmt(ratio, 2)} | ${fmt(r.wallSeconds, 1)} | ${fmt(r.peakRssMiB, 0)} | ${fmt(r.tinyPeakRssMiB, 0)} | ${fmt(growth, 0)} | ${fmt(r.riseMiB, 0)} | ${r.peakAt ?? '–'} | ${r.verified} |`,
		);
	}
	lines.push('');

	// ---- many small files
	lines.push(`## 2. ${SMALL_COUNT.toLocaleString('en-US')} files of ${SMALL_BYTES / 1024} KiB in one folder (median of ${REPEATS} run${REPEATS > 1 ? 's' : ''}, interleaved rounds)`);
	lines.push('');
	lines.push('Node time = List `executionTime` + Download `executionTime`. lftp time = the wall time of `lftp -e "mirror --parallel=N /many DIR"` (connect, log in, list, download).');
	lines.push('');
	lines.push('| Security | Client | Time (s), median | runs (s) | of which List (s), median | files/s | MB/s | × lftp --parallel=8 | n8n wall (s), median | Peak RSS (MiB), median | Verified |');
	lines.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|');
	const lftp8 = (security: Security): SmallRow | undefined => smallRows.find((r) => r.security === security && r.kind === 'lftp8');
	for (const r of smallRows) {
		const m = median(r.runs);
		const ref = lftp8(r.security);
		lines.push(
			`| ${SECURITY_LABEL[r.security]} | ${r.client} | ${fmt(m, 2)} | ${r.runs.map((v) => v.toFixed(2)).join(', ')} | ${r.listRuns?.length ? fmt(median(r.listRuns), 2) : '–'} | ${fmt(SMALL_COUNT / m, 0)} | ${fmt(mbps(SMALL_COUNT * SMALL_BYTES, m), 1)} | ${ref ? (r.kind === 'lftp8' ? '1.00' : fmt(median(ref.runs) / m, 2)) : '–'} | ${r.wallRuns?.length ? fmt(median(r.wallRuns), 1) : '–'} | ${r.peakRssMiB?.length ? fmt(median(r.peakRssMiB), 0) : '–'} | ${r.verified} |`,
		);
	}
	lines.push('');

	// ---- targets
	const targets: Target[] = [];
	const findLarge = (direction: string, security: Security, kind: LargeRow['kind']): LargeRow | undefined =>
		largeRows.find((r) => r.direction === direction && r.security === security && r.kind === kind);
	for (const direction of ['download', 'upload']) {
		for (const security of SECURITIES) {
			const node = findLarge(direction, security, 'node');
			const ref = findLarge(direction, security, 'curl-disk');
			if (!node || !ref) continue;
			const ratio = ref.seconds / node.seconds;
			targets.push({
				target: `${BIG_LABEL} ${direction}, ${SECURITY_LABEL[security]}: ≥ 0.9 × curl-to-disk throughput`,
				measured: `${ratio.toFixed(2)} × (${fmt(mbps(BIG_BYTES, node.seconds), 0)} vs ${fmt(mbps(BIG_BYTES, ref.seconds), 0)} MB/s)`,
				pass: ratio >= 0.9,
			});
		}
	}
	for (const r of largeRows.filter((row) => row.kind === 'node')) {
		const growth = r.peakRssMiB! - r.tinyPeakRssMiB!;
		// An upload's peak can come from n8n's Read/Write Files from Disk node, which loads the file before the FTP
		// node runs: the FTP node is then judged by how much RSS rose while it ran.
		const peakElsewhere = r.peakAt !== undefined && r.peakAt !== (r.direction === 'download' ? 'Download' : 'Upload');
		targets.push({
			target: `${BIG_LABEL} ${r.direction}, ${SECURITY_LABEL[r.security]}: peak RSS growth < ${RSS_GROWTH_LIMIT_MIB} MiB`,
			measured: `${growth.toFixed(0)} MiB (${r.peakRssMiB!.toFixed(0)} vs ${r.tinyPeakRssMiB!.toFixed(0)} MiB, peak reached during ${r.peakAt ?? '?'}); rise while the FTP node ran: ${fmt(r.riseMiB, 0)} MiB`,
			pass: growth < RSS_GROWTH_LIMIT_MIB || (peakElsewhere && (r.riseMiB ?? Infinity) < RSS_GROWTH_LIMIT_MIB),
		});
	}
	const findSmall = (security: Security, kind: SmallRow['kind']): SmallRow | undefined =>
		smallRows.find((r) => r.security === security && r.kind === kind);
	for (const security of SECURITIES) {
		const node = findSmall(security, 'node8');
		const ref = findSmall(security, 'lftp8');
		if (!node || !ref) continue;
		const n = median(node.runs);
		const l = median(ref.runs);
		targets.push({
			target: `${SMALL_COUNT} × 16 KiB, ${SECURITY_LABEL[security]}: concurrency 8 faster than lftp mirror --parallel=8`,
			measured: `${n.toFixed(2)} s vs ${l.toFixed(2)} s (${(l / n).toFixed(2)} ×)`,
			pass: n < l,
		});
	}
	for (const direction of ['download', 'upload']) {
		const node = findLarge(direction, 'plain', 'node');
		const builtin = findLarge(direction, 'plain', 'builtin');
		if (!node || !builtin) continue;
		const ratio = builtin.seconds / node.seconds;
		targets.push({
			target: `${BIG_LABEL} ${direction}, plain FTP: ≥ 2 × the built-in FTP node`,
			measured: `${ratio.toFixed(2)} × (${node.seconds.toFixed(2)} s vs ${builtin.seconds.toFixed(2)} s)`,
			pass: ratio >= 2,
		});
	}
	{
		const node = findSmall('plain', 'node8');
		const builtin = findSmall('plain', 'builtin');
		if (node && builtin) {
			const ratio = median(builtin.runs) / median(node.runs);
			targets.push({
				target: `${SMALL_COUNT} × 16 KiB, plain FTP: ≥ 2 × the built-in FTP node (concurrency 8)`,
				measured: `${ratio.toFixed(2)} × (${median(node.runs).toFixed(2)} s vs ${median(builtin.runs).toFixed(2)} s)`,
				pass: ratio >= 2,
			});
		}
	}
	lines.push('## Targets');
	lines.push('');
	lines.push('| Target | Measured | Result |');
	lines.push('|---|---|---|');
	for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${t.pass === undefined ? '–' : t.pass ? '**pass**' : '**miss**'} |`);
	lines.push('');
	if (notes.length) {
		lines.push('## Notes from this run');
		lines.push('');
		for (const note of notes) lines.push(`- ${note}`);
		lines.push('');
	}
	return lines.join('\n');
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
	const started = new Date();
	const t0 = Date.now();
	for (const folder of [LOGS, TMP, DL, RESULTS]) await fsp.mkdir(folder, { recursive: true });
	if (!existsSync(`/proc/${VSFTPD_PID}`)) throw new Error('vsftpd is not running');

	log('creating the test data');
	await createData();

	log('building and packing the package, loading it into a fresh n8n user folder');
	const specs = workflowSpecs();
	const tree = treeState();
	const { tgz } = await setUpN8n(specs);
	const options = declaredOptions();
	const engineOptions = (options.download ?? []).includes('concurrency');
	const engineEvidence = `options declared by the packed node: Download ${(options.download ?? []).join(', ') || 'none'}; Upload ${(options.upload ?? []).join(', ') || 'none'}`;
	log(`transfer-engine options in the packed build: ${engineOptions ? 'yes' : 'no'} (${engineEvidence})`);

	if (ONLY !== 'small') {
		for (let round = 1; round <= LARGE_REPEATS; round++) {
			log(`${BIG_LABEL} files: round ${round} of ${LARGE_REPEATS}`);
			await largeFile();
		}
		collapseLargeRuns();
	}
	if (ONLY !== 'large') await manySmallFiles();

	const seconds = (Date.now() - t0) / 1000;
	const markdown = report({ started, seconds, tgz, engineOptions, engineEvidence, tree });
	const stamp = started.toISOString().replace(/[:.]/g, '-');
	await fsp.writeFile(path.join(RESULTS, 'latest.md'), markdown + '\n');
	await fsp.writeFile(path.join(RESULTS, `${stamp}.md`), markdown + '\n');
	await fsp.writeFile(
		path.join(RESULTS, `${stamp}.json`),
		JSON.stringify({ started, seconds, bigBytes: BIG_BYTES, smallCount: SMALL_COUNT, repeats: REPEATS, engineOptions, largeRows, smallRows }, null, 2) + '\n',
	);
	process.stdout.write(`\n${markdown}\n`);
	log(`results: ${path.relative(REPO, path.join(RESULTS, 'latest.md'))} (and ${stamp}.md/.json)`);
}

main().catch((error: unknown) => {
	log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
	killChildren();
	process.exit(1);
});
