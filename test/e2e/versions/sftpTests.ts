/**
 * The SFTP workflows of the e2e suite: the package's SFTP protocol inside a real n8n against the in-process SFTP server
 * (../sftp.ts), with the host key pinned. List → download → Extract and the trigger (loaded and activated) run on every
 * tested n8n version; the upload only where the whole suite runs (see ./profiles.ts).
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import { outputOf } from '../../../tools/n8n';
import { runActivated, SFTP_CREDENTIAL } from '../sftp';
import {
	e2e,
	execute,
	expectStoredDownloads,
	filesContaining,
	sha256,
	sha256OfFile,
	workflowFile,
} from './suite';
import type { Subset } from './profiles';

export function registerSftpTests(subset: Subset): void {
	describe('SFTP (protocol "sftp", credential sftpAutomationApi with the host key pinned)', () => {
		/** A file on the SFTP server's disk (the folder it serves as "/"). */
		const onSftpDisk = (remote: string) => path.join(e2e.sftp.root, ...remote.split('/'));
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
				const workflow = await workflowFile<{
					nodes: Array<{
						type: string;
						parameters: Record<string, unknown>;
						credentials?: Record<string, { id: string }>;
					}>;
				}>(file);
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
			expect(await filesContaining(e2e.n8n.userFolder, e2e.sftp.password)).toEqual([]);
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
			const before = e2e.sftp.connections;
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
			expect(log).toContain(e2e.sftp.hostKeyFingerprint);
			expect(log).not.toContain(e2e.sftp.password);

			const downloads = outputOf(run!, 'Download');
			expect(downloads).toHaveLength(2);
			await expectStoredDownloads(downloads, files);

			// An SFTP listing comes in the server's directory order (OpenSSH's too), not sorted as vsftpd's LIST.
			const rows = outputOf(run!, 'Extract CSV').map((item) => item.json);
			expect(rows.sort((x, y) => String(x.order_id).localeCompare(String(y.order_id)))).toEqual([
				{ order_id: '3001', customer: 'Zoë Berger', amount: '120.50' },
				{ order_id: '3002', customer: '東京商事', amount: '240.00' },
				{ order_id: '3003', customer: 'Hopper, Grace', amount: '99.99' },
			]);
			// n8n reached the in-process server on 127.0.0.1 (List and Download: one connection each).
			expect(e2e.sftp.connections - before).toBeGreaterThanOrEqual(2);
		});

		it(
			'(3) the trigger workflow loads; activated, its first poll emits the file with its bytes and moves it',
			async () => {
				// Loads: n8n resolves the trigger's type, parameters and credential type when it loads the workflow.
				const loaded = await execute('e2eSftpTrigger01');
				expect(outputOf(loaded.run!, 'Done')).toHaveLength(1);
				// n8n execute runs in mode cli, where a polling node is not polled (see test/e2e/sftp.ts).
				expect(loaded.run!.data.resultData.runData['New SFTP File']).toBeUndefined();

				const content = 'order_id,customer,amount\n4001,Trigger Test,1.00\n';
				await writeOnSftp('/drop/orders-trigger.csv', content);
				await writeOnSftp('/drop/ignored.txt', 'not matched by *.csv\n');
				const activated = await runActivated(e2e.n8n, 'e2eSftpTrigger01');
				e2e.timings['publish + n8n start → trigger execution e2eSftpTrigger01'] =
					activated.untilExecutionMs;
				e2e.timings['stopping n8n start'] = activated.stopMs;

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
				expect(await sha256OfFile(e2e.n8n.binaryFile(binary.id!))).toBe(sha256(content));
				expect(outputOf(execution.run, 'Received')).toHaveLength(1);
				// After Download: Move the File.
				await expect(fsp.stat(onSftpDisk('/drop/orders-trigger.csv'))).rejects.toThrow();
				expect(await fsp.readFile(onSftpDisk('/drop/done/orders-trigger.csv'), 'utf8')).toBe(
					content,
				);
				expect(await fsp.readFile(onSftpDisk('/drop/ignored.txt'), 'utf8')).toBe(
					'not matched by *.csv\n',
				);
			},
			10 * 60_000,
		);

		it('(4) the SFTP password is stored nowhere in plain text after the runs', async () => {
			expect(await filesContaining(e2e.n8n.userFolder, e2e.sftp.password)).toEqual([]);
		});

		if (subset === 'full') {
			it('(2) uploads binary data read from disk; the files on the server have the same SHA-256, no temporary file left', async () => {
				const outbound = path.join(e2e.filesDir, 'sftp-outbound');
				await fsp.mkdir(outbound);
				const local: Record<string, Buffer> = {
					'payload.bin': randomBytes(3 * 1024 * 1024 + 5),
					'Bericht März.csv': Buffer.from('tag,summe\n2026-11-24,42\n'),
					'empty.txt': Buffer.alloc(0),
				};
				for (const [name, content] of Object.entries(local))
					await fsp.writeFile(path.join(outbound, name), content);
				const year = String(new Date().getUTCFullYear());
				e2e.sftp.requests.length = 0;

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
				expect(e2e.sftp.requests.some((request) => request.op === 'posix-rename@openssh.com')).toBe(
					true,
				);
			});
		}
	});
}
