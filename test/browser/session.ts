/**
 * What the editor test runs against: the demo's embedded FTPS and SFTP servers, a real n8n (`n8n start`, the version
 * N8N_E2E_VERSION names, 2.41.1 unless set) with the packed package, the demo workflow and its credentials imported,
 * and Debian's Chromium driven by playwright-core. Everything listens on 127.0.0.1 and free ports; everything is
 * stopped by the process this file started.
 */
import { spawn, type ChildProcess } from 'child_process';
import { createWriteStream, promises as fsp } from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';

import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';

import { freePort, type N8n } from '../../tools/n8n';
import type { TestFtpServer } from '../../tools/ftpServer';
import type { TestSftpServer } from '../../tools/sftpServer';
import {
	importDemo,
	prepareN8n,
	startDemoServer,
	startDemoSftpServer,
} from '../../scripts/demo/common';

/** The newest n8n that installs from the registry reachable here: what new users get. */
export const BROWSER_N8N_VERSION = '2.41.1';
/** Debian's package (scripts/browser.sh installs it); never Playwright's own download. */
const CHROMIUM = process.env.BROWSER_EXECUTABLE ?? '/usr/bin/chromium';
/** n8n's start on a busy 2-core machine: migrations on a new user folder, then the editor and the REST API. */
const N8N_READY_TIMEOUT_MS = 180_000;
const N8N_STOP_TIMEOUT_MS = 20_000;

/**
 * As root Chromium needs --no-sandbox. The rest keeps it from calling Google's hosts (component updates, sync,
 * field trials, QUIC probes): nothing but 127.0.0.1 is reachable, and nothing else may be contacted.
 */
const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-default-apps',
	'--no-default-browser-check',
	'--metrics-recording-only',
];

export interface EditorSession {
	/** http://127.0.0.1:PORT */
	url: string;
	n8n: N8n;
	ftps: TestFtpServer;
	sftp: TestSftpServer;
	page: Page;
	/** Requests the browser tried to send anywhere but 127.0.0.1 (aborted). */
	blockedRequests: string[];
	/** n8n's stdout and stderr. */
	n8nLog: string;
	stop(): Promise<void>;
}

function get(url: string): Promise<number> {
	return new Promise((resolve) => {
		const request = http.get(url, (response) => {
			response.resume();
			resolve(response.statusCode ?? 0);
		});
		request.setTimeout(5000, () => request.destroy());
		request.once('error', () => resolve(0));
	});
}

/**
 * Until the REST API (its settings are the first thing the editor loads) and the editor's page both answer, or n8n
 * exits. n8n mounts the REST API some seconds before the editor: "Cannot GET /" meanwhile.
 */
async function waitForEditor(url: string, n8n: ChildProcess, log: string): Promise<void> {
	const deadline = Date.now() + N8N_READY_TIMEOUT_MS;
	while ((await get(`${url}/rest/settings`)) !== 200 || (await get(`${url}/`)) !== 200) {
		if (n8n.exitCode !== null || n8n.signalCode !== null)
			throw new Error(`n8n exited before its editor was ready; its output is in ${log}`);
		if (Date.now() > deadline)
			throw new Error(
				`n8n's editor did not answer on ${url} within ${N8N_READY_TIMEOUT_MS / 1000} s; see ${log}`,
			);
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

/** SIGTERM to n8n's process group (n8n and its task runner), SIGKILL when it outlives the timeout. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	process.kill(-child.pid, 'SIGTERM');
	const timer = setTimeout(() => {
		if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
	}, N8N_STOP_TIMEOUT_MS);
	await exited;
	clearTimeout(timer);
}

/** Starts the servers, n8n and the browser; `logFolder` receives n8n's output (n8n.log). */
export async function startEditorSession(logFolder: string): Promise<EditorSession> {
	process.env.N8N_E2E_VERSION ??= BROWSER_N8N_VERSION;
	const cleanups: Array<() => Promise<unknown>> = [];
	const stop = async (): Promise<void> => {
		for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
		cleanups.length = 0;
	};
	const launch = async (): Promise<EditorSession> => {
		const ftps = await startDemoServer();
		cleanups.push(() => ftps.close());
		const sftp = await startDemoSftpServer();
		cleanups.push(() => sftp.close());
		const n8n = await prepareN8n();
		cleanups.push(() => n8n.remove());
		await importDemo(n8n, ftps, sftp);

		const port = await freePort();
		const url = `http://127.0.0.1:${port}`;
		const n8nStart = await n8n.invocation(['start'], {
			N8N_PORT: String(port),
			N8N_HOST: '127.0.0.1',
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: url,
			// Plain http on loopback: otherwise the browser gets n8n's "secure cookie" page instead of the setup form.
			N8N_SECURE_COOKIE: 'false',
		});
		const n8nLog = path.join(logFolder, 'n8n.log');
		const log = createWriteStream(n8nLog);
		const child = spawn(n8nStart.command, n8nStart.args, {
			cwd: n8nStart.cwd,
			env: n8nStart.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			// Its own process group, so that stopping it also stops the task runner it starts.
			detached: true,
		});
		child.stdout!.pipe(log, { end: false });
		child.stderr!.pipe(log, { end: false });
		cleanups.push(async () => {
			await stopProcessGroup(child);
			await new Promise((resolve) => log.end(resolve));
		});
		await waitForEditor(url, child, n8nLog);
		const loaded = await fsp.readFile(n8nLog, 'utf8');
		if (loaded.includes('Failed to load package "n8n-nodes-ftp-automation"'))
			throw new Error(`n8n did not load the packed package; its output is in ${n8nLog}`);

		const profile = await fsp.mkdtemp(path.join(os.tmpdir(), 'n8n-browser-profile-'));
		cleanups.push(() => fsp.rm(profile, { recursive: true, force: true }));
		selectors.setTestIdAttribute('data-test-id');
		const context: BrowserContext = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1600, height: 1000 },
			timeout: 60_000,
		});
		cleanups.push(() => context.close());
		const blockedRequests: string[] = [];
		await context.route('**/*', async (route) => {
			const target = new URL(route.request().url());
			if (target.hostname === '127.0.0.1') return await route.continue();
			blockedRequests.push(target.href);
			return await route.abort('blockedbyclient');
		});
		const page = context.pages()[0] ?? (await context.newPage());
		page.setDefaultTimeout(20_000);
		page.setDefaultNavigationTimeout(60_000);
		// n8n asks before leaving a workflow with unsaved changes; the test never keeps them.
		page.on('dialog', (dialog) => void dialog.accept());

		return { url, n8n, ftps, sftp, page, blockedRequests, n8nLog, stop };
	};
	return await launch().catch(async (error: unknown) => {
		await stop();
		return await Promise.reject(error);
	});
}
