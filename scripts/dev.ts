/**
 * `npm run dev`: the demo's embedded FTPS and SFTP servers, credentials and workflow, plus n8n's editor with this package
 * loaded, so the workflow can be opened and run in a browser. Ctrl-C stops n8n and the servers.
 *
 * Like `n8n-node dev` (@n8n/node-cli): n8n runs as a child process with its own user folder that is kept across runs
 * (here `.cache/n8n-dev`, gitignored; `n8n-node dev` uses ~/.n8n-node-cli), so the owner account created on the first
 * visit stays; `DB_SQLITE_POOL_SIZE=10` as there. Unlike it: the pinned n8n from scripts/n8n-e2e.sh instead of
 * `npx n8n@latest` (which needs Node 22), and the package packed and installed into `.n8n/nodes` at every start
 * instead of a symbolic link into `.n8n/custom`, so node types are `n8n-nodes-ftp-automation.ftpAutomation` as in
 * examples/ and in users' installs (a link would make them `CUSTOM.ftpAutomation` and load the repository's own
 * n8n-workflow). No rebuild on save: stop and start again to load changes.
 *
 * Environment: N8N_DEV_PORT (default: a free port), N8N_DEV_USER_FOLDER (default .cache/n8n-dev).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as http from 'http';
import * as path from 'path';

import { freePort, type N8n } from '../tools/n8n';
import type { TestFtpServer } from '../tools/ftpServer';
import type { TestSftpServer } from '../tools/sftpServer';
import {
	DEMO_SFTP_CREDENTIAL_NAME,
	DEMO_WORKFLOW_ID,
	REPO,
	importDemo,
	prepareN8n,
	print,
	startDemoServer,
	startDemoSftpServer,
} from './demo/common';

function healthy(url: string): Promise<boolean> {
	return new Promise((resolve) => {
		const request = http.get(`${url}/healthz`, (response) => {
			response.resume();
			resolve(response.statusCode === 200);
		});
		request.setTimeout(2000, () => request.destroy());
		request.once('error', () => resolve(false));
	});
}

async function main(): Promise<void> {
	let server: TestFtpServer | undefined;
	let sftp: TestSftpServer | undefined;
	let child: ChildProcess | undefined;
	let stopping = false;
	const stop = async (code: number): Promise<never> => {
		if (!stopping) {
			stopping = true;
			print('\nStopping n8n and the FTPS and SFTP servers …');
			if (child && child.exitCode === null && child.signalCode === null) {
				const exited = new Promise((resolve) => child!.once('exit', resolve));
				child.kill('SIGTERM');
				const timeout = setTimeout(() => child?.kill('SIGKILL'), 20_000);
				await exited;
				clearTimeout(timeout);
			}
			await Promise.allSettled([server?.close(), sftp?.close()]);
			print('Stopped.');
		}
		process.exit(code);
	};
	process.on('SIGINT', () => void stop(0));
	process.on('SIGTERM', () => void stop(0));

	try {
		server = await startDemoServer();
		print(
			`Embedded FTPS server (ftp-srv, explicit TLS, certificate generated for this run) on ${server.host}:${server.port}`,
		);
		sftp = await startDemoSftpServer();
		print(
			`Embedded SFTP server (ssh2, host key generated for this run: ${sftp.hostKeyType} ${sftp.hostKeyFingerprint}) on ${sftp.host}:${sftp.port}`,
		);
		const userFolder = path.resolve(
			process.env.N8N_DEV_USER_FOLDER ?? path.join(REPO, '.cache', 'n8n-dev'),
		);
		const n8n: N8n = await prepareN8n({ userFolder });
		await importDemo(n8n, server, sftp);

		const port = Number(process.env.N8N_DEV_PORT) || (await freePort());
		const url = `http://127.0.0.1:${port}`;
		print(`Starting n8n's editor (n8n start) on ${url} …`);
		const start = await n8n.invocation(['start'], {
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PORT: String(port),
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: url,
			// Plain http on loopback: without this the browser gets n8n's "secure cookie" warning instead of a login.
			N8N_SECURE_COOKIE: 'false',
			DB_SQLITE_POOL_SIZE: '10',
		});
		child = spawn(start.command, start.args, {
			cwd: start.cwd,
			env: start.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		// /healthz answers before the editor and the REST API are mounted: like `n8n-node dev`, wait for n8n's own line.
		let editorReady = false;
		const prefix = (line: string): string => `  n8n | ${line}`;
		for (const stream of [child.stdout!, child.stderr!]) {
			let rest = '';
			stream.setEncoding('utf8');
			stream.on('data', (chunk: string) => {
				const lines = (rest + chunk).split('\n');
				rest = lines.pop() ?? '';
				for (const line of lines) {
					if (line.includes('Editor is now accessible')) editorReady = true;
					if (line.trim()) print(prefix(line));
				}
			});
		}
		child.once('exit', (code, signal) => {
			if (!stopping) {
				print(`n8n exited (${signal ?? `code ${String(code)}`}).`);
				void stop(code === 0 ? 0 : 1);
			}
		});

		const deadline = Date.now() + 120_000;
		while (!editorReady || !(await healthy(url))) {
			if (stopping) return;
			if (Date.now() > deadline)
				throw new Error(`n8n's editor was not ready on ${url} within 120 s`);
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
		print('');
		print(`n8n is ready: ${url}`);
		print(
			`  Open ${url}/workflow/${DEMO_WORKFLOW_ID} (the first visit asks you to create the owner account; it is`,
		);
		print(`  kept in ${n8n.userFolder}), then "Execute workflow".`);
		print(`  Credential "Demo FTPS (embedded server)" points at 127.0.0.1:${server.port};`);
		print(
			`  credential "${DEMO_SFTP_CREDENTIAL_NAME}" at 127.0.0.1:${sftp.port}, pinned to this run's host key.`,
		);
		print(
			'  The demo workflow is re-imported at every start (save your own changes as a copy). Ctrl-C stops n8n and',
		);
		print('  the FTPS and SFTP servers.');
	} catch (error) {
		process.stderr.write(
			`\nnpm run dev failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		await stop(1);
	}
}

void main();
