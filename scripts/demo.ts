/**
 * `npm run demo`: the package inside a real n8n, in one command, with nothing but `npm ci` beforehand.
 *
 * 1. An embedded FTPS server (ftp-srv in this process, explicit TLS, a certificate generated for the run) on
 *    127.0.0.1 and a free port, with a partner's CSV drop in /inbound (examples/demo-data/), and an embedded SFTP
 *    server (ssh2 in this process, a host key generated for the run) on 127.0.0.1 and another free port.
 * 2. The pinned n8n, installed once into .cache/ by scripts/n8n-e2e.sh (about 6 min the first time), this package
 *    packed and installed into a fresh n8n user folder as users install it.
 * 3. The demo credentials (the SFTP one with the server's host key fingerprint pinned) and
 *    examples/ftps-csv-pickup-report-archive.json plus one SFTP step (the report also uploaded over SFTP) imported,
 *    the workflow executed headless (`n8n execute`), and a summary of its run data and of the servers' files printed.
 *
 * Exit 0 when the workflow succeeded; otherwise 1 with the failing node's explained error. The servers are stopped
 * and the temp folders removed in every case (also on Ctrl-C).
 * Fast variant without n8n (the node run in-process through n8n's execution context, tools/n8nHarness.ts):
 * `npm run demo:quick`.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { outputOf, type Execution, type N8n, type RunJson } from '../tools/n8n';
import type { TestFtpServer } from '../tools/ftpServer';
import type { TestSftpServer } from '../tools/sftpServer';
import {
	DEMO_SFTP_NODE,
	DEMO_WORKFLOW_ID,
	importDemo,
	prepareN8n,
	print,
	seconds,
	startDemoServer,
	startDemoSftpServer,
} from './demo/common';

async function listTree(root: string, folder = '/'): Promise<string[]> {
	const lines: string[] = [];
	const entries = await fsp
		.readdir(path.join(root, folder), { withFileTypes: true })
		.catch(() => []);
	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		const child = path.posix.join(folder, entry.name);
		if (entry.isDirectory()) lines.push(`${child}/`, ...(await listTree(root, child)));
		else lines.push(`${child}  (${(await fsp.stat(path.join(root, child))).size} bytes)`);
	}
	return lines;
}

/** The failing node and its explained error, from the run JSON (or n8n's own output when there is none). */
function explainFailure(execution: Execution): string {
	const run = execution.run;
	if (!run) {
		const tail = `${execution.stdout}\n${execution.stderr}`
			.trim()
			.split('\n')
			.slice(-30)
			.join('\n');
		return `n8n printed no run data (exit ${String(execution.code)}). Last lines of its output:\n${tail}`;
	}
	for (const [node, runs] of Object.entries(run.data.resultData.runData)) {
		const error = runs.find((r) => r.error)?.error;
		if (error)
			return `node "${node}" failed: ${error.message}${error.description ? `\n${error.description}` : ''}`;
	}
	const error = run.data.resultData.error;
	return error
		? `${error.message}${error.description ? `\n${error.description}` : ''}`
		: `the execution ended with status ${String(run.status)}`;
}

function summarise(run: RunJson, sftp: TestSftpServer): void {
	const listed = outputOf(run, 'List CSV Files');
	print(`\nListed /inbound with filter *.csv: ${listed.length} files`);
	for (const { json } of listed) print(`  ${String(json.path)}  ${String(json.size)} bytes`);

	const downloads = outputOf(run, 'Download');
	print(
		`Downloaded ${downloads.length} files into n8n's binary data (one connection for all items):`,
	);
	for (const { json, binary } of downloads) {
		print(
			`  ${String(json.path)} -> binary "data": ${binary?.data.fileName}, ${binary?.data.mimeType}, ${String(json.size)} bytes`,
		);
	}

	const rows = outputOf(run, 'Extract CSV');
	print(
		`Parsed by Extract From File (CSV): ${rows.length} rows; the first ${Math.min(3, rows.length)}:`,
	);
	for (const { json } of rows.slice(0, 3)) print(`  ${JSON.stringify(json)}`);

	const report = outputOf(run, 'Summarise per File');
	print('Summarised by a Code node, turned into a CSV file by Convert to File:');
	for (const { json } of report)
		print(`  ${String(json.file)}: ${String(json.rows)} rows, amount ${String(json.total_amount)}`);

	const [uploaded] = outputOf(run, 'Upload Report');
	print(`Uploaded the report: ${String(uploaded.json.path)} (${String(uploaded.json.size)} bytes)`);

	const [delivered] = outputOf(run, DEMO_SFTP_NODE);
	print(
		`SFTP step "${DEMO_SFTP_NODE}": the same report uploaded to the SFTP server: ${String(delivered.json.path)} ` +
			`(${String(delivered.json.size)} bytes)`,
	);
	const sftpLog = delivered.json.connectionLog;
	if (Array.isArray(sftpLog)) {
		const hostKeyLines = sftpLog.map(String).filter((line) => /host key|KEX|cipher/i.test(line));
		print(`  host key pinned (credential: ${sftp.hostKeyFingerprint}); from its connection log:`);
		for (const line of hostKeyLines.slice(0, 6)) print(`    ${line}`);
	}

	const archived = outputOf(run, 'Archive');
	print('Archived (Rename or Move, folder created on the way):');
	for (const { json } of archived) print(`  ${String(json.oldPath)} -> ${String(json.newPath)}`);

	const log = listed[0]?.json.connectionLog;
	if (Array.isArray(log)) {
		print(
			`\nConnection log of "List CSV Files" (Include Connection Log is on; ${log.length} lines, the first 10):`,
		);
		for (const line of log.slice(0, 10)) print(`  ${String(line)}`);
	}
}

async function main(): Promise<number> {
	const started = Date.now();
	let server: TestFtpServer | undefined;
	let sftp: TestSftpServer | undefined;
	let n8n: N8n | undefined;
	const cleanup = async (): Promise<void> => {
		await Promise.allSettled([server?.close(), sftp?.close(), n8n?.remove()]);
	};
	const interrupted = (): void => {
		print('\nInterrupted: stopping the FTPS and SFTP servers and removing the temp folders …');
		void cleanup().finally(() => process.exit(130));
	};
	process.once('SIGINT', interrupted);
	process.once('SIGTERM', interrupted);

	try {
		server = await startDemoServer();
		print(
			`Embedded FTPS server (ftp-srv, explicit TLS, certificate generated for this run) on ${server.host}:${server.port}`,
		);
		print(
			`  /inbound holds: ${(await fsp.readdir(path.join(server.root, 'inbound'))).sort().join(', ')}`,
		);
		sftp = await startDemoSftpServer();
		print(
			`Embedded SFTP server (ssh2, host key generated for this run: ${sftp.hostKeyType} ${sftp.hostKeyFingerprint}) on ${sftp.host}:${sftp.port}`,
		);

		n8n = await prepareN8n();
		await importDemo(n8n, server, sftp);

		print(`Executing the workflow headless: n8n execute --id=${DEMO_WORKFLOW_ID} …`);
		const execution = await n8n.execute(DEMO_WORKFLOW_ID);
		if (execution.code !== 0 || !execution.run || execution.run.data.resultData.error) {
			print(
				`\nThe demo workflow FAILED after ${seconds(execution.ms)}: ${explainFailure(execution)}`,
			);
			return 1;
		}
		print(`  succeeded in ${seconds(execution.ms)}`);
		summarise(execution.run, sftp);

		print('\nThe FTPS server now holds:');
		for (const line of await listTree(server.root)) print(`  ${line}`);
		const outbound = await fsp.readdir(path.join(server.root, 'outbound'));
		for (const name of outbound) {
			print(`\n/outbound/${name}:`);
			print(
				(await fsp.readFile(path.join(server.root, 'outbound', name), 'utf8'))
					.replace(/^\uFEFF/, '')
					.trimEnd()
					.replace(/^/gm, '  '),
			);
		}
		print('\nThe SFTP server now holds:');
		for (const line of await listTree(sftp.root)) print(`  ${line}`);
		for (const name of await fsp.readdir(path.join(sftp.root, 'reports')).catch(() => [])) {
			const same = outbound.includes(name)
				? (await fsp.readFile(path.join(sftp.root, 'reports', name))).equals(
						await fsp.readFile(path.join(server.root, 'outbound', name)),
					)
				: false;
			print(
				`  /reports/${name}: ${same ? `the same bytes as the FTPS server's /outbound/${name}` : 'DIFFERS from the FTPS copy'}`,
			);
		}
		print(
			`\nDone in ${seconds(Date.now() - started)}. Open the same workflow in n8n's editor: npm run dev`,
		);
		return 0;
	} finally {
		await cleanup();
	}
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		process.stderr.write(
			`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exit(1);
	},
);
