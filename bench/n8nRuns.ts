/**
 * This package inside a real n8n, through the n8n driver that the end-to-end suite, the demo and `npm run dev` use
 * (tools/n8n.ts): installing n8n and preparing the user folder (build, pack, the tarball installed into
 * `.n8n/nodes`), n8n's environment and how it is started, importing credentials and workflows, the run JSON cut out
 * of stdout, binary data ids to files. What is the bench's own: every `n8n execute` runs as a measured process
 * (processes.ts: wall time, peak RSS, RSS samples) with its output kept in bench/.work/logs, the node times and
 * memory read from the run data, and the workflows made from the templates in bench/workflows/.
 */
import { execFileSync } from 'child_process';
import { promises as fsp } from 'fs';
import * as path from 'path';

import {
	N8n,
	SCRIPT,
	cutRunJson,
	type N8nCredential,
	type NodeRun,
	type RunJson,
} from '../tools/n8n';
import {
	CA,
	FILES,
	FTP_PASSWORD,
	FTP_USER,
	LOGS,
	PORT,
	SFTP_FINGERPRINT,
	SFTP_PORT,
	TEMPLATES,
	TMP,
	USER_FOLDER,
	WORK,
	log,
} from './config';
import { emptyFolder, runCommand, sleep } from './processes';

/** What the bench adds to the driver's environment of every n8n command. */
function benchEnvironment(): Record<string, string> {
	return {
		// The built-in FTP node downloads into a temporary file first: keep it on the same disk too.
		TMPDIR: TMP,
		// The default in n8n 2.x for `n8n execute`; stated so that downloads stream into files on disk.
		N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
		N8N_RESTRICT_FILE_ACCESS_TO: FILES,
		// The upload workflows run `sync` (Execute Command, off by default in n8n 2.x) after Read/Write Files from Disk
		// has copied the 1 GiB file into the binary store, so that the upload does not compete with writing that copy
		// back to disk (curl and lftp read a file that was synced before them).
		NODES_EXCLUDE: '[]',
	};
}

/** The prepared user folder (bench/.work/n8n), set by setUpN8n. */
let current: N8n | undefined;

function n8n(): N8n {
	if (!current) throw new Error('n8n is not set up yet (setUpN8n)');
	return current;
}

export interface WorkflowRun {
	run: RunJson;
	wallMs: number;
	peakRssKiB: number;
	rssSamples: Array<[number, number]>;
	pid: number;
	endedAt: number;
}

let executionCounter = 0;
/** Environment added to every `n8n execute` (the profiling mode sets N8N_NODE_FLAGS=--cpu-prof …). */
let extraEnvironment: Record<string, string> = {};
export function setExtraEnvironment(env: Record<string, string>): void {
	extraEnvironment = env;
}

/** Told of every finished `n8n execute` (the profiling mode collects them). */
let executionListener: ((execution: WorkflowRun) => void) | undefined;
export function onExecution(listener: ((execution: WorkflowRun) => void) | undefined): void {
	executionListener = listener;
}

export async function execute(id: string): Promise<WorkflowRun> {
	executionCounter++;
	const out = path.join(LOGS, `${String(executionCounter).padStart(3, '0')}-${id}.out`);
	// Started as the driver starts every n8n command, but measured (peak RSS, RSS samples) and stdout kept in a file.
	const { command, args, cwd, env } = await n8n().invocation(
		['execute', `--id=${id}`, '--rawOutput'],
		extraEnvironment,
	);
	const result = await runCommand(command, args, {
		env,
		cwd,
		stdoutFile: out,
		timeoutMs: 20 * 60_000,
	});
	await fsp.writeFile(out.replace(/\.out$/, '.err'), result.stderr);
	let run: RunJson | undefined;
	try {
		run = cutRunJson(result.stdout);
	} catch (error) {
		throw new Error(
			`n8n execute --id=${id}: the run JSON does not parse (${(error as Error).message}); see ${out}`,
		);
	}
	const error = run?.data.resultData.error;
	if (result.code !== 0 || !run || error) {
		throw new Error(
			`n8n execute --id=${id} failed (exit ${result.code ?? result.signal}): ${error?.message ?? 'no run JSON'}${error?.description ? `\n${error.description}` : ''}\n--- stdout (end) ---\n${result.stdout.slice(-3000)}\n--- stderr (end) ---\n${result.stderr.slice(-3000)}`,
		);
	}
	const execution: WorkflowRun = {
		run,
		wallMs: result.ms,
		peakRssKiB: result.peakRssKiB,
		rssSamples: result.rssSamples,
		pid: result.pid,
		endedAt: result.endedAt,
	};
	executionListener?.(execution);
	return execution;
}

export function nodeRun(run: RunJson, node: string): NodeRun {
	const runs = run.data.resultData.runData[node];
	if (!runs?.[0]) throw new Error(`node "${node}" did not run`);
	if (typeof runs[0].executionTime !== 'number')
		throw new Error(`node "${node}" has no executionTime`);
	return runs[0];
}

/**
 * How much the n8n process's RSS rose while the node ran: the highest VmRSS sample between the node's startTime and
 * startTime + executionTime, minus the last sample before it started (a cross-check of the tiny-file comparison,
 * which also sees n8n's start-up noise).
 */
export function rssRiseKiB(result: WorkflowRun, node: string): number | undefined {
	const { startTime, executionTime } = nodeRun(result.run, node);
	if (startTime === undefined || executionTime === undefined) return undefined;
	const before = result.rssSamples.filter(([t]) => t <= startTime).at(-1);
	const during = result.rssSamples.filter(
		([t]) => t >= startTime && t <= startTime + executionTime,
	);
	if (!before || during.length === 0) return undefined;
	return Math.max(...during.map(([, rss]) => rss)) - before[1];
}

/** Which phase of the execution the highest VmRSS sample fell into: a node's name, "start-up" or "after the nodes". */
export function peakPhase(result: WorkflowRun): string {
	if (result.rssSamples.length === 0) return '–';
	const [peakTime] = result.rssSamples.reduce((best, sample) =>
		sample[1] > best[1] ? sample : best,
	);
	const nodes = Object.entries(result.run.data.resultData.runData)
		.map(([name, runs]) => ({
			name,
			start: runs[0]?.startTime ?? 0,
			end: (runs[0]?.startTime ?? 0) + (runs[0]?.executionTime ?? 0),
		}))
		.filter((node) => node.name !== 'Start');
	const during = nodes.find((node) => peakTime >= node.start && peakTime <= node.end + 20);
	if (during) return during.name;
	if (nodes.length && peakTime < Math.min(...nodes.map((node) => node.start))) return 'start-up';
	return 'after the nodes';
}

export function nodeMs(run: RunJson, ...nodes: string[]): number {
	return nodes.reduce((sum, node) => sum + (nodeRun(run, node).executionTime ?? 0), 0);
}

/** The file in n8n's binary data store behind a binary data id. */
export function binaryFile(id: string): string {
	return n8n().binaryFile(id);
}

/** Binary data of one run is not needed afterwards: keep the disk from filling up with 1 GiB copies. */
export async function clearBinaryStore(): Promise<void> {
	await emptyFolder(n8n().binaryStore);
	await emptyFolder(TMP);
}

type Placeholders = Record<string, unknown>;

function substitute(value: unknown, placeholders: Placeholders): unknown {
	if (typeof value === 'string') {
		if (value in placeholders) return placeholders[value];
		return value.replace(/__[A-Z_]+__/g, (key) =>
			key in placeholders ? String(placeholders[key]) : key,
		);
	}
	if (Array.isArray(value)) return value.map((entry) => substitute(entry, placeholders));
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, substitute(entry, placeholders)]),
		);
	}
	return value;
}

const CREDENTIALS = {
	plain: { id: 'benchFtpPlain001', name: 'Bench vsftpd plain FTP', type: 'ftpAutomationApi' },
	tls: { id: 'benchFtpsExpl001', name: 'Bench vsftpd explicit FTPS', type: 'ftpAutomationApi' },
	builtin: { id: 'benchBuiltinFtp1', name: 'Bench vsftpd (built-in FTP node)', type: 'ftp' },
	sftp: { id: 'benchSftpSshd001', name: 'Bench sshd SFTP', type: 'sftpAutomationApi' },
	builtinSftp: {
		id: 'benchBuiltinSftp',
		name: 'Bench sshd (built-in FTP node, SFTP)',
		type: 'sftp',
	},
};

export function credentialRef(
	kind: keyof typeof CREDENTIALS,
): Record<string, { id: string; name: string }> {
	const { id, name, type } = CREDENTIALS[kind];
	return { [type]: { id, name } };
}

export interface WorkflowSpec {
	id: string;
	template: string;
	placeholders: Placeholders;
}

/** Workflow ids: 16 characters, like n8n's own. */
export function workflowId(name: string): string {
	const id = `bench${name}`.replace(/[^A-Za-z0-9]/g, '');
	if (id.length > 16) throw new Error(`workflow id too long: ${id}`);
	return id.padEnd(16, '0');
}

const ATTEMPTS = 5;

/**
 * Builds and packs the working tree as it is now into a fresh n8n user folder, imports the credentials and
 * workflows, and checks that n8n loads the node (`smokeTest`: a 16 KiB download). Someone's half-finished edit in
 * nodes/ may break the build, or build into code that does not load, for a while: then it waits and starts over.
 */
export async function setUpN8n(
	workflows: WorkflowSpec[],
	smokeTest: () => Promise<unknown>,
): Promise<{ tgz: string }> {
	for (let attempt = 1; ; attempt++) {
		try {
			const result = await setUpN8nOnce(workflows);
			await smokeTest();
			return result;
		} catch (error) {
			const message = (error as Error).message;
			// The start (which step failed) and the end (npm's or n8n's last words) of a long failure.
			const shown =
				message.length > 3000 ? `${message.slice(0, 1000)}\n[…]\n${message.slice(-2000)}` : message;
			log(`setting up n8n failed (attempt ${attempt} of ${ATTEMPTS}): ${shown}`);
			if (attempt >= ATTEMPTS)
				throw new Error('the package did not build, pack or load into n8n; see above');
			log('starting over in 2 minutes (the working tree may be mid-edit)');
			await sleep(120_000);
		}
	}
}

async function setUpN8nOnce(workflows: WorkflowSpec[]): Promise<{ tgz: string }> {
	current = undefined;
	await fsp.rm(USER_FOLDER, { recursive: true, force: true });
	// scripts/n8n-e2e.sh install (n8n is already there: bench/run.sh installed it) and prepare: npm run build,
	// npm pack, the tarball installed into the user folder's .n8n/nodes.
	const prepared = await N8n.prepare(benchEnvironment, { userFolder: USER_FOLDER });
	const tgz = await prepared.tarball();

	const cert = await fsp.readFile(CA, 'utf8');
	const credentials: N8nCredential[] = [
		{
			...CREDENTIALS.plain,
			data: {
				host: '127.0.0.1',
				port: PORT,
				security: 'none',
				username: FTP_USER,
				password: FTP_PASSWORD,
			},
		},
		{
			...CREDENTIALS.tls,
			data: {
				host: '127.0.0.1',
				port: PORT,
				security: 'explicit',
				username: FTP_USER,
				password: FTP_PASSWORD,
				caCertificate: cert,
			},
		},
		{
			...CREDENTIALS.builtin,
			data: { host: '127.0.0.1', port: PORT, username: FTP_USER, password: FTP_PASSWORD },
		},
		{
			// As a user would set it up: password login, the host key pinned (the secure default), defaults elsewhere.
			...CREDENTIALS.sftp,
			data: {
				host: '127.0.0.1',
				port: SFTP_PORT,
				username: FTP_USER,
				password: FTP_PASSWORD,
				hostKeyFingerprint: SFTP_FINGERPRINT,
			},
		},
		{
			// n8n's built-in credential has no host key field: it accepts any key.
			...CREDENTIALS.builtinSftp,
			data: { host: '127.0.0.1', port: SFTP_PORT, username: FTP_USER, password: FTP_PASSWORD },
		},
	];
	await prepared.importCredentials(credentials);

	const folder = path.join(WORK, 'workflows');
	await emptyFolder(folder);
	for (const spec of workflows) {
		const template = JSON.parse(
			await fsp.readFile(path.join(TEMPLATES, spec.template), 'utf8'),
		) as unknown;
		const workflow = substitute(template, { __ID__: spec.id, ...spec.placeholders });
		await fsp.writeFile(path.join(folder, `${spec.id}.json`), JSON.stringify(workflow, null, 2));
	}
	await prepared.importWorkflows(folder);
	current = prepared;
	return { tgz };
}

/** The options each operation of the packed node declares (its description, loaded with n8n's own n8n-workflow). */
export function declaredOptions(): Record<string, string[]> {
	const nodeFile = path.join(
		n8n().installedPackage,
		'dist',
		'nodes',
		'FtpAutomation',
		'FtpAutomation.node.js',
	);
	const n8nModules = path.join(
		path.dirname(
			path.dirname(
				path.dirname(execFileSync('bash', [SCRIPT, 'bin'], { encoding: 'utf8' }).trim()),
			),
		),
		'node_modules',
	);
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
			execFileSync('node', ['-e', script, nodeFile], {
				encoding: 'utf8',
				env: { ...process.env, NODE_PATH: n8nModules },
			}),
		) as Record<string, string[]>;
	} catch (error) {
		log(`could not read the node's options: ${(error as Error).message}`);
		return {};
	}
}
