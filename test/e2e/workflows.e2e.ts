/**
 * End-to-end: the packed package inside a real n8n (installed by scripts/n8n-e2e.sh), its credentials imported
 * and encrypted by n8n, workflows from test/e2e/workflows/ executed headless with `n8n execute --id`, against
 * vsftpd on loopback (scripts/ftp-servers.sh). Needs root; see test/e2e/README.md.
 */
import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import {
	onDisk,
	startInteropServers,
	writeAsUser,
	type InteropServer,
	type InteropServers,
} from '../helpers/interopServers';
import { N8n, outputOf, REPO, type Execution, type N8nCredential } from '../../tools/n8n';
import { startPostgres, type Postgres } from './postgres';
import { runActivated, SFTP_CREDENTIAL, sftpCredential, startE2eSftpServer } from './sftp';
import type { TestSftpServer } from '../../tools/sftpServer';

const WORKFLOWS = path.join(REPO, 'test/e2e/workflows');

const CREDENTIAL = {
	explicit: { id: 'e2eFtpsExplicit1', name: 'E2E vsftpd explicit FTPS' },
	anonymous: { id: 'e2eAnonymous001', name: 'E2E vsftpd anonymous' },
	implicit: { id: 'e2eImplicit0001', name: 'E2E vsftpd implicit FTPS' },
	wrongPassword: { id: 'e2eWrongPasswd1', name: 'E2E vsftpd wrong password' },
	postgres: { id: 'e2ePostgres00001', name: 'E2E PostgreSQL' },
} as const;

/** A password that is nowhere else: if it shows up in output or storage, it leaked from the credential. */
const WRONG_PASSWORD = `Wrong-E2E-${randomBytes(6).toString('hex')}`;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const sha256OfFile = async (file: string) => sha256(await fsp.readFile(file));

let servers: InteropServers;
let explicit: InteropServer;
let implicit: InteropServer;
let n8n: N8n;
let postgres: Postgres;
/** The in-process SFTP server (tools/sftpServer.ts) on 127.0.0.1, port chosen by the system; n8n reaches it there. */
let sftp: TestSftpServer;
/** Files the Read/Write Files from Disk node may read (N8N_RESTRICT_FILE_ACCESS_TO). */
let filesDir: string;
const timings: Record<string, number> = {};

/** Runs a workflow and fails with n8n's output when it did not do what the test expects of its exit code. */
async function execute(id: string, expectSuccess = true): Promise<Execution> {
	const execution = await n8n.execute(id);
	timings[`execute ${id}`] = execution.ms;
	const succeeded = execution.code === 0;
	if (succeeded !== expectSuccess || !execution.run) {
		throw new Error(
			`n8n execute --id=${id}: exit ${String(execution.code)}, run JSON ${execution.run ? 'printed' : 'missing'}\n` +
				`--- stdout ---\n${execution.stdout}\n--- stderr ---\n${execution.stderr}`,
		);
	}
	return execution;
}

/** Every file under `folder` whose bytes contain `needle`. */
async function filesContaining(folder: string, needle: string): Promise<string[]> {
	const found: string[] = [];
	const bytes = Buffer.from(needle, 'utf8');
	for (const entry of await fsp.readdir(folder, { withFileTypes: true, recursive: true })) {
		if (!entry.isFile()) continue;
		const file = path.join(entry.parentPath ?? entry.path, entry.name);
		if ((await fsp.readFile(file)).includes(bytes)) found.push(file);
	}
	return found;
}

/** Copies the workflows into the user folder, filling in `__E2E_FILES_DIR__` (the only run-specific value). */
async function stageWorkflows(): Promise<string> {
	const staged = path.join(n8n.userFolder, 'workflows');
	await fsp.mkdir(staged);
	for (const name of await fsp.readdir(WORKFLOWS)) {
		if (!name.endsWith('.json')) continue;
		const text = await fsp.readFile(path.join(WORKFLOWS, name), 'utf8');
		await fsp.writeFile(path.join(staged, name), text.split('__E2E_FILES_DIR__').join(filesDir));
	}
	return staged;
}

function credentials(): N8nCredential[] {
	const tls = {
		caCertificate: explicit.caCertificate,
		minTlsVersion: 'TLSv1.2',
		dataConnection: 'passive',
	};
	return [
		{
			...CREDENTIAL.explicit,
			type: 'ftpAutomationApi',
			data: {
				host: '127.0.0.1',
				port: explicit.port,
				security: 'explicit',
				username: explicit.username,
				password: explicit.password,
				...tls,
			},
		},
		{
			...CREDENTIAL.anonymous,
			type: 'ftpAutomationApi',
			data: {
				host: '127.0.0.1',
				port: explicit.port,
				security: 'explicit',
				anonymous: true,
				anonymousPassword: 'e2e@example.com',
				...tls,
			},
		},
		{
			...CREDENTIAL.implicit,
			type: 'ftpAutomationApi',
			data: {
				host: 'localhost',
				port: implicit.port,
				security: 'implicit',
				username: implicit.username,
				password: implicit.password,
				...tls,
			},
		},
		{
			...CREDENTIAL.wrongPassword,
			type: 'ftpAutomationApi',
			data: {
				host: '127.0.0.1',
				port: explicit.port,
				security: 'explicit',
				username: explicit.username,
				password: WRONG_PASSWORD,
				...tls,
			},
		},
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
		sftpCredential(sftp),
	];
}

beforeAll(async () => {
	const started = Date.now();
	// Whatever started is stopped in afterAll, also when something else failed to start.
	const [serversResult, n8nResult, postgresResult, sftpResult] = await Promise.allSettled([
		startInteropServers(),
		N8n.prepare((userFolder) => ({ N8N_RESTRICT_FILE_ACCESS_TO: path.join(userFolder, 'files') })),
		startPostgres(),
		startE2eSftpServer(),
	]);
	if (serversResult.status === 'fulfilled') servers = serversResult.value;
	if (n8nResult.status === 'fulfilled') n8n = n8nResult.value;
	if (postgresResult.status === 'fulfilled') postgres = postgresResult.value;
	if (sftpResult.status === 'fulfilled') sftp = sftpResult.value;
	for (const result of [serversResult, n8nResult, postgresResult, sftpResult])
		if (result.status === 'rejected') throw result.reason;
	await postgres.psql(
		'CREATE TABLE orders (order_id integer PRIMARY KEY, customer text NOT NULL, amount numeric(10,2) NOT NULL)',
	);
	Object.assign(timings, n8n.timings);
	explicit = servers.servers.find((server) => server.name === 'vsftpd-explicit')!;
	implicit = servers.servers.find((server) => server.name === 'vsftpd-implicit')!;
	filesDir = n8n.extraEnv.N8N_RESTRICT_FILE_ACCESS_TO;
	await fsp.mkdir(filesDir);

	let step = Date.now();
	await n8n.importCredentials(credentials());
	timings['import:credentials'] = Date.now() - step;
	step = Date.now();
	await n8n.importWorkflows(await stageWorkflows());
	timings['import:workflow'] = Date.now() - step;
	timings.beforeAll = Date.now() - started;
}, 25 * 60_000);

afterAll(async () => {
	await Promise.allSettled([servers?.stop(), postgres?.stop(), sftp?.close()]);
	if (process.env.N8N_E2E_KEEP) console.log(`n8n user folder kept: ${n8n?.userFolder}`);
	else await n8n?.remove();
	console.log(`timings (ms): ${JSON.stringify(timings, null, 1)}`);
});

describe('the package inside n8n', () => {
	it('is loaded from .n8n/nodes as n8n-nodes-ftp-automation (the packed tarball, not the repository)', async () => {
		const installed = path.join(n8n.userFolder, '.n8n/nodes/node_modules/n8n-nodes-ftp-automation');
		const manifest = JSON.parse(
			await fsp.readFile(path.join(installed, 'package.json'), 'utf8'),
		) as { n8n: { nodes: string[] } };
		expect(manifest.n8n.nodes).toEqual([
			'dist/nodes/FtpAutomation/FtpAutomation.node.js',
			'dist/nodes/FtpAutomation/FtpAutomationTrigger.node.js',
		]);
		expect((await fsp.lstat(installed)).isSymbolicLink()).toBe(false);
		// Only `dist` (plus package.json, README, LICENSE) is in the tarball.
		await expect(fsp.stat(path.join(installed, 'nodes'))).rejects.toThrow();
		// --legacy-peer-deps: no second n8n-workflow next to the package; n8n's own is used.
		await expect(
			fsp.stat(path.join(n8n.userFolder, '.n8n/nodes/node_modules/n8n-workflow')),
		).rejects.toThrow();
	});
});

describe('the FTP Automation Trigger inside n8n', () => {
	it('is a node type n8n knows: a workflow holding it (beside the manual start) loads and runs', async () => {
		// n8n resolves every node's type when it loads a workflow, and fails on an unknown one. Its polls are tested
		// through n8n's PollContext in test/integration/trigger.test.ts: `n8n execute` starts only at a manual trigger.
		const { run } = await execute('e2eTriggerKnown1');
		expect(outputOf(run!, 'Done')).toHaveLength(1);
	});
});

describe('(a) list with a glob filter → download each → Extract From File (CSV)', () => {
	const files: Record<string, string> = {
		'/inbound/orders-1.csv':
			'order_id,customer,amount\n1001,Ada Lovelace,12.50\n1002,Jürgen Groß,7.00\n',
		'/inbound/orders-2.csv': 'order_id,customer,amount\n1003,Grace Hopper,99.99\n',
		'/inbound/notes.txt': 'not a CSV file\n',
		'/inbound/old/orders-0.csv': 'order_id,customer,amount\n999,In A Subfolder,1.00\n',
	};

	it('lists only the top-level CSV files, stores each download in the binary data store and parses every row', async () => {
		for (const [remote, content] of Object.entries(files))
			await writeAsUser(explicit, remote, content);
		const { run } = await execute('e2eListDownload1');

		const listed = outputOf(run!, 'List CSV Files').map((item) => item.json);
		expect(listed.map((entry) => entry.path).sort()).toEqual([
			'/inbound/orders-1.csv',
			'/inbound/orders-2.csv',
		]);
		expect(listed.every((entry) => entry.type === 'file')).toBe(true);

		const downloads = outputOf(run!, 'Download');
		expect(downloads).toHaveLength(2);
		for (const item of downloads) {
			const remote = item.json.path as string;
			expect(item.json.size).toBe(Buffer.byteLength(files[remote]));
			const binary = item.binary!.data;
			expect(binary.fileName).toBe(path.posix.basename(remote));
			expect(binary.mimeType).toBe('text/csv');
			// Streamed into n8n's filesystem binary data store, not carried base64 in the run data.
			expect(binary.data).toBe('filesystem-v2');
			const stored = n8n.binaryFile(binary.id!);
			expect(await sha256OfFile(stored)).toBe(sha256(files[remote]));
			expect(await sha256OfFile(stored)).toBe(await sha256OfFile(onDisk(explicit, remote)));
		}

		const rows = outputOf(run!, 'Extract CSV').map((item) => item.json);
		expect(rows).toEqual([
			{ order_id: '1001', customer: 'Ada Lovelace', amount: '12.50' },
			{ order_id: '1002', customer: 'Jürgen Groß', amount: '7.00' },
			{ order_id: '1003', customer: 'Grace Hopper', amount: '99.99' },
		]);
	});
});

describe('(b) two workflows sharing one credential', () => {
	it('both use the same stored credential: A writes a report, B downloads it and moves it to the archive A created', async () => {
		for (const file of ['shared-credential-upload.json', 'shared-credential-archive.json']) {
			const workflow = JSON.parse(await fsp.readFile(path.join(WORKFLOWS, file), 'utf8')) as {
				nodes: Array<{ type: string; credentials?: Record<string, { id: string }> }>;
			};
			const ftpNodes = workflow.nodes.filter(
				(node) => node.type === 'n8n-nodes-ftp-automation.ftpAutomation',
			);
			expect(ftpNodes.length).toBeGreaterThan(0);
			for (const node of ftpNodes)
				expect(node.credentials?.ftpAutomationApi.id).toBe(CREDENTIAL.explicit.id);
		}

		const a = await execute('e2eSharedCredA1');
		const report = 'report from workflow A\nline 2\n';
		expect(outputOf(a.run!, 'Write Report').map((item) => item.json)).toEqual([
			{ path: '/shared/report.txt', size: Buffer.byteLength(report) },
		]);
		expect(outputOf(a.run!, 'Create Archive Folder').map((item) => item.json)).toEqual([
			{ path: '/shared/archive', created: true },
		]);
		expect(await fsp.readFile(onDisk(explicit, '/shared/report.txt'), 'utf8')).toBe(report);

		const b = await execute('e2eSharedCredB1');
		expect(outputOf(b.run!, 'List Shared').map((item) => item.json.name)).toEqual(['report.txt']);
		const [download] = outputOf(b.run!, 'Download Report');
		expect(await fsp.readFile(n8n.binaryFile(download.binary!.data.id!), 'utf8')).toBe(report);
		expect(outputOf(b.run!, 'Move To Archive').map((item) => item.json)).toEqual([
			{ oldPath: '/shared/report.txt', newPath: '/shared/archive/report.txt' },
		]);
		await expect(fsp.stat(onDisk(explicit, '/shared/report.txt'))).rejects.toThrow();
		expect(await fsp.readFile(onDisk(explicit, '/shared/archive/report.txt'), 'utf8')).toBe(report);
	});
});

describe('(c) upload fed by Read/Write Files from Disk', () => {
	it('uploads every file read from disk; the bytes on the server are the same', async () => {
		const outbound = path.join(filesDir, 'outbound');
		await fsp.mkdir(outbound);
		const local = {
			'payload.bin': randomBytes(1024 * 1024 + 17),
			'summary.csv': Buffer.from('day,total\n2026-11-24,42\n'),
		};
		for (const [name, content] of Object.entries(local))
			await fsp.writeFile(path.join(outbound, name), content);

		const { run } = await execute('e2eUploadDisk01');
		expect(outputOf(run!, 'Read Files From Disk')).toHaveLength(2);
		const uploaded = outputOf(run!, 'Upload').map((item) => item.json);
		expect(uploaded.sort((x, y) => String(x.path).localeCompare(String(y.path)))).toEqual([
			{ path: '/from-disk/payload.bin', size: local['payload.bin'].length },
			{ path: '/from-disk/summary.csv', size: local['summary.csv'].length },
		]);
		for (const [name, content] of Object.entries(local)) {
			expect(await sha256OfFile(onDisk(explicit, `/from-disk/${name}`))).toBe(sha256(content));
		}
	});
});

describe('(d) continue on fail: one missing file among three', () => {
	it('two files are parsed into two rows; the missing one becomes one error item on the error output', async () => {
		await writeAsUser(explicit, '/daily/day-1.csv', 'day,total\n1,10\n');
		await writeAsUser(explicit, '/daily/day-3.csv', 'day,total\n3,30\n');
		const { run } = await execute('e2eContinueFail1');

		expect(outputOf(run!, 'Download', 0).map((item) => item.json.path)).toEqual([
			'/daily/day-1.csv',
			'/daily/day-3.csv',
		]);
		expect(outputOf(run!, 'Extract CSV').map((item) => item.json)).toEqual([
			{ day: '1', total: '10' },
			{ day: '3', total: '30' },
		]);
		const failed = outputOf(run!, 'Failed Downloads');
		expect(failed).toHaveLength(1);
		expect(String(failed[0].json.error)).toMatch(
			/^Cannot download "\/daily\/day-2\.csv": it does not exist or permission is denied/,
		);
		// The error item goes out of Download's error output, paired with the second input item (the missing file).
		const errors = outputOf(run!, 'Download', 1);
		expect(errors.map((item) => item.json.error)).toEqual([failed[0].json.error]);
		expect(errors[0].pairedItem).toEqual({ item: 1 });
	});
});

describe('anonymous (explicit FTPS) and implicit FTPS credentials in one workflow', () => {
	it('downloads readme.txt anonymously and uploads it to the implicit-FTPS server', async () => {
		const { run } = await execute('e2eAnonImplicit1');
		const original = await fsp.readFile(path.join(explicit.anonymousRoot, 'readme.txt'));
		const [download] = outputOf(run!, 'Anonymous Download');
		expect(download.json).toEqual({ path: '/readme.txt', size: original.length });
		expect(outputOf(run!, 'Upload Over Implicit FTPS').map((item) => item.json)).toEqual([
			{ path: '/from-anonymous/readme.txt', size: original.length },
		]);
		expect(await sha256OfFile(onDisk(implicit, '/from-anonymous/readme.txt'))).toBe(
			sha256(original),
		);
	});
});

describe('FTP → Extract From File → PostgreSQL, and PostgreSQL → Convert to File → FTP', () => {
	it('imports the rows of every matching CSV file into PostgreSQL (verified with psql)', async () => {
		await writeAsUser(
			explicit,
			'/import/orders-2026-11-23.csv',
			'order_id,customer,amount\n2001,Ada Lovelace,12.50\n2002,Jürgen Groß,7\n',
		);
		await writeAsUser(
			explicit,
			'/import/orders-2026-11-24.csv',
			'order_id,customer,amount\n2003,"Hopper, Grace",99.99\n',
		);
		await writeAsUser(explicit, '/import/customers.csv', 'id,name\n1,not imported\n');
		const { run } = await execute('e2eCsvToPg00001');

		expect(outputOf(run!, 'Download').map((item) => item.json.path)).toEqual([
			'/import/orders-2026-11-23.csv',
			'/import/orders-2026-11-24.csv',
		]);
		expect(outputOf(run!, 'Insert Orders')).toHaveLength(3);
		expect(
			await postgres.psql('SELECT order_id, customer, amount FROM orders ORDER BY order_id'),
		).toBe(
			['2001|Ada Lovelace|12.50', '2002|Jürgen Groß|7.00', '2003|Hopper, Grace|99.99'].join('\n'),
		);
	});

	it('exports the table as CSV to the server; the bytes there are what Convert to File produced', async () => {
		const { run } = await execute('e2ePgToFtp00001');
		expect(outputOf(run!, 'Select Orders')).toHaveLength(3);
		const [file] = outputOf(run!, 'Convert To CSV');
		const binary = file.binary!.data;
		const produced = binary.id
			? await fsp.readFile(n8n.binaryFile(binary.id))
			: Buffer.from(binary.data!, 'base64');
		expect(outputOf(run!, 'Upload Export').map((item) => item.json)).toEqual([
			{ path: '/outbound/orders-export.csv', size: produced.length },
		]);
		const onServer = await fsp.readFile(onDisk(explicit, '/outbound/orders-export.csv'));
		expect(sha256(onServer)).toBe(sha256(produced));
		expect(onServer.toString('utf8').trim().split(/\r?\n/)).toEqual([
			'order_id,customer,amount',
			'2001,Ada Lovelace,12.50',
			'2002,Jürgen Groß,7.00',
			'2003,"Hopper, Grace",99.99',
		]);
	});
});

describe('(e) a wrong password', () => {
	it('fails the execution with the explained error, and the password appears nowhere', async () => {
		const execution = await execute('e2eWrongPassWf1', false);
		const output = execution.stdout + execution.stderr;
		const runs = execution.run!.data.resultData.runData['List Root'];
		expect(runs).toHaveLength(1);
		expect(runs[0].error?.message).toMatch(
			/^Wrong username or password \(server replied: 530 Login incorrect\.\)/,
		);
		expect(execution.run!.data.resultData.error?.message).toMatch(/^Wrong username or password/);
		expect(output).toContain('Wrong username or password');
		// The description ends with the redacted connection log.
		expect(runs[0].error?.description).toContain('> PASS ***');

		expect(output).not.toContain(WRONG_PASSWORD);
		expect(JSON.stringify(execution.run)).not.toContain(WRONG_PASSWORD);
		// n8n's database (credentials are stored encrypted; the execution with its error), binary data, logs.
		expect(await filesContaining(n8n.userFolder, WRONG_PASSWORD)).toEqual([]);
		// …and that search did cover the stored execution: n8n's database holds its error.
		const database = path.join(n8n.userFolder, '.n8n');
		expect(
			(await filesContaining(database, 'Wrong username or password')).map((file) =>
				path.basename(file),
			),
		).toEqual(expect.arrayContaining([expect.stringMatching(/^database\.sqlite/)]));
	});

	it('no password of any credential is stored in plain text anywhere in the user folder', async () => {
		expect(await filesContaining(n8n.userFolder, explicit.password)).toEqual([]);
		expect(await filesContaining(n8n.userFolder, postgres.password)).toEqual([]);
	});
});

describe('SFTP (protocol "sftp", credential sftpAutomationApi with the host key pinned)', () => {
	/** A file on the SFTP server's disk (the folder it serves as "/"). */
	const onSftpDisk = (remote: string) => path.join(sftp.root, ...remote.split('/'));
	const writeOnSftp = async (remote: string, content: string | Buffer) => {
		await fsp.mkdir(path.dirname(onSftpDisk(remote)), { recursive: true });
		await fsp.writeFile(onSftpDisk(remote), content);
	};

	it('imports the credential: n8n stores it encrypted, and every SFTP node of the workflows refers to it', async () => {
		for (const file of [
			'sftp-list-download-extract.json',
			'sftp-upload-from-disk.json',
			'sftp-trigger.json',
		]) {
			const workflow = JSON.parse(await fsp.readFile(path.join(WORKFLOWS, file), 'utf8')) as {
				nodes: Array<{
					type: string;
					parameters: Record<string, unknown>;
					credentials?: Record<string, { id: string }>;
				}>;
			};
			const ours = workflow.nodes.filter((node) =>
				node.type.startsWith('n8n-nodes-ftp-automation.'),
			);
			expect(ours.length).toBeGreaterThan(0);
			for (const node of ours) {
				expect(node.parameters.protocol).toBe('sftp');
				expect(Object.keys(node.credentials ?? {})).toEqual(['sftpAutomationApi']);
				expect(node.credentials?.sftpAutomationApi.id).toBe(SFTP_CREDENTIAL.id);
			}
		}
		// Decryption is proven by the runs below (they log in with the password and check the pinned host key).
		expect(await filesContaining(n8n.userFolder, sftp.password)).toEqual([]);
	});

	it('(1) lists *.csv, downloads each into the binary data store and parses every row', async () => {
		const files: Record<string, string> = {
			'/inbound/partner-a.csv':
				'order_id,customer,amount\n3001,Zoë Berger,120.50\n3002,東京商事,240.00\n',
			'/inbound/partner-b.csv': 'order_id,customer,amount\n3003,"Hopper, Grace",99.99\n',
			'/inbound/readme.txt': 'not a CSV file\n',
			'/inbound/old/partner-0.csv': 'order_id,customer,amount\n999,In A Subfolder,1.00\n',
		};
		for (const [remote, content] of Object.entries(files)) await writeOnSftp(remote, content);
		const before = sftp.connections;
		const { run } = await execute('e2eSftpListDl001');

		const listed = outputOf(run!, 'List CSV Files').map((item) => item.json);
		expect(listed.map((entry) => entry.path).sort()).toEqual([
			'/inbound/partner-a.csv',
			'/inbound/partner-b.csv',
		]);
		for (const entry of listed) {
			expect(entry.type).toBe('file');
			expect(entry.size).toBe(Buffer.byteLength(files[entry.path as string]));
		}
		// Include Connection Log: the SFTP log names the pinned host key's fingerprint, never the password.
		const log = (listed[0].connectionLog as string[]).join('\n');
		expect(log).toContain(sftp.hostKeyFingerprint);
		expect(log).not.toContain(sftp.password);

		const downloads = outputOf(run!, 'Download');
		expect(downloads).toHaveLength(2);
		for (const item of downloads) {
			const remote = item.json.path as string;
			expect(item.json.size).toBe(Buffer.byteLength(files[remote]));
			const binary = item.binary!.data;
			expect(binary.fileName).toBe(path.posix.basename(remote));
			expect(binary.mimeType).toBe('text/csv');
			expect(binary.data).toBe('filesystem-v2');
			expect(await sha256OfFile(n8n.binaryFile(binary.id!))).toBe(sha256(files[remote]));
		}

		// An SFTP listing comes in the server's directory order (OpenSSH's too), not sorted as vsftpd's LIST.
		const rows = outputOf(run!, 'Extract CSV').map((item) => item.json);
		expect(rows.sort((x, y) => String(x.order_id).localeCompare(String(y.order_id)))).toEqual([
			{ order_id: '3001', customer: 'Zoë Berger', amount: '120.50' },
			{ order_id: '3002', customer: '東京商事', amount: '240.00' },
			{ order_id: '3003', customer: 'Hopper, Grace', amount: '99.99' },
		]);
		// n8n reached the in-process server on 127.0.0.1 (List and Download: one connection each).
		expect(sftp.connections - before).toBeGreaterThanOrEqual(2);
	});

	it('(2) uploads binary data read from disk; the files on the server have the same SHA-256, no temporary file left', async () => {
		const outbound = path.join(filesDir, 'sftp-outbound');
		await fsp.mkdir(outbound);
		const local: Record<string, Buffer> = {
			'payload.bin': randomBytes(3 * 1024 * 1024 + 5),
			'Bericht März.csv': Buffer.from('tag,summe\n2026-11-24,42\n'),
			'empty.txt': Buffer.alloc(0),
		};
		for (const [name, content] of Object.entries(local))
			await fsp.writeFile(path.join(outbound, name), content);
		const year = String(new Date().getUTCFullYear());
		sftp.requests.length = 0;

		const { run } = await execute('e2eSftpUpload001');
		expect(outputOf(run!, 'Read Files From Disk')).toHaveLength(3);
		const uploaded = outputOf(run!, 'Upload Over SFTP').map((item) => item.json);
		expect(uploaded.sort((x, y) => String(x.path).localeCompare(String(y.path)))).toEqual(
			Object.keys(local)
				.sort((x, y) => `/uploads/${year}/${x}`.localeCompare(`/uploads/${year}/${y}`))
				.map((name) => ({ path: `/uploads/${year}/${name}`, size: local[name].length })),
		);
		for (const [name, content] of Object.entries(local))
			expect(await sha256OfFile(onSftpDisk(`/uploads/${year}/${name}`))).toBe(sha256(content));
		// Safe upload: written under a temporary name, then renamed into place; nothing else is left in the folder.
		expect((await fsp.readdir(onSftpDisk(`/uploads/${year}`))).sort()).toEqual(
			Object.keys(local).sort(),
		);
		expect(sftp.requests.some((request) => request.op === 'posix-rename@openssh.com')).toBe(true);
	});

	it('(3) the trigger workflow loads; activated, its first poll emits the file with its bytes and moves it', async () => {
		// Loads: n8n resolves the trigger's type, parameters and credential type when it loads the workflow.
		const loaded = await execute('e2eSftpTrigger01');
		expect(outputOf(loaded.run!, 'Done')).toHaveLength(1);
		// n8n execute runs in mode cli, where a polling node is not polled (see test/e2e/sftp.ts).
		expect(loaded.run!.data.resultData.runData['New SFTP File']).toBeUndefined();

		const content = 'order_id,customer,amount\n4001,Trigger Test,1.00\n';
		await writeOnSftp('/drop/orders-trigger.csv', content);
		await writeOnSftp('/drop/ignored.txt', 'not matched by *.csv\n');
		const activated = await runActivated(n8n, 'e2eSftpTrigger01');
		timings['publish + n8n start → trigger execution e2eSftpTrigger01'] =
			activated.untilExecutionMs;
		timings['stopping n8n start'] = activated.stopMs;

		expect(activated.output).not.toMatch(/problem activating/i);
		expect(activated.executions).toHaveLength(1);
		const [execution] = activated.executions;
		expect(execution.mode).toBe('trigger');
		expect(execution.status).toBe('success');
		const emitted = outputOf(execution.run, 'New SFTP File');
		expect(emitted).toHaveLength(1);
		expect(emitted[0].json).toMatchObject({
			path: '/drop/orders-trigger.csv',
			name: 'orders-trigger.csv',
			type: 'file',
			size: Buffer.byteLength(content),
			event: 'fileCreated',
		});
		const binary = emitted[0].binary!.data;
		expect(binary.fileName).toBe('orders-trigger.csv');
		expect(await sha256OfFile(n8n.binaryFile(binary.id!))).toBe(sha256(content));
		expect(outputOf(execution.run, 'Received')).toHaveLength(1);
		// After Download: Move the File.
		await expect(fsp.stat(onSftpDisk('/drop/orders-trigger.csv'))).rejects.toThrow();
		expect(await fsp.readFile(onSftpDisk('/drop/done/orders-trigger.csv'), 'utf8')).toBe(content);
		expect(await fsp.readFile(onSftpDisk('/drop/ignored.txt'), 'utf8')).toBe(
			'not matched by *.csv\n',
		);
	});

	it('(4) the SFTP password is stored nowhere in plain text after the runs', async () => {
		expect(await filesContaining(n8n.userFolder, sftp.password)).toEqual([]);
	});
});
