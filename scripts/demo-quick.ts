/**
 * `npm run demo:quick`: the node's main job against an embedded FTPS server in a few seconds, without installing
 * n8n: the node runs in-process through n8n-core's execution context (tools/n8nHarness.ts, the harness the
 * integration tests use). The full demo in a real n8n: `npm run demo`.
 *
 * Starts an in-process server with explicit TLS (self-signed certificate, trusted through the credential's
 * CA Certificate field) and a partner's CSV drop in /inbound, then runs the FTP Automation node through
 * n8n's own execution context, as a workflow would: test the credential, list *.csv, download each file,
 * upload a summary report, archive the originals, and show the result. One SFTP step next to them: the report is
 * also delivered to an embedded SFTP server (tools/sftpServer.ts), with the credential's Host Key Fingerprint set
 * to the server's (Accept Any Host Key stays off).
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions } from 'n8n-workflow';

import { ftpAutomationApiTest, sftpAutomationApiTest } from '../nodes/FtpAutomation/methods';
import { startFtpServer } from '../tools/ftpServer';
import { runFtpNode } from '../tools/ftpNode';
import { cleanupBinaryData, initBinaryData, readBinary } from '../tools/n8nHarness';
import { demoCredential, demoSftpCredential, print, startDemoSftpServer } from './demo/common';

const SAMPLE_FILES: Record<string, string> = {
	'orders-2026-11-23.csv':
		'order_id,customer,amount\n1001,Zoë Berger,120.50\n1002,Åsa Lind,89.90\n',
	'orders-2026-11-24.csv':
		'order_id,customer,amount\n1003,Jean Dupont,15.00\n1004,東京商事,240.00\n1005,Ana Silva,42.10\n',
	'readme.txt': 'Not a CSV: the filter leaves it alone.\n',
};

async function main(): Promise<void> {
	await initBinaryData();
	const server = await startFtpServer({ security: 'explicit' });
	const sftp = await startDemoSftpServer().catch(async (error: unknown) => {
		await server.close();
		throw error;
	});
	try {
		await fsp.mkdir(path.join(server.root, 'inbound'), { recursive: true });
		for (const [name, content] of Object.entries(SAMPLE_FILES))
			await fsp.writeFile(path.join(server.root, 'inbound', name), content);
		// The credential of `npm run demo`: explicit FTPS, the server's self-signed certificate as CA Certificate.
		const credentials = demoCredential(server).data as ICredentialDataDecryptedObject;

		print(
			`Embedded FTPS server (explicit TLS) on ${server.host}:${server.port}, user "${server.username}"`,
		);
		const test = await ftpAutomationApiTest.call({} as ICredentialTestFunctions, {
			id: 'demo',
			name: 'Demo FTPS',
			type: 'ftpAutomationApi',
			data: credentials,
		});
		print(`Credential test: ${test.status} - ${test.message}`);

		const listed = await runFtpNode(credentials, {
			operation: 'list',
			path: '/inbound',
			options: { filter: '*.csv', include: 'files' },
		});
		print(`\nList /inbound (filter *.csv): ${listed.length} files`);
		for (const { json } of listed)
			print(`  ${json.path}  ${json.size} bytes  modified ${json.modifiedAt}`);

		const downloads = await runFtpNode(
			credentials,
			{ operation: 'download', path: '={{ $json.path }}' },
			{ items: listed },
		);
		let rows = 0;
		print('\nDownload (one connection for all items, streamed into n8n binary data):');
		for (const { json, binary } of downloads) {
			const text = (await readBinary(binary!.data)).toString('utf8');
			const lines = text.trim().split('\n');
			rows += lines.length - 1;
			print(
				`  ${json.path}: ${binary!.data.fileName}, ${binary!.data.mimeType}, ${json.size} bytes, ${lines.length - 1} rows; first row: ${lines[1]}`,
			);
		}

		const report = `files,rows\n${downloads.length},${rows}\n`;
		const [uploaded] = await runFtpNode(credentials, {
			operation: 'upload',
			path: '/outbound/2026-11-24/summary.csv',
			binaryData: false,
			fileContent: report,
		});
		print(
			`\nUpload: ${uploaded.json.path} (${uploaded.json.size} bytes; folders created on the way)`,
		);

		// The SFTP step: the same report delivered to a partner's SFTP server, its host key pinned in the credential.
		const sftpCredentials = demoSftpCredential(sftp).data as ICredentialDataDecryptedObject;
		print(
			`\nEmbedded SFTP server on ${sftp.host}:${sftp.port}, user "${sftp.username}", host key ${sftp.hostKeyType} ${sftp.hostKeyFingerprint}`,
		);
		const sftpTest = await sftpAutomationApiTest.call({} as ICredentialTestFunctions, {
			id: 'demo-sftp',
			name: 'Demo SFTP',
			type: 'sftpAutomationApi',
			data: sftpCredentials,
		});
		print(
			`SFTP credential test (Host Key Fingerprint pinned): ${sftpTest.status} - ${sftpTest.message}`,
		);
		const [delivered] = await runFtpNode(sftpCredentials, {
			protocol: 'sftp',
			operation: 'upload',
			path: '/reports/2026-11-24/summary.csv',
			binaryData: false,
			fileContent: report,
			options: { createDirectories: true },
		});
		const onSftpDisk = await fsp.readFile(
			path.join(sftp.root, 'reports', '2026-11-24', 'summary.csv'),
			'utf8',
		);
		print(
			`SFTP Upload: ${delivered.json.path} (${delivered.json.size} bytes; on the SFTP server's disk: ${onSftpDisk === report ? 'identical' : 'DIFFERENT'})`,
		);

		const archived = await runFtpNode(
			credentials,
			{
				operation: 'rename',
				oldPath: '={{ $json.path }}',
				newPath: '={{ "/archive/" + $json.name }}',
				options: { createDirectories: true },
			},
			{ items: listed },
		);
		print(
			`Rename/Move: ${archived.map(({ json }) => `${json.oldPath} -> ${json.newPath}`).join(', ')}`,
		);

		const failed = await runFtpNode(
			credentials,
			{ operation: 'download', path: '/inbound/orders-2026-11-23.csv' },
			{ continueOnFail: true },
		);
		print(
			`\nAnd when something goes wrong (the file was archived above):\n  ${String(failed[0].json.error)}`,
		);

		const tree = await runFtpNode(credentials, {
			operation: 'list',
			path: '/',
			options: { recursive: true },
		});
		print('\nThe server now holds:');
		for (const { json } of tree) print(`  ${json.type === 'directory' ? 'd' : '-'} ${json.path}`);
	} finally {
		await Promise.allSettled([server.close(), sftp.close()]);
		await cleanupBinaryData();
	}
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(
			`Demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exit(1);
	},
);
