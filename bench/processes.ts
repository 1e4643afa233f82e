/**
 * Processes the bench starts: curl, lftp, n8n (each n8n process is measured: wall time, peak RSS, RSS samples), and
 * the small tools around them (sync, sha256sum, chown). Whatever is still running when the runner stops is killed.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { createReadStream, promises as fsp, readFileSync, statSync } from 'fs';

import { FTP_USER, MiB } from './config';

export interface Finished {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
	/** Peak resident set size (VmHWM of the process itself, polled from /proc), KiB. */
	peakRssKiB: number;
	/** VmRSS samples of the process: [Date.now(), KiB]. */
	rssSamples: Array<[number, number]>;
	pid: number;
	/** Date.now() when the process had ended. */
	endedAt: number;
}

const children = new Set<number>();

/** Stops what is still running if the runner is interrupted (bench/run.sh then stops vsftpd). */
export function killChildren(): void {
	for (const pid of children) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		killChildren();
		process.exit(130);
	});
}

function readMemoryKiB(pid: number): { hwm: number; rss: number } | undefined {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
		const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
		return hwm && rss ? { hwm: Number(hwm[1]), rss: Number(rss[1]) } : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Runs a command; stdout goes to a file when `stdoutFile` is given (n8n's run JSON can be megabytes).
 * The peak RSS is the last VmHWM read from /proc/<pid>/status, polled every 20 ms: VmHWM only grows, and the
 * n8n process is the spawned pid itself (scripts/n8n-e2e.sh execs n8n).
 */
export function runCommand(
	command: string,
	args: string[],
	options: { env?: NodeJS.ProcessEnv; cwd?: string; stdoutFile?: string; timeoutMs?: number } = {},
): Promise<Finished> {
	return new Promise((resolve, reject) => {
		const started = process.hrtime.bigint();
		const child = spawn(command, args, {
			env: options.env ?? process.env,
			cwd: options.cwd,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		if (child.pid === undefined) {
			reject(new Error(`could not start ${command}`));
			return;
		}
		const pid = child.pid;
		children.add(pid);
		let stdout = '';
		let stderr = '';
		const chunks: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => {
			if (options.stdoutFile) chunks.push(chunk);
			else stdout += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
		});
		let peak = 0;
		const rssSamples: Array<[number, number]> = [];
		const poll = setInterval(() => {
			const memory = readMemoryKiB(pid);
			if (!memory) return;
			peak = Math.max(peak, memory.hwm);
			rssSamples.push([Date.now(), memory.rss]);
		}, 20);
		const timer = setTimeout(
			() => {
				stderr += `\n[bench: killed after ${options.timeoutMs} ms]`;
				child.kill('SIGKILL');
			},
			options.timeoutMs ?? 15 * 60_000,
		);
		child.on('error', (error) => {
			clearInterval(poll);
			clearTimeout(timer);
			children.delete(pid);
			reject(error);
		});
		child.on('close', async (code, signal) => {
			clearInterval(poll);
			clearTimeout(timer);
			children.delete(pid);
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			if (options.stdoutFile) {
				const buffer = Buffer.concat(chunks);
				await fsp.writeFile(options.stdoutFile, buffer);
				stdout = buffer.toString();
			}
			resolve({
				code,
				signal,
				stdout,
				stderr,
				ms,
				peakRssKiB: peak,
				rssSamples,
				pid,
				endedAt: Date.now(),
			});
		});
	});
}

export async function runOrThrow(
	command: string,
	args: string[],
	what: string,
	env?: NodeJS.ProcessEnv,
): Promise<Finished> {
	const result = await runCommand(command, args, { env });
	if (result.code !== 0) {
		throw new Error(
			`${what} failed (exit ${result.code ?? result.signal}, ${Math.round(result.ms)} ms)\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
		);
	}
	return result;
}

/** Flushes dirty pages of the previous transfer, so that its writeback does not slow down the next one. */
export async function sync(): Promise<void> {
	await runOrThrow('sync', [], 'sync');
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function sha256File(file: string): Promise<string> {
	if (statSync(file).size > 64 * MiB) {
		// coreutils is several times faster than a JS loop for 1 GiB.
		const result = await runOrThrow('sha256sum', [file], `sha256sum ${file}`);
		return result.stdout.split(' ')[0];
	}
	return await new Promise((resolve, reject) => {
		const hash = createHash('sha256');
		createReadStream(file)
			.on('data', (chunk) => hash.update(chunk))
			.on('error', reject)
			.on('end', () => resolve(hash.digest('hex')));
	});
}

export function sha256(buffer: Buffer): string {
	return createHash('sha256').update(buffer).digest('hex');
}

export async function chownToFtpUser(target: string): Promise<void> {
	await runOrThrow('chown', ['-R', `${FTP_USER}:${FTP_USER}`, target], `chown ${target}`);
}

export async function emptyFolder(folder: string): Promise<void> {
	await fsp.rm(folder, { recursive: true, force: true });
	await fsp.mkdir(folder, { recursive: true });
}
