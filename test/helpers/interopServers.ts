/**
 * Starts the real FTP servers of `scripts/ftp-servers.sh` (vsftpd, ProFTPD, pure-ftpd on 127.0.0.1) for the
 * interop suite and describes them as typed objects. Needs root on Debian 12; see test/interop/README.md.
 *
 * A server that cannot be installed or started is an error (with the script's output), never a skip.
 */
import { execFile } from 'child_process';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '../../scripts/ftp-servers.sh');

/** install: apt-get only when something is missing (~4 s, <1 s when done); start: ~2 s, 20 s per server at most. */
const SCRIPT_TIMEOUT_MS = 100_000;

export type InteropServerName =
	| 'vsftpd-explicit'
	| 'vsftpd-implicit'
	| 'proftpd-explicit'
	| 'proftpd-implicit'
	| 'pure-ftpd-explicit';

export interface InteropServer {
	name: InteropServerName;
	server: 'vsftpd' | 'proftpd' | 'pure-ftpd';
	host: string;
	port: number;
	/** The TLS mode of this port. */
	security: 'explicit' | 'implicit';
	/** Whether a client may stay in plain FTP on this port (explicit instances). */
	tlsAllowsPlain: boolean;
	username: string;
	password: string;
	/** The folder on disk that the test user sees as `/` (chrooted). */
	root: string;
	/** The folder on disk that anonymous users see as `/`; read-only for them, holds `readme.txt`. */
	anonymousRoot: string;
	pid: number;
	/** Path of the self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1). */
	caCertificateFile: string;
	/** Its PEM text, as a user would paste it into the credential. */
	caCertificate: string;
	/** Owner of `root` (the test user), for files that tests put there directly. */
	uid: number;
	gid: number;
}

export interface InteropServers {
	/** The run's folder (configs, logs, certificate, roots). */
	dir: string;
	servers: InteropServer[];
	stop(): Promise<void>;
}

interface ScriptResult {
	code: number | string | null;
	stdout: string;
	stderr: string;
}

/** Only what the script needs: no tokens, keys or other secrets of the calling environment. */
function scriptEnvironment(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		LANG: 'C.UTF-8',
		DEBIAN_FRONTEND: 'noninteractive',
	};
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('FTP_INTEROP_')) env[key] = value;
	}
	return env;
}

function runScript(args: string[]): Promise<ScriptResult> {
	return new Promise((resolve) => {
		execFile(
			'bash',
			[SCRIPT, ...args],
			{ env: scriptEnvironment(), timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
			(error, stdout, stderr) => {
				const code = error ? ((error as NodeJS.ErrnoException & { code?: number | string }).code ?? error.signal ?? 'error') : 0;
				resolve({ code: code as ScriptResult['code'], stdout: String(stdout), stderr: String(stderr) });
			},
		);
	});
}

async function runScriptOrThrow(args: string[]): Promise<ScriptResult> {
	const result = await runScript(args);
	if (result.code !== 0) {
		throw new Error(
			`scripts/ftp-servers.sh ${args.join(' ')} failed (exit ${String(result.code)})\n` +
				`--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
		);
	}
	return result;
}

function parseServers(json: string, source: string): Array<Omit<InteropServer, 'caCertificate' | 'uid' | 'gid' | 'caCertificateFile'> & { caCertificate: string }> {
	const rows: unknown = JSON.parse(json);
	if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${source} lists no servers:\n${json}`);
	return rows.map((row: Record<string, unknown>) => {
		for (const key of ['name', 'server', 'host', 'security', 'username', 'password', 'root', 'anonymousRoot', 'caCertificate']) {
			if (typeof row[key] !== 'string') throw new Error(`${source}: "${key}" missing in ${JSON.stringify(row)}`);
		}
		if (typeof row.port !== 'number' || typeof row.tlsAllowsPlain !== 'boolean') {
			throw new Error(`${source}: bad port or tlsAllowsPlain in ${JSON.stringify(row)}`);
		}
		return row as unknown as ReturnType<typeof parseServers>[number];
	});
}

/**
 * Installs (if needed) and starts all servers in a fresh temp folder. Throws with the script's stdout and stderr
 * if anything fails; whatever did start is stopped again first.
 */
export async function startInteropServers(): Promise<InteropServers> {
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		throw new Error('The interop suite needs root (scripts/ftp-servers.sh installs and starts system FTP servers).');
	}
	await runScriptOrThrow(['install']);
	const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftp-interop-'));
	let started = false;
	try {
		const start = await runScript(['start', dir]);
		started = true; // the script stops what it started when it fails, but `stop` is harmless then
		if (start.code !== 0) {
			throw new Error(
				`scripts/ftp-servers.sh start ${dir} failed (exit ${String(start.code)})\n` +
					`--- stdout ---\n${start.stdout}\n--- stderr ---\n${start.stderr}`,
			);
		}
		const file = path.join(dir, 'servers.json');
		let json: string;
		try {
			json = await fsp.readFile(file, 'utf8');
		} catch (error) {
			throw new Error(`${file} was not written: ${(error as Error).message}\n--- stdout ---\n${start.stdout}\n--- stderr ---\n${start.stderr}`);
		}
		const certificates = new Map<string, string>();
		const servers: InteropServer[] = [];
		for (const row of parseServers(json, file)) {
			const caCertificateFile = row.caCertificate;
			if (!certificates.has(caCertificateFile)) certificates.set(caCertificateFile, await fsp.readFile(caCertificateFile, 'utf8'));
			const owner = await fsp.stat(row.root);
			servers.push({ ...row, caCertificateFile, caCertificate: certificates.get(caCertificateFile)!, uid: owner.uid, gid: owner.gid });
		}
		let stopped = false;
		return {
			dir,
			servers,
			stop: async () => {
				if (stopped) return;
				stopped = true;
				await stopAndRemove(dir);
			},
		};
	} catch (error) {
		if (started) await stopAndRemove(dir).catch(() => undefined);
		else await fsp.rm(dir, { recursive: true, force: true });
		throw error;
	}
}

async function stopAndRemove(dir: string): Promise<void> {
	try {
		await runScriptOrThrow(['stop', dir]);
	} finally {
		await fsp.rm(dir, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------------------------
// Files under a server's root, owned by the test user (so the server may rename and delete them)
// ---------------------------------------------------------------------------------------------------------

/** Absolute path on disk of a remote path under the user's root. */
export function onDisk(server: InteropServer, remotePath: string): string {
	const resolved = path.join(server.root, remotePath);
	if (resolved !== server.root && !resolved.startsWith(server.root + path.sep)) {
		throw new Error(`${remotePath} is outside ${server.root}`);
	}
	return resolved;
}

/** mkdir -p under the root; every folder it creates belongs to the test user. */
export async function makeFolderAsUser(server: InteropServer, remotePath: string): Promise<void> {
	const target = onDisk(server, remotePath);
	const missing: string[] = [];
	for (let current = target; current !== server.root; current = path.dirname(current)) {
		try {
			await fsp.stat(current);
			break;
		} catch {
			missing.unshift(current);
		}
	}
	for (const folder of missing) {
		await fsp.mkdir(folder);
		await fsp.chown(folder, server.uid, server.gid);
	}
}

/** Writes a file under the root (creating its folders), owned by the test user. */
export async function writeAsUser(server: InteropServer, remotePath: string, content: Buffer | string): Promise<string> {
	await makeFolderAsUser(server, path.posix.dirname(remotePath));
	const file = onDisk(server, remotePath);
	await fsp.writeFile(file, content);
	await fsp.chown(file, server.uid, server.gid);
	return file;
}
