/**
 * What `npm run demo` and `npm run dev` share: the embedded FTPS server with the sample drop, the embedded SFTP
 * server the report is also delivered to, the demo credentials, and a real n8n (the pinned version cached by
 * scripts/n8n-e2e.sh) with this package packed and loaded.
 *
 * The n8n side is the n8n driver that the end-to-end suite and the bench use too (tools/n8n.ts, around
 * scripts/n8n-e2e.sh); the FTPS server is tools/ftpServer.ts and the SFTP server tools/sftpServer.ts, the ones the
 * tests start: one copy each.
 *
 * The workflow n8n runs is examples/ftps-csv-pickup-report-archive.json plus one SFTP step (DEMO_SFTP_NODE): the
 * report that Convert to File produced is also uploaded to the SFTP server, with the SFTP credential's host key
 * pinned to the server's fingerprint.
 */
import { execFile, spawn } from 'child_process';
import { createWriteStream, promises as fsp } from 'fs';
import * as path from 'path';

import { N8n, REPO, SCRIPT, baseEnvironment, type N8nCredential } from '../../tools/n8n';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';

export { REPO };

export const EXAMPLES = path.join(REPO, 'examples');
export const DEMO_WORKFLOW_FILE = path.join(EXAMPLES, 'ftps-csv-pickup-report-archive.json');
export const DEMO_WORKFLOW_ID = 'demoCsvPickup001';
export const DEMO_CREDENTIAL_ID = 'demoFtpsExplicit';
export const DEMO_CREDENTIAL_NAME = 'Demo FTPS (embedded server)';
export const DEMO_SFTP_CREDENTIAL_ID = 'demoSftpPinned01';
export const DEMO_SFTP_CREDENTIAL_NAME = 'Demo SFTP (embedded server, host key pinned)';
/** The SFTP step added to the example workflow, on a second branch after "Convert to CSV". */
export const DEMO_SFTP_NODE = 'Deliver Report (SFTP)';
/** Copied into the server's root before the run: `inbound/` with two CSV files and a text file. */
const DEMO_DATA = path.join(EXAMPLES, 'demo-data');

export function print(line = ''): void {
	process.stdout.write(`${line}\n`);
}

export function seconds(ms: number): string {
	return ms >= 60_000
		? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
		: `${(ms / 1000).toFixed(1)} s`;
}

/** In-process ftp-srv on 127.0.0.1 and a free port, explicit TLS with a freshly generated certificate. */
export async function startDemoServer(): Promise<TestFtpServer> {
	const server = await startFtpServer({ security: 'explicit' });
	try {
		await fsp.cp(DEMO_DATA, server.root, { recursive: true });
		await fsp.mkdir(path.join(server.root, 'outbound'), { recursive: true });
	} catch (error) {
		await server.close();
		throw error;
	}
	return server;
}

/** Explicit FTPS, certificate verification on, the server's self-signed certificate as CA Certificate. */
export function demoCredential(server: TestFtpServer): N8nCredential {
	return {
		id: DEMO_CREDENTIAL_ID,
		name: DEMO_CREDENTIAL_NAME,
		type: 'ftpAutomationApi',
		data: {
			host: server.host,
			port: server.port,
			security: 'explicit',
			username: server.username,
			password: server.password,
			allowUnauthorizedCerts: false,
			caCertificate: server.certificate!.cert,
			minTlsVersion: 'TLSv1.2',
			dataConnection: 'passive',
		},
	};
}

/** In-process SFTP server (ssh2) on 127.0.0.1 and a free port, a fresh ed25519 host key, password login. */
export async function startDemoSftpServer(): Promise<TestSftpServer> {
	return await startSftpServer({ username: 'partner' });
}

/**
 * Password login with the server's host key pinned: Host Key Fingerprint is the fingerprint of the key the server
 * was started with (what `ssh-keyscan HOST | ssh-keygen -lf -` prints), Accept Any Host Key stays off.
 */
export function demoSftpCredential(server: TestSftpServer): N8nCredential {
	return {
		id: DEMO_SFTP_CREDENTIAL_ID,
		name: DEMO_SFTP_CREDENTIAL_NAME,
		type: 'sftpAutomationApi',
		data: {
			host: server.host,
			port: server.port,
			username: server.username,
			password: server.password,
			hostKeyFingerprint: server.hostKeyFingerprint,
			acceptAnyHostKey: false,
		},
	};
}

interface WorkflowJson {
	name: string;
	nodes: Array<{ name: string; position: [number, number]; [key: string]: unknown }>;
	connections: Record<
		string,
		{ main: Array<Array<{ node: string; type: string; index: number }>> }
	>;
	[key: string]: unknown;
}

/** The example workflow with the SFTP step: the report of "Convert to CSV" also goes to the SFTP server's /reports. */
export async function demoWorkflow(): Promise<WorkflowJson> {
	const workflow = JSON.parse(await fsp.readFile(DEMO_WORKFLOW_FILE, 'utf8')) as WorkflowJson;
	const convert = workflow.nodes.find((node) => node.name === 'Convert to CSV');
	if (!convert || !workflow.connections['Convert to CSV'])
		throw new Error(`${DEMO_WORKFLOW_FILE} has no node "Convert to CSV" to add the SFTP step to`);
	workflow.name = `${workflow.name} (+ SFTP delivery)`;
	workflow.nodes.push({
		id: '7d3e5b20-0000-4000-8000-000000005f7f',
		name: DEMO_SFTP_NODE,
		type: 'n8n-nodes-ftp-automation.ftpAutomation',
		typeVersion: 2,
		position: [convert.position[0] + 220, convert.position[1] + 200],
		parameters: {
			protocol: 'sftp',
			operation: 'upload',
			path: "=/reports/orders-summary-{{ $now.toFormat('yyyy-MM-dd') }}.csv",
			binaryData: true,
			binaryPropertyName: 'data',
			createDirectories: true,
			options: { includeConnectionLog: true },
		},
		credentials: {
			sftpAutomationApi: { id: DEMO_SFTP_CREDENTIAL_ID, name: DEMO_SFTP_CREDENTIAL_NAME },
		},
	});
	workflow.connections['Convert to CSV'].main[0].push({
		node: DEMO_SFTP_NODE,
		type: 'main',
		index: 0,
	});
	return workflow;
}

function script(args: string[]): Promise<{ code: number; stdout: string }> {
	return new Promise((resolve) => {
		execFile('bash', [SCRIPT, ...args], { env: baseEnvironment(), cwd: REPO }, (error, stdout) => {
			resolve({
				code: error ? Number((error as NodeJS.ErrnoException).code ?? 1) || 1 : 0,
				stdout: String(stdout),
			});
		});
	});
}

/**
 * Installs the pinned n8n into its cache folder unless it is there already. The first install takes 6-16 min
 * (npm downloads ~2,400 packages, 2.7 GB, and builds sqlite3 and isolated-vm): a progress line every 30 s, npm's output in a log
 * file next to the cache folder, its last lines printed when it fails.
 */
export async function ensureN8n(): Promise<void> {
	const [cache, version] = (await script(['cache'])).stdout.trim().split('\n');
	if ((await script(['bin'])).code === 0) {
		print(`n8n ${version}: cached in ${path.relative(process.cwd(), cache) || cache}`);
		return;
	}
	const logFile = `${cache}.install.log`;
	print(`n8n ${version}: not installed yet. Installing it into ${cache}`);
	print(
		`  first run only: 6-16 minutes and 2.7 GB (later runs reuse it; delete the folder to reclaim the space)`,
	);
	print(`  npm's output goes to ${logFile}`);
	await fsp.mkdir(path.dirname(logFile), { recursive: true });
	const log = createWriteStream(logFile);
	const started = Date.now();
	const timer = setInterval(
		() => print(`  … still installing n8n (${seconds(Date.now() - started)})`),
		30_000,
	);
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			const child = spawn('bash', [SCRIPT, 'install'], {
				env: baseEnvironment(),
				cwd: REPO,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			child.stdout.pipe(log, { end: false });
			child.stderr.pipe(log, { end: false });
			child.once('error', reject);
			child.once('close', resolve);
		});
		await new Promise<void>((resolve) => log.end(resolve));
		if (code !== 0) {
			const tail = (await fsp.readFile(logFile, 'utf8'))
				.trimEnd()
				.split('\n')
				.slice(-25)
				.join('\n');
			throw new Error(
				`installing n8n ${version} failed (exit ${String(code)}). Last lines of ${logFile}:\n${tail}`,
			);
		}
	} finally {
		clearInterval(timer);
	}
	print(`  installed in ${seconds(Date.now() - started)}`);
}

/** `npm run build`, `npm pack`, and the tarball installed into a user folder's .n8n/nodes, as users install it. */
export async function prepareN8n(options: { userFolder?: string } = {}): Promise<N8n> {
	await ensureN8n();
	print(
		'Packing this package (npm run build, npm pack) and installing the tarball into an n8n user folder …',
	);
	const started = Date.now();
	const n8n = await N8n.prepare(() => ({}), {
		tempPrefix: 'n8n-demo-',
		userFolder: options.userFolder,
	});
	print(
		`  ${n8n.userFolder}/.n8n/nodes: n8n-nodes-ftp-automation loaded (${seconds(Date.now() - started)})`,
	);
	return n8n;
}

/**
 * Imports the demo credentials (encrypted by n8n on import) and the demo workflow: the one from examples/ plus the
 * SFTP step.
 */
export async function importDemo(
	n8n: N8n,
	server: TestFtpServer,
	sftpServer: TestSftpServer,
): Promise<void> {
	const started = Date.now();
	await n8n.importCredentials([demoCredential(server), demoSftpCredential(sftpServer)]);
	// import:workflow --separate reads every *.json of a folder: give it only the demo workflow.
	const folder = path.join(n8n.userFolder, 'import');
	await fsp.rm(folder, { recursive: true, force: true });
	await fsp.mkdir(folder);
	await fsp.writeFile(
		path.join(folder, path.basename(DEMO_WORKFLOW_FILE)),
		JSON.stringify(await demoWorkflow(), null, 2),
	);
	await n8n.importWorkflows(folder);
	await fsp.rm(folder, { recursive: true, force: true });
	print(
		`Imported credentials "${DEMO_CREDENTIAL_NAME}" (explicit FTPS, CA Certificate = the server's certificate) and ` +
			`"${DEMO_SFTP_CREDENTIAL_NAME}" (Host Key Fingerprint = ${sftpServer.hostKeyFingerprint}), and workflow ` +
			`${path.relative(REPO, DEMO_WORKFLOW_FILE)} with the SFTP step "${DEMO_SFTP_NODE}" added ` +
			`(${seconds(Date.now() - started)})`,
	);
}
