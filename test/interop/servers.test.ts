/**
 * Every operation of the node against real servers on loopback — vsftpd 3.0.3, ProFTPD 1.3.8 (mod_tls) and
 * pure-ftpd 1.0.50, started by scripts/ftp-servers.sh — run through n8n's real execution context, under plain FTP
 * (where the port allows it) and the instance's TLS mode with certificate verification against the generated
 * certificate, plus anonymous login, TLS 1.3 and TLS 1.2. Results are compared with the files on disk.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js`. A server that cannot start fails the suite.
 *
 * TLS session reuse: vsftpd (require_ssl_reuse=YES) and ProFTPD (mod_tls default) refuse a TLS data connection
 * that does not resume the control connection's TLS session (vsftpd "522 SSL connection failed: session reuse
 * required", ProFTPD "425 Unable to build data connection: Operation not permitted"). Every TLS list, upload and
 * download below that passes on those servers therefore proves that the node's data connections reuse the session,
 * under TLS 1.3 (the default) and TLS 1.2 (see the TLS 1.2 test). pure-ftpd does not require it.
 */
import { X509Certificate } from 'crypto';
import { createReadStream, promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { RemoteSession } from '../../nodes/FtpAutomation/transport';
// The module object itself (not an __importStar copy), so that DEFAULT_MAX_VERSION can be set on it.
import nodeTls = require('tls');
import {
	makeFolderAsUser,
	onDisk,
	startInteropServers,
	writeAsUser,
	type InteropServer,
	type InteropServerName,
	type InteropServers,
} from '../helpers/interopServers';
import {
	binaryFilePath,
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	readBinary,
	runNode,
} from '../../tools/n8nHarness';
import { ftpNodeOfVersion } from '../../tools/ftpNode';
import {
	credentialsFor,
	runFtpNode,
	runWithLog,
	sha256,
	sha256OfFile,
	writeRandomFile,
} from '../helpers/nodeRun';

type Security = 'none' | 'explicit' | 'implicit';

/**
 * The instances scripts/ftp-servers.sh starts (test/interop/README.md). Jest needs the table before beforeAll has
 * started anything, so it is written out here; the first test checks it against servers.json.
 */
const INSTANCES: Array<{
	name: InteropServerName;
	tls: 'explicit' | 'implicit';
	plain: boolean;
	mlsd: boolean;
}> = [
	{ name: 'vsftpd-explicit', tls: 'explicit', plain: true, mlsd: false },
	{ name: 'vsftpd-implicit', tls: 'implicit', plain: false, mlsd: false },
	{ name: 'proftpd-explicit', tls: 'explicit', plain: true, mlsd: true },
	{ name: 'proftpd-implicit', tls: 'implicit', plain: false, mlsd: true },
	{ name: 'pure-ftpd-explicit', tls: 'explicit', plain: true, mlsd: true },
];

const FIVE_MIB = 5 * 1024 * 1024;
/** The 0-byte upload: the node should succeed, or fail within its connection timeout, long before the deadline. */
const EMPTY_UPLOAD_TIMEOUT_S = 4;
const EMPTY_UPLOAD_DEADLINE_MS = 12_000;
const UTF8_NAME = 'Bericht März 東京.txt';
/** A time in the past (older than six months, so LIST shows only the year and the exact time needs MLSD or MDTM). */
const FIXED_MTIME = new Date('2024-03-05T06:07:08Z');

let run: InteropServers;
let scratch: string;
let largeFile: string;
let largeFileHash: string;

beforeAll(async () => {
	await initBinaryData();
	scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftp-interop-test-'));
	largeFile = path.join(scratch, 'large.bin');
	largeFileHash = await writeRandomFile(largeFile, FIVE_MIB);
	run = await startInteropServers();
}, 120_000);

afterAll(async () => {
	await run?.stop();
	if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
	await cleanupBinaryData();
}, 60_000);

function serverNamed(name: InteropServerName): InteropServer {
	const server = run.servers.find((candidate) => candidate.name === name);
	if (!server)
		throw new Error(
			`${name} is not in servers.json (${run.servers.map((s) => s.name).join(', ')})`,
		);
	return server;
}

/**
 * Runs the node, but cancels the execution (n8n's cancel signal, which closes the connection) if it has not
 * finished after `deadlineMs`, and then fails with a message saying so.
 */
async function runWithDeadline(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	items: INodeExecutionData[],
	deadlineMs: number,
): Promise<INodeExecutionData[]> {
	const controller = new AbortController();
	const open = jest.spyOn(RemoteSession, 'open');
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			// The connection log of the hung session says where it stopped.
			const opened = open.mock.results[0]?.value as Promise<RemoteSession> | undefined;
			void (opened ?? Promise.reject(new Error('no session')))
				.then(
					(session) => session.log.tail(8).join('\n'),
					() => '(no session was opened)',
				)
				.then((log) => {
					controller.abort();
					reject(
						new Error(
							`The node did not finish within ${deadlineMs / 1000} s (connection timeout ${String(credentials.connectionTimeout)} s); ` +
								`the execution was cancelled. Last lines of its connection log:\n${log}`,
						),
					);
				});
		}, deadlineMs);
	});
	const running = runNode({
		// The parameters below are in version 1's layout, as in the rest of these tests.
		nodeType: ftpNodeOfVersion(1),
		parameters,
		credentials: { ftpAutomationApi: credentials },
		items,
		abortSignal: controller.signal,
	});
	running.catch(() => undefined); // after the deadline its rejection (closed by the cancel) is not the test's result
	try {
		return await Promise.race([running, deadline]);
	} finally {
		clearTimeout(timer);
		open.mockRestore();
	}
}

/** The TLS version of the control connection, from basic-ftp's log line. */
function negotiatedTls(log: string): string | undefined {
	return (
		/Control socket is using: (TLSv[\d.]+)/.exec(log)?.[1] ??
		/Connected to .*\((TLSv[\d.]+)/.exec(log)?.[1]
	);
}

const jsonOf = (output: INodeExecutionData[]) => output.map((item) => item.json);

it('servers.json lists the expected instances', () => {
	expect(
		run.servers
			.map(({ name, security, tlsAllowsPlain }) => ({ name, security, tlsAllowsPlain }))
			.sort((a, b) => a.name.localeCompare(b.name)),
	).toEqual(
		INSTANCES.map(({ name, tls: security, plain }) => ({
			name,
			security,
			tlsAllowsPlain: plain,
		})).sort((a, b) => a.name.localeCompare(b.name)),
	);
	for (const server of run.servers) {
		expect(server.caCertificate).toContain('-----BEGIN CERTIFICATE-----');
		expect(server.uid).toBeGreaterThanOrEqual(1000);
	}
});

describe.each(INSTANCES)('$name', ({ name, tls: tlsMode, plain, mlsd }) => {
	let server: InteropServer;

	beforeAll(() => {
		server = serverNamed(name);
	});

	const modes: Array<{ label: string; security: Security }> = [
		...(plain ? [{ label: 'plain FTP', security: 'none' as const }] : []),
		{ label: `${tlsMode} FTPS (verified certificate)`, security: tlsMode },
	];

	describe.each(modes)('$label', ({ security }) => {
		/** Each mode works in its own folder, so plain and TLS runs on one server do not meet. */
		const base = `/${security}`;
		let credentials: ICredentialDataDecryptedObject;

		beforeAll(() => {
			expect(security === 'none' ? server.tlsAllowsPlain : true).toBe(true);
			credentials = credentialsFor(server, security);
		});

		it('creates nested folders; an existing one reports created: false', async () => {
			const { output, log } = await runWithLog(credentials, {
				operation: 'createFolder',
				path: `${base}/archive/2026/11`,
			});
			expect(jsonOf(output)).toEqual([{ path: `${base}/archive/2026/11`, created: true }]);
			const made = await fsp.stat(onDisk(server, `${base}/archive/2026/11`));
			expect(made.isDirectory()).toBe(true);
			expect(made.uid).toBe(server.uid); // created by the server as the test user
			// The default TLS version between Node and these servers is 1.3; plain FTP stays plain.
			expect(negotiatedTls(log)).toBe(security === 'none' ? undefined : 'TLSv1.3');

			const again = await runFtpNode(
				credentials,
				{ operation: 'createFolder', path: '={{ $json.path }}' },
				{
					items: [
						{ json: { path: `${base}/archive/2026/11` } },
						{ json: { path: `${base}/archive/2026/12` } },
					],
				},
			);
			expect(jsonOf(again)).toEqual([
				{ path: `${base}/archive/2026/11`, created: false },
				{ path: `${base}/archive/2026/12`, created: true },
			]);
			expect((await fsp.stat(onDisk(server, `${base}/archive/2026/12`))).isDirectory()).toBe(true);
		});

		it('uploads binary data stored by reference (5 MiB, UTF-8 name) and text', async () => {
			const csv = Buffer.from('id;name\n1;Zoë\n2;Åsa\n', 'utf8');
			const utf8 = Buffer.from('ünïcødé content\r\nwith CRLF\n', 'utf8');
			const files = [
				{
					path: `${base}/up/new/orders.csv`,
					item: await binaryItem(csv, 'orders.csv'),
					hash: sha256(csv),
					size: csv.length,
				},
				{
					path: `${base}/up/large.bin`,
					item: await binaryItem(createReadStream(largeFile), 'large.bin'),
					hash: largeFileHash,
					size: FIVE_MIB,
				},
				{
					path: `${base}/up/${UTF8_NAME}`,
					item: await binaryItem(utf8, UTF8_NAME),
					hash: sha256(utf8),
					size: utf8.length,
				},
			];
			for (const file of files) expect(file.item.binary?.data.id).toBeDefined(); // by reference: read as a stream
			const items = files.map((file) => ({ ...file.item, json: { path: file.path } }));

			const uploaded = await runFtpNode(
				credentials,
				{ operation: 'upload', path: '={{ $json.path }}' },
				{ items },
			);
			expect(jsonOf(uploaded)).toEqual(files.map((file) => ({ path: file.path, size: file.size })));
			for (const file of files) {
				const local = onDisk(server, file.path);
				expect({ path: file.path, hash: await sha256OfFile(local) }).toEqual({
					path: file.path,
					hash: file.hash,
				});
				expect((await fsp.stat(local)).uid).toBe(server.uid);
			}

			const text = 'Grüße aus n8n\n';
			const [uploadedText] = await runFtpNode(credentials, {
				operation: 'upload',
				path: `${base}/up/note.txt`,
				binaryData: false,
				fileContent: text,
			});
			expect(uploadedText.json).toEqual({
				path: `${base}/up/note.txt`,
				size: Buffer.byteLength(text),
			});
			expect(await fsp.readFile(onDisk(server, `${base}/up/note.txt`), 'utf8')).toBe(text);
		});

		it('refuses to upload onto a folder, and the folder keeps its name and contents', async () => {
			const inside = Buffer.from('kept\n');
			await writeAsUser(server, `${base}/onto/report.csv/inside.txt`, inside);
			const [item] = await runFtpNode(
				credentials,
				{
					operation: 'upload',
					path: `${base}/onto/report.csv`,
					binaryData: false,
					fileContent: 'x',
				},
				{ continueOnFail: true },
			);
			expect(item.json.error).toBe(`"${base}/onto/report.csv" is a folder, not a file`);
			expect(await fsp.readFile(onDisk(server, `${base}/onto/report.csv/inside.txt`))).toEqual(
				inside,
			);
			// Nothing moved aside, no temporary upload left behind.
			expect((await fsp.readdir(onDisk(server, `${base}/onto`))).sort()).toEqual(['report.csv']);
		});

		/*
		 * On its own, with a deadline: a run that hangs is cancelled (as a user would stop the execution in n8n) and
		 * the test fails with a message that says so, instead of blocking the suite until jest's timeout.
		 * Over TLS this is the case that needs the upload to end only after the data connection's handshake
		 * (dataConnection.ts, endingAfterHandshake): without it vsftpd and ProFTPD answer with a decode_error alert.
		 */
		it('uploads a 0-byte binary file', async () => {
			const item = await binaryItem(Buffer.alloc(0), 'empty.bin');
			expect(item.binary?.data.id).toBeDefined();
			const quick = { ...credentials, connectionTimeout: EMPTY_UPLOAD_TIMEOUT_S };
			const uploaded = await runWithDeadline(
				quick,
				{ operation: 'upload', path: `${base}/up0/empty.bin` },
				[item],
				EMPTY_UPLOAD_DEADLINE_MS,
			);
			expect(jsonOf(uploaded)).toEqual([{ path: `${base}/up0/empty.bin`, size: 0 }]);
			expect((await fsp.stat(onDisk(server, `${base}/up0/empty.bin`))).size).toBe(0);
		});

		it('downloads files put on disk (5 MiB, 0 bytes, UTF-8 name) with identical bytes', async () => {
			const csv = Buffer.from('a;b\n1;2\n');
			const utf8 = Buffer.from('März in 東京\n');
			await writeAsUser(server, `${base}/dl/data.csv`, csv);
			await writeAsUser(server, `${base}/dl/empty.bin`, Buffer.alloc(0));
			await writeAsUser(server, `${base}/dl/${UTF8_NAME}`, utf8);
			const large = await writeAsUser(server, `${base}/dl/large.bin`, Buffer.alloc(0));
			await fsp.copyFile(largeFile, large);

			const paths = [
				`${base}/dl/data.csv`,
				`${base}/dl/empty.bin`,
				`${base}/dl/${UTF8_NAME}`,
				`${base}/dl/large.bin`,
			];
			const { output, log } = await runWithLog(
				credentials,
				{ operation: 'download', path: '={{ $json.path }}' },
				paths.map((remote) => ({ json: { path: remote } })),
			);
			expect(jsonOf(output)).toEqual([
				{ path: paths[0], size: csv.length },
				{ path: paths[1], size: 0 },
				{ path: paths[2], size: utf8.length },
				{ path: paths[3], size: FIVE_MIB },
			]);
			const [csvOut, emptyOut, utf8Out, largeOut] = output.map((item) => item.binary!.data);
			expect(csvOut).toMatchObject({ fileName: 'data.csv', mimeType: 'text/csv' });
			expect(sha256(await readBinary(csvOut))).toBe(sha256(csv));
			expect((await readBinary(emptyOut)).length).toBe(0);
			expect(utf8Out.fileName).toBe(UTF8_NAME);
			expect(sha256(await readBinary(utf8Out))).toBe(sha256(utf8));
			expect(largeOut.id).toBeDefined(); // streamed into n8n's filesystem store
			expect(await sha256OfFile(binaryFilePath(largeOut))).toBe(largeFileHash);
			if (security !== 'none') expect(log).toMatch(/RETR .*large\.bin/);
		});

		it(`lists flat and recursively with filter and include; modifiedAt from ${mlsd ? 'MLSD' : 'MDTM (no MLSD)'}`, async () => {
			const tree: Record<string, string> = {
				'a.csv': 'a',
				'b.txt': 'bb',
				[UTF8_NAME]: 'ccc',
				'2026/2026-01.csv': 'dddd',
				'2026/11/2026-11.csv': 'eeeee',
				'2026/11/notes.txt': 'f',
			};
			for (const [relative, content] of Object.entries(tree)) {
				const file = await writeAsUser(server, `${base}/tree/${relative}`, content);
				await fsp.utimes(file, FIXED_MTIME, FIXED_MTIME);
			}
			await makeFolderAsUser(server, `${base}/tree/empty`);

			const flat = await runFtpNode(credentials, { operation: 'list', path: `${base}/tree` });
			const byName = Object.fromEntries(flat.map((item) => [item.json.name as string, item.json]));
			expect(Object.keys(byName).sort()).toEqual(
				['2026', UTF8_NAME, 'a.csv', 'b.txt', 'empty'].sort(),
			);
			expect(byName['a.csv']).toMatchObject({ path: `${base}/tree/a.csv`, type: 'file', size: 1 });
			expect(byName[UTF8_NAME]).toMatchObject({
				path: `${base}/tree/${UTF8_NAME}`,
				type: 'file',
				size: 3,
			});
			expect(byName['2026']).toMatchObject({ path: `${base}/tree/2026`, type: 'directory' });
			expect(byName.empty).toMatchObject({ path: `${base}/tree/empty`, type: 'directory' });
			for (const fileName of ['a.csv', 'b.txt', UTF8_NAME]) {
				// An ISO string, to the second (LIST alone would only give "Mar 5 2024" here).
				expect({ fileName, modifiedAt: byName[fileName].modifiedAt }).toEqual({
					fileName,
					modifiedAt: FIXED_MTIME.toISOString(),
				});
			}
			for (const entry of Object.values(byName)) {
				expect(Object.keys(entry)).toEqual(
					expect.arrayContaining([
						'name',
						'path',
						'type',
						'size',
						'modifiedAt',
						'permissions',
						'owner',
						'group',
					]),
				);
				if (entry.permissions !== null)
					expect(entry.permissions).toMatch(/^[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$/);
			}

			const csvFiles = await runFtpNode(credentials, {
				operation: 'list',
				path: `${base}/tree`,
				options: { recursive: true, filter: '**/*.csv', include: 'files' },
			});
			expect(csvFiles.map((item) => item.json.path).sort()).toEqual(
				[
					`${base}/tree/2026/11/2026-11.csv`,
					`${base}/tree/2026/2026-01.csv`,
					`${base}/tree/a.csv`,
				].sort(),
			);
			for (const item of csvFiles) {
				expect(item.json).toMatchObject({ type: 'file', modifiedAt: FIXED_MTIME.toISOString() });
				expect(item.json.size).toBe(
					tree[(item.json.path as string).slice(`${base}/tree/`.length)].length,
				);
			}
		});

		it('renames a file, and moves it into folders it creates', async () => {
			await writeAsUser(server, `${base}/ren/old.csv`, 'rename me');
			const moved = await runFtpNode(
				credentials,
				{
					operation: 'rename',
					oldPath: '={{ $json.from }}',
					newPath: '={{ $json.to }}',
					options: { createDirectories: true },
				},
				{
					items: [
						{ json: { from: `${base}/ren/old.csv`, to: `${base}/ren/new.csv` } },
						{ json: { from: `${base}/ren/new.csv`, to: `${base}/ren/archive/2026/${UTF8_NAME}` } },
					],
				},
			);
			expect(jsonOf(moved)).toEqual([
				{ oldPath: `${base}/ren/old.csv`, newPath: `${base}/ren/new.csv` },
				{ oldPath: `${base}/ren/new.csv`, newPath: `${base}/ren/archive/2026/${UTF8_NAME}` },
			]);
			expect((await fsp.readdir(onDisk(server, `${base}/ren`))).sort()).toEqual(['archive']);
			expect(
				await fsp.readFile(onDisk(server, `${base}/ren/archive/2026/${UTF8_NAME}`), 'utf8'),
			).toBe('rename me');
		});

		it('deletes a file, an empty folder, and a folder with its contents', async () => {
			await writeAsUser(server, `${base}/del/file.txt`, 'x');
			await makeFolderAsUser(server, `${base}/del/empty`);
			await writeAsUser(server, `${base}/del/full/deeper/f.txt`, 'y');
			await writeAsUser(server, `${base}/del/full/${UTF8_NAME}`, 'z');
			await makeFolderAsUser(server, `${base}/del/full/hollow`);
			// Links out of the folder: a recursive delete removes each link itself, never what it points to (also on
			// proftpd-implicit, which shows links as folders: its MLSD unique facts give them away). Relative links, so
			// that they resolve inside the servers' chroot.
			await writeAsUser(server, `${base}/outside/keep.txt`, 'keep');
			await fsp.symlink('../../outside', onDisk(server, `${base}/del/full/to-outside`));
			await fsp.symlink('../..', onDisk(server, `${base}/del/full/deeper/up`));
			for (const link of ['del/full/to-outside', 'del/full/deeper/up']) {
				await fsp.lchown(onDisk(server, `${base}/${link}`), server.uid, server.gid);
			}

			const [file] = await runFtpNode(credentials, {
				operation: 'delete',
				path: `${base}/del/file.txt`,
			});
			expect(file.json).toEqual({ path: `${base}/del/file.txt`, deleted: true });
			await expect(fsp.access(onDisk(server, `${base}/del/file.txt`))).rejects.toThrow();

			const [empty] = await runFtpNode(credentials, {
				operation: 'delete',
				path: `${base}/del/empty`,
				options: { folder: true },
			});
			expect(empty.json).toEqual({ path: `${base}/del/empty`, deleted: true });
			await expect(fsp.access(onDisk(server, `${base}/del/empty`))).rejects.toThrow();

			const [full] = await runFtpNode(credentials, {
				operation: 'delete',
				path: `${base}/del/full`,
				options: { folder: true, recursive: true },
			});
			expect(full.json).toEqual({ path: `${base}/del/full`, deleted: true });
			expect(await fsp.readdir(onDisk(server, `${base}/del`))).toEqual([]);
			expect(await fsp.readFile(onDisk(server, `${base}/outside/keep.txt`), 'utf8')).toBe('keep');
		});
	});

	/** The server connects to the node (PORT/EPRT); under TLS the node is still the TLS client and resumes the session. */
	describe.each(modes)('active mode, $label', ({ security }) => {
		const base = `/active-${security}`;

		it('lists, downloads and uploads (5 MiB and 0 bytes) with identical bytes', async () => {
			const credentials = credentialsFor(server, security, { dataConnection: 'active' });
			await writeAsUser(server, `${base}/in/data.csv`, 'a;b\n1;2\n');
			await fsp.copyFile(
				largeFile,
				await writeAsUser(server, `${base}/in/large.bin`, Buffer.alloc(0)),
			);

			const listed = await runWithLog(credentials, { operation: 'list', path: `${base}/in` });
			expect(listed.output.map((item) => item.json.name).sort()).toEqual(['data.csv', 'large.bin']);
			expect(listed.log).toMatch(/> (PORT 127,0,0,1,\d+,\d+|EPRT \|1\|127\.0\.0\.1\|\d+\|)/);
			expect(listed.log).toMatch(/Active mode: the server connected from 127\.0\.0\.1:\d+/);
			expect(listed.log).not.toMatch(/> (PASV|EPSV)/);
			// vsftpd and ProFTPD accept only data connections that resume the session; pure-ftpd does not resume.
			if (security !== 'none')
				expect(listed.log).toMatch(
					server.server === 'pure-ftpd'
						? /Data connection TLS: TLSv1\.3, session not resumed/
						: /Data connection TLS: TLSv1\.3, session resumed/,
				);

			const downloaded = await runFtpNode(credentials, {
				operation: 'download',
				path: `${base}/in/large.bin`,
			});
			expect(await sha256OfFile(binaryFilePath(downloaded[0].binary!.data))).toBe(largeFileHash);

			const item = await binaryItem(createReadStream(largeFile), 'large.bin');
			const uploaded = await runFtpNode(
				credentials,
				{ operation: 'upload', path: `${base}/out/large.bin` },
				{ items: [item] },
			);
			expect(jsonOf(uploaded)).toEqual([{ path: `${base}/out/large.bin`, size: FIVE_MIB }]);
			expect(await sha256OfFile(onDisk(server, `${base}/out/large.bin`))).toBe(largeFileHash);

			const empty = await binaryItem(Buffer.alloc(0), 'empty.bin');
			const uploadedEmpty = await runFtpNode(
				credentials,
				{ operation: 'upload', path: `${base}/out/empty.bin` },
				{ items: [empty] },
			);
			expect(jsonOf(uploadedEmpty)).toEqual([{ path: `${base}/out/empty.bin`, size: 0 }]);
			expect((await fsp.stat(onDisk(server, `${base}/out/empty.bin`))).size).toBe(0);
		});
	});

	describe(`${tlsMode} FTPS, other logins and TLS versions`, () => {
		it('anonymous login lists and downloads readme.txt', async () => {
			const anonymous = credentialsFor(server, tlsMode, {
				anonymous: true,
				username: '',
				password: '',
				anonymousPassword: 'interop@example.com',
			});
			const listed = await runFtpNode(anonymous, { operation: 'list', path: '/' });
			expect(listed.map((item) => item.json)).toEqual([
				expect.objectContaining({
					name: 'readme.txt',
					path: '/readme.txt',
					type: 'file',
					size: (await fsp.stat(path.join(server.anonymousRoot, 'readme.txt'))).size,
				}),
			]);
			expect(listed[0].json.modifiedAt).toEqual(
				expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
			);

			const { output, log } = await runWithLog(anonymous, {
				operation: 'download',
				path: 'readme.txt',
			});
			expect(output[0].json).toEqual({
				path: '/readme.txt',
				size: Buffer.byteLength('anonymous download test file\n'),
			});
			expect(sha256(await readBinary(output[0].binary!.data))).toBe(
				sha256(await fsp.readFile(path.join(server.anonymousRoot, 'readme.txt'))),
			);
			expect(log).toMatch(/USER anonymous/);
			expect(negotiatedTls(log)).toBe('TLSv1.3');
		});

		it('certificate pinning instead of a CA: list and download over data connections that resume the session', async () => {
			const fingerprint = new X509Certificate(server.caCertificate).fingerprint256;
			const pinned = credentialsFor(server, tlsMode, {
				caCertificate: '',
				certificateFingerprint: fingerprint,
			});
			await writeAsUser(server, '/pinned/probe.txt', 'pinned');
			const listed = await runFtpNode(pinned, { operation: 'list', path: '/pinned' });
			expect(jsonOf(listed)).toEqual([expect.objectContaining({ name: 'probe.txt', size: 6 })]);
			const [downloaded] = await runFtpNode(pinned, {
				operation: 'download',
				path: '/pinned/probe.txt',
			});
			expect((await readBinary(downloaded.binary!.data)).toString()).toBe('pinned');
		});

		it('minimum TLS version 1.3: lists over TLS 1.3', async () => {
			await writeAsUser(server, '/tls13/probe.txt', 'tls 1.3');
			const { output, log } = await runWithLog(
				credentialsFor(server, tlsMode, { minTlsVersion: 'TLSv1.3' }),
				{ operation: 'list', path: '/tls13' },
			);
			expect(jsonOf(output)).toEqual([expect.objectContaining({ name: 'probe.txt', size: 7 })]);
			expect(negotiatedTls(log)).toBe('TLSv1.3');
		});

		/*
		 * `node --tls-max-v1.2` does nothing but set tls.DEFAULT_MAX_VERSION to 'TLSv1.2', and Node reads that
		 * default each time a TLS context is created without maxVersion (the node sets only minVersion). Setting it
		 * here, in the jest worker, for the duration of this test therefore runs the node's own connections — control
		 * and data, with session reuse — exactly as under that flag. It does not cover a process started with the
		 * flag (e.g. n8n itself), nor a credential that asks for TLS 1.3 on a 1.2-only server.
		 */
		it('TLS 1.2 (as under node --tls-max-v1.2): upload and download, data connections resuming a TLS 1.2 session', async () => {
			const tlsDefaults = nodeTls as { DEFAULT_MAX_VERSION: string };
			const previous = tlsDefaults.DEFAULT_MAX_VERSION;
			tlsDefaults.DEFAULT_MAX_VERSION = 'TLSv1.2';
			try {
				const twelve = credentialsFor(server, tlsMode);
				const content = 'over TLS 1.2\n'.repeat(1000);
				const up = await runWithLog(twelve, {
					operation: 'upload',
					path: '/tls12/up.txt',
					binaryData: false,
					fileContent: content,
				});
				expect(negotiatedTls(up.log)).toBe('TLSv1.2');
				expect(await fsp.readFile(onDisk(server, '/tls12/up.txt'), 'utf8')).toBe(content);

				const down = await runWithLog(twelve, { operation: 'download', path: '/tls12/up.txt' });
				expect(negotiatedTls(down.log)).toBe('TLSv1.2');
				expect(sha256(await readBinary(down.output[0].binary!.data))).toBe(sha256(content));
			} finally {
				tlsDefaults.DEFAULT_MAX_VERSION = previous;
			}
		});
	});
});
