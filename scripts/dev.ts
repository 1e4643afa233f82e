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
 * Stopping: Ctrl-C, or SIGTERM/SIGHUP to this process, to the npm process that started it (the npm script `exec`s
 * node, so npm's forwarded signal reaches it) or to the whole process group (`kill -- -PGID`). If whatever started
 * it dies without a signal reaching it, it notices that it was orphaned and stops too: n8n and the embedded servers
 * never keep their ports after the command that started them is gone.
 *
 * Environment: N8N_DEV_PORT (default: a free port), N8N_DEV_USER_FOLDER (default .cache/n8n-dev).
 */
import { spawn, type ChildProcess } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
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

/** The processes below `root` (children first-level and deeper), read from /proc; none where there is no /proc. */
function descendantsOf(root: number): number[] {
	let parents: Array<[number, number]>;
	try {
		parents = readdirSync('/proc')
			.filter((name) => /^\d+$/.test(name))
			.map((name): [number, number] => {
				try {
					// Field 4 of /proc/PID/stat, after the command name in parentheses (which may hold spaces).
					const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
					return [Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])];
				} catch {
					return [Number(name), 0];
				}
			});
	} catch {
		return [];
	}
	const found: number[] = [];
	for (let layer = [root]; layer.length > 0 && found.length < 10_000; ) {
		layer = parents.filter(([, parent]) => layer.includes(parent)).map(([pid]) => pid);
		found.push(...layer);
	}
	return found;
}

function commandLineOf(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
	} catch {
		return 'npm'; // No /proc: nothing to tell.
	}
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch {
		// Already gone.
	}
}

/**
 * A killed parent (npm, or the shell of `npm run`) leaves this process running under init: poll for that, since Linux
 * tells a child nothing when its parent dies.
 */
function stopWhenOrphaned(stop: () => void): void {
	const parent = process.ppid;
	if (process.env.npm_lifecycle_event && !commandLineOf(parent).includes('npm')) {
		// `npm run dev` execs node after tsc: npm was killed before that, and this process started orphaned.
		print(`Started by npm run dev, but npm is gone (the parent is pid ${parent}).`);
		stop();
		return;
	}
	const watch = setInterval(() => {
		if (process.ppid !== parent) {
			clearInterval(watch);
			print(`The process that started npm run dev (pid ${parent}) is gone.`);
			stop();
		}
	}, 1000);
	watch.unref();
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
			// Stopped while preparing: the n8n install or `npm pack` it started must not run on without it.
			for (const pid of descendantsOf(process.pid)) signalQuietly(pid, 'SIGTERM');
			print('Stopped.');
		}
		process.exit(code);
	};
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
		process.on(signal, () => void stop(0));
	stopWhenOrphaned(() => void stop(0));

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
		print(
			`  the FTPS and SFTP servers; from another terminal: kill ${process.pid} (or the npm process, or its group).`,
		);
	} catch (error) {
		process.stderr.write(
			`\nnpm run dev failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		await stop(1);
	}
}

void main();
