/**
 * The FTP/FTPS workflows of the e2e suite (test/e2e/workflows/), run by a real n8n against vsftpd. The core runs on
 * every tested n8n version; the rest (shared credentials, continue on fail, anonymous and implicit FTPS, PostgreSQL)
 * only where the whole suite runs (see ./profiles.ts).
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import { onDisk, writeAsUser } from '../../helpers/interopServers';
import { outputOf } from '../../../tools/n8n';
import {
	CREDENTIAL,
	WRONG_PASSWORD,
	e2e,
	execute,
	expectStoredDownloads,
	filesContaining,
	sha256,
	sha256OfFile,
	workflowFile,
} from './suite';
import type { Subset } from './profiles';

export function registerFtpTests(subset: Subset): void {
	describe('the package inside n8n', () => {
		it('is loaded from .n8n/nodes as n8n-nodes-ftp-automation (the packed tarball, not the repository)', async () => {
			const installed = path.join(
				e2e.n8n.userFolder,
				'.n8n/nodes/node_modules/n8n-nodes-ftp-automation',
			);
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
				fsp.stat(path.join(e2e.n8n.userFolder, '.n8n/nodes/node_modules/n8n-workflow')),
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
				await writeAsUser(e2e.explicit, remote, content);
			const { run } = await execute('e2eListDownload1');

			const listed = outputOf(run!, 'List CSV Files').map((item) => item.json);
			expect(listed.map((entry) => entry.path).sort()).toEqual([
				'/inbound/orders-1.csv',
				'/inbound/orders-2.csv',
			]);
			expect(listed.every((entry) => entry.type === 'file')).toBe(true);

			const downloads = outputOf(run!, 'Download');
			expect(downloads).toHaveLength(2);
			await expectStoredDownloads(downloads, files);
			// The same bytes as the file under the server's root.
			for (const item of downloads)
				expect(await sha256OfFile(e2e.n8n.binaryFile(item.binary!.data.id!))).toBe(
					await sha256OfFile(onDisk(e2e.explicit, item.json.path as string)),
				);

			const rows = outputOf(run!, 'Extract CSV').map((item) => item.json);
			expect(rows).toEqual([
				{ order_id: '1001', customer: 'Ada Lovelace', amount: '12.50' },
				{ order_id: '1002', customer: 'Jürgen Groß', amount: '7.00' },
				{ order_id: '1003', customer: 'Grace Hopper', amount: '99.99' },
			]);
		});
	});

	describe('(c) upload fed by Read/Write Files from Disk', () => {
		it('uploads every file read from disk; the bytes on the server are the same', async () => {
			const outbound = path.join(e2e.filesDir, 'outbound');
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
				expect(await sha256OfFile(onDisk(e2e.explicit, `/from-disk/${name}`))).toBe(
					sha256(content),
				);
			}
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
			// The error carries the redacted connection log (in its description or its messages: see helpers/nodeError.ts).
			expect(JSON.stringify(runs[0].error)).toContain('> PASS ***');

			expect(output).not.toContain(WRONG_PASSWORD);
			expect(JSON.stringify(execution.run)).not.toContain(WRONG_PASSWORD);
			// n8n's database (credentials are stored encrypted; the execution with its error), binary data, logs.
			expect(await filesContaining(e2e.n8n.userFolder, WRONG_PASSWORD)).toEqual([]);
			// …and that search did cover the stored execution: n8n's database holds its error.
			const database = path.join(e2e.n8n.userFolder, '.n8n');
			expect(
				(await filesContaining(database, 'Wrong username or password')).map((file) =>
					path.basename(file),
				),
			).toEqual(expect.arrayContaining([expect.stringMatching(/^database\.sqlite/)]));
		});

		it('no password of any credential is stored in plain text anywhere in the user folder', async () => {
			expect(await filesContaining(e2e.n8n.userFolder, e2e.explicit.password)).toEqual([]);
			if (e2e.postgres)
				expect(await filesContaining(e2e.n8n.userFolder, e2e.postgres.password)).toEqual([]);
		});
	});

	if (subset !== 'full') return;

	describe('(b) two workflows sharing one credential', () => {
		it('both use the same stored credential: A writes a report, B downloads it and moves it to the archive A created', async () => {
			for (const file of ['shared-credential-upload.json', 'shared-credential-archive.json']) {
				const workflow = await workflowFile<{
					nodes: Array<{ type: string; credentials?: Record<string, { id: string }> }>;
				}>(file);
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
			expect(await fsp.readFile(onDisk(e2e.explicit, '/shared/report.txt'), 'utf8')).toBe(report);

			const b = await execute('e2eSharedCredB1');
			expect(outputOf(b.run!, 'List Shared').map((item) => item.json.name)).toEqual(['report.txt']);
			const [download] = outputOf(b.run!, 'Download Report');
			expect(await fsp.readFile(e2e.n8n.binaryFile(download.binary!.data.id!), 'utf8')).toBe(
				report,
			);
			expect(outputOf(b.run!, 'Move To Archive').map((item) => item.json)).toEqual([
				{ oldPath: '/shared/report.txt', newPath: '/shared/archive/report.txt' },
			]);
			await expect(fsp.stat(onDisk(e2e.explicit, '/shared/report.txt'))).rejects.toThrow();
			expect(await fsp.readFile(onDisk(e2e.explicit, '/shared/archive/report.txt'), 'utf8')).toBe(
				report,
			);
		});
	});

	describe('(d) continue on fail: one missing file among three', () => {
		it('two files are parsed into two rows; the missing one becomes one error item on the error output', async () => {
			await writeAsUser(e2e.explicit, '/daily/day-1.csv', 'day,total\n1,10\n');
			await writeAsUser(e2e.explicit, '/daily/day-3.csv', 'day,total\n3,30\n');
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
			const original = await fsp.readFile(path.join(e2e.explicit.anonymousRoot, 'readme.txt'));
			const [download] = outputOf(run!, 'Anonymous Download');
			expect(download.json).toEqual({ path: '/readme.txt', size: original.length });
			expect(outputOf(run!, 'Upload Over Implicit FTPS').map((item) => item.json)).toEqual([
				{ path: '/from-anonymous/readme.txt', size: original.length },
			]);
			expect(await sha256OfFile(onDisk(e2e.implicit, '/from-anonymous/readme.txt'))).toBe(
				sha256(original),
			);
		});
	});

	describe('FTP → Extract From File → PostgreSQL, and PostgreSQL → Convert to File → FTP', () => {
		it('imports the rows of every matching CSV file into PostgreSQL (verified with psql)', async () => {
			await writeAsUser(
				e2e.explicit,
				'/import/orders-2026-11-23.csv',
				'order_id,customer,amount\n2001,Ada Lovelace,12.50\n2002,Jürgen Groß,7\n',
			);
			await writeAsUser(
				e2e.explicit,
				'/import/orders-2026-11-24.csv',
				'order_id,customer,amount\n2003,"Hopper, Grace",99.99\n',
			);
			await writeAsUser(e2e.explicit, '/import/customers.csv', 'id,name\n1,not imported\n');
			const { run } = await execute('e2eCsvToPg00001');

			expect(outputOf(run!, 'Download').map((item) => item.json.path)).toEqual([
				'/import/orders-2026-11-23.csv',
				'/import/orders-2026-11-24.csv',
			]);
			expect(outputOf(run!, 'Insert Orders')).toHaveLength(3);
			expect(
				await e2e.postgres!.psql('SELECT order_id, customer, amount FROM orders ORDER BY order_id'),
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
				? await fsp.readFile(e2e.n8n.binaryFile(binary.id))
				: Buffer.from(binary.data!, 'base64');
			expect(outputOf(run!, 'Upload Export').map((item) => item.json)).toEqual([
				{ path: '/outbound/orders-export.csv', size: produced.length },
			]);
			const onServer = await fsp.readFile(onDisk(e2e.explicit, '/outbound/orders-export.csv'));
			expect(sha256(onServer)).toBe(sha256(produced));
			expect(onServer.toString('utf8').trim().split(/\r?\n/)).toEqual([
				'order_id,customer,amount',
				'2001,Ada Lovelace,12.50',
				'2002,Jürgen Groß,7.00',
				'2003,"Hopper, Grace",99.99',
			]);
		});
	});
}
