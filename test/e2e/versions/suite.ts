/**
 * What every test of the e2e suite shares: the servers (vsftpd, the in-process SFTP server, PostgreSQL for the whole
 * suite only), the n8n user folder with the package installed, the credentials n8n imported and encrypted, and the
 * helpers that run a workflow and look into n8n's storage. `setUp`/`tearDown` are the suite's beforeAll/afterAll.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import {
	startInteropServers,
	type InteropServer,
	type InteropServers,
} from '../../helpers/interopServers';
import { N8n, REPO, type Execution, type ItemJson, type N8nCredential } from '../../../tools/n8n';
import type { TestSftpServer } from '../../../tools/sftpServer';
import { startPostgres, type Postgres } from '../postgres';
import { sftpCredential, startE2eSftpServer } from '../sftp';
import type { VersionProfile } from './profiles';

export const WORKFLOWS = path.join(REPO, 'test/e2e/workflows');

export const CREDENTIAL = {
	explicit: { id: 'e2eFtpsExplicit1', name: 'E2E vsftpd explicit FTPS' },
	anonymous: { id: 'e2eAnonymous001', name: 'E2E vsftpd anonymous' },
	implicit: { id: 'e2eImplicit0001', name: 'E2E vsftpd implicit FTPS' },
	wrongPassword: { id: 'e2eWrongPasswd1', name: 'E2E vsftpd wrong password' },
	postgres: { id: 'e2ePostgres00001', name: 'E2E PostgreSQL' },
} as const;

/** A password that is nowhere else: if it shows up in output or storage, it leaked from the credential. */
export const WRONG_PASSWORD = `Wrong-E2E-${randomBytes(6).toString('hex')}`;

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const sha256OfFile = async (file: string) => sha256(await fsp.readFile(file));

/** The suite's state, set by `setUp` (tests read it only after beforeAll ran). */
export interface E2e {
	servers: InteropServers;
	explicit: InteropServer;
	implicit: InteropServer;
	n8n: N8n;
	/** Only when the whole suite runs (the PostgreSQL workflows are not in the core subset). */
	postgres?: Postgres;
	/** The in-process SFTP server (tools/sftpServer.ts) on 127.0.0.1, port chosen by the system. */
	sftp: TestSftpServer;
	/** Files the Read/Write Files from Disk node may read (N8N_RESTRICT_FILE_ACCESS_TO). */
	filesDir: string;
	timings: Record<string, number>;
	/** Workflows whose `n8n execute` crashed after printing the finished run (see outcomeOf). */
	crashesAtExit: string[];
}

export const e2e = { timings: {}, crashesAtExit: [] as string[] } as E2e;

/**
 * n8n 2.41.1 on Node 24, with its default `vm` expression engine (isolated-vm), ended 2 of 22 `n8n execute` runs
 * with SIGSEGV after it printed the finished run: seen 2026-11-29 also for a workflow of n8n's own Manual Trigger and
 * No Op, never with N8N_EXPRESSION_ENGINE=legacy (n8n 1.123.81 on Node 24: one in two). The run n8n printed is then
 * the outcome; each such crash is listed at the end of the suite, not hidden.
 */
function outcomeOf(execution: Execution): string {
	if (execution.code === 0) return 'success';
	if (execution.code === 1) return 'error';
	if (execution.code === 'SIGSEGV' && execution.run?.status) return execution.run.status;
	return `exit ${String(execution.code)}`;
}

/** Runs a workflow and fails with n8n's output when it did not end as the test expects. */
export async function execute(id: string, expectSuccess = true): Promise<Execution> {
	const execution = await e2e.n8n.execute(id);
	e2e.timings[`execute ${id}`] = execution.ms;
	const outcome = outcomeOf(execution);
	if (execution.code === 'SIGSEGV') e2e.crashesAtExit.push(id);
	if (outcome !== (expectSuccess ? 'success' : 'error') || !execution.run) {
		throw new Error(
			`n8n execute --id=${id}: exit ${String(execution.code)}, run JSON ${execution.run ? 'printed' : 'missing'}\n` +
				`--- stdout ---\n${execution.stdout}\n--- stderr ---\n${execution.stderr}`,
		);
	}
	return execution;
}

/** Every file under `folder` whose bytes contain `needle`. */
export async function filesContaining(folder: string, needle: string): Promise<string[]> {
	const found: string[] = [];
	const bytes = Buffer.from(needle, 'utf8');
	for (const entry of await fsp.readdir(folder, { withFileTypes: true, recursive: true })) {
		if (!entry.isFile()) continue;
		const file = path.join(entry.parentPath ?? entry.path, entry.name);
		if ((await fsp.readFile(file)).includes(bytes)) found.push(file);
	}
	return found;
}

/**
 * Each downloaded item has the remote file's size, name and MIME type, and its bytes were streamed into n8n's
 * filesystem binary data store (not carried base64 in the run data). `files`: remote path → content.
 */
export async function expectStoredDownloads(
	downloads: ItemJson[],
	files: Record<string, string>,
): Promise<void> {
	for (const item of downloads) {
		const remote = item.json.path as string;
		expect(item.json.size).toBe(Buffer.byteLength(files[remote]));
		const binary = item.binary!.data;
		expect(binary.fileName).toBe(path.posix.basename(remote));
		expect(binary.mimeType).toBe('text/csv');
		expect(binary.data).toBe('filesystem-v2');
		expect(await sha256OfFile(e2e.n8n.binaryFile(binary.id!))).toBe(sha256(files[remote]));
	}
}

/** Reads a workflow file of test/e2e/workflows/. */
export async function workflowFile<T>(file: string): Promise<T> {
	return JSON.parse(await fsp.readFile(path.join(WORKFLOWS, file), 'utf8')) as T;
}

/** Copies the workflows into the user folder, filling in `__E2E_FILES_DIR__` (the only run-specific value). */
async function stageWorkflows(): Promise<string> {
	const staged = path.join(e2e.n8n.userFolder, 'workflows');
	await fsp.mkdir(staged);
	for (const name of await fsp.readdir(WORKFLOWS)) {
		if (!name.endsWith('.json')) continue;
		const text = await fsp.readFile(path.join(WORKFLOWS, name), 'utf8');
		await fsp.writeFile(
			path.join(staged, name),
			text.split('__E2E_FILES_DIR__').join(e2e.filesDir),
		);
	}
	return staged;
}

function credentials(): N8nCredential[] {
	const { explicit, implicit, postgres, sftp } = e2e;
	const tls = {
		caCertificate: explicit.caCertificate,
		minTlsVersion: 'TLSv1.2',
		dataConnection: 'passive',
	};
	const ftp = (
		credential: { id: string; name: string },
		data: Record<string, unknown>,
	): N8nCredential => ({ ...credential, type: 'ftpAutomationApi', data: { ...data, ...tls } });
	const login = { host: '127.0.0.1', port: explicit.port, security: 'explicit' };
	return [
		ftp(CREDENTIAL.explicit, {
			...login,
			username: explicit.username,
			password: explicit.password,
		}),
		ftp(CREDENTIAL.anonymous, {
			...login,
			anonymous: true,
			anonymousPassword: 'e2e@example.com',
		}),
		ftp(CREDENTIAL.implicit, {
			host: 'localhost',
			port: implicit.port,
			security: 'implicit',
			username: implicit.username,
			password: implicit.password,
		}),
		ftp(CREDENTIAL.wrongPassword, {
			...login,
			username: explicit.username,
			password: WRONG_PASSWORD,
		}),
		...(postgres
			? [
					{
						...CREDENTIAL.postgres,
						type: 'postgres',
						data: {
							host: postgres.host,
							port: postgres.port,
							database: postgres.database,
							user: postgres.user,
							password: postgres.password,
							ssl: 'disable',
						},
					},
				]
			: []),
		sftpCredential(sftp),
	];
}

export async function setUp(profile: VersionProfile): Promise<void> {
	const started = Date.now();
	const { timings } = e2e;
	// Whatever started is stopped in tearDown, also when something else failed to start.
	const results = await Promise.allSettled([
		startInteropServers().then((servers) => (e2e.servers = servers)),
		N8n.prepare((userFolder) => ({
			N8N_RESTRICT_FILE_ACCESS_TO: path.join(userFolder, 'files'),
			...profile.environment,
		})).then((n8n) => (e2e.n8n = n8n)),
		profile.subset === 'full'
			? startPostgres().then((postgres) => (e2e.postgres = postgres))
			: Promise.resolve(),
		startE2eSftpServer().then((sftp) => (e2e.sftp = sftp)),
	]);
	for (const result of results) if (result.status === 'rejected') throw result.reason;
	if (e2e.n8n.install.version !== profile.install.version) {
		throw new Error(`expected n8n ${profile.install.version}, got ${e2e.n8n.install.version}`);
	}
	await e2e.postgres?.psql(
		'CREATE TABLE orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(10,2) NOT NULL)',
	);
	Object.assign(timings, e2e.n8n.timings);
	e2e.explicit = e2e.servers.servers.find((server) => server.name === 'vsftpd-explicit')!;
	e2e.implicit = e2e.servers.servers.find((server) => server.name === 'vsftpd-implicit')!;
	e2e.filesDir = e2e.n8n.extraEnv.N8N_RESTRICT_FILE_ACCESS_TO;
	await fsp.mkdir(e2e.filesDir);

	let step = Date.now();
	await e2e.n8n.importCredentials(credentials());
	timings['import:credentials'] = Date.now() - step;
	step = Date.now();
	await e2e.n8n.importWorkflows(await stageWorkflows());
	timings['import:workflow'] = Date.now() - step;
	timings.beforeAll = Date.now() - started;
}

export async function tearDown(): Promise<void> {
	await Promise.allSettled([e2e.servers?.stop(), e2e.postgres?.stop(), e2e.sftp?.close()]);
	if (process.env.N8N_E2E_KEEP) console.log(`n8n user folder kept: ${e2e.n8n?.userFolder}`);
	else await e2e.n8n?.remove();
	console.log(`timings (ms): ${JSON.stringify(e2e.timings, null, 1)}`);
	if (e2e.crashesAtExit.length > 0)
		console.warn(
			`n8n execute crashed with SIGSEGV after printing the finished run (n8n's vm expression engine): ${e2e.crashesAtExit.join(', ')}`,
		);
}
