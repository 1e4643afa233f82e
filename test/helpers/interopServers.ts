/**
 * Starts the real FTP servers of `scripts/ftp-servers.sh` (vsftpd, ProFTPD, pure-ftpd on 127.0.0.1) for the
 * interop suite and describes them as typed objects. Needs root on Debian 12; see test/interop/README.md.
 *
 * A server that cannot be installed or started is an error (with the script's output), never a skip.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { runCommand, scriptEnvironment, type CommandResult } from '../../tools/commands';

const SCRIPT = path.resolve(__dirname, '../../scripts/ftp-servers.sh');

/** install: apt-get only when something is missing (~4 s, <1 s when done); start: ~2 s, 20 s per server at most. */
const SCRIPT_TIMEOUT_MS = 100_000;

export type InteropServerName =
	| 'vsftpd-explicit'
	| 'vsftpd-implicit'
	| 'proftpd-explicit'
	| 'proftpd-implicit'
	| 'pure-ftpd-explicit';

/** What every server started by scripts/ftp-servers.sh has, whichever subcommand started it. */
interface ServerOnLoopback {
	host: string;
	port: number;
	/** Whether a client may stay in plain FTP on this port (explicit instances). */
	tlsAllowsPlain: boolean;
	username: string;
	password: string;
	/** The folder on disk that the test user sees as `/` (chrooted). */
	root: string;
	/** The folder on disk that anonymous users see as `/`; read-only for them. */
	anonymousRoot: string;
	pid: number;
	/** PEM text a user would paste into the credential's CA Certificate to trust this server. */
	caCertificate: string;
	/** Owner of `root` (the test user), for files that tests put there directly. */
	uid: number;
	gid: number;
}

export interface InteropServer extends ServerOnLoopback {
	name: InteropServerName;
	server: 'vsftpd' | 'proftpd' | 'pure-ftpd';
	/** The TLS mode of this port. */
	security: 'explicit' | 'implicit';
	/** Path of the self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1); `anonymousRoot` holds `readme.txt`. */
	caCertificateFile: string;
}

export interface InteropServers {
	/** The run's folder (configs, logs, certificate, roots). */
	dir: string;
	servers: InteropServer[];
	stop(): Promise<void>;
}

type ScriptResult = CommandResult;

async function runScript(args: string[]): Promise<ScriptResult> {
	return await runCommand('bash', [SCRIPT, ...args], {
		env: scriptEnvironment((name) => name.startsWith('FTP_INTEROP_')),
		timeoutMs: SCRIPT_TIMEOUT_MS,
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

function parseServers(
	json: string,
	source: string,
): Array<
	Omit<InteropServer, 'caCertificate' | 'uid' | 'gid' | 'caCertificateFile'> & {
		caCertificate: string;
	}
> {
	const rows: unknown = JSON.parse(json);
	if (!Array.isArray(rows) || rows.length === 0)
		throw new Error(`${source} lists no servers:\n${json}`);
	return rows.map((row: Record<string, unknown>) => {
		for (const key of [
			'name',
			'server',
			'host',
			'security',
			'username',
			'password',
			'root',
			'anonymousRoot',
			'caCertificate',
		]) {
			if (typeof row[key] !== 'string')
				throw new Error(`${source}: "${key}" missing in ${JSON.stringify(row)}`);
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
		throw new Error(
			'The interop suite needs root (scripts/ftp-servers.sh installs and starts system FTP servers).',
		);
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
			throw new Error(
				`${file} was not written: ${(error as Error).message}\n--- stdout ---\n${start.stdout}\n--- stderr ---\n${start.stderr}`,
			);
		}
		const certificates = new Map<string, string>();
		const servers: InteropServer[] = [];
		for (const row of parseServers(json, file)) {
			const caCertificateFile = row.caCertificate;
			if (!certificates.has(caCertificateFile))
				certificates.set(caCertificateFile, await fsp.readFile(caCertificateFile, 'utf8'));
			const owner = await fsp.stat(row.root);
			servers.push({
				...row,
				caCertificateFile,
				caCertificate: certificates.get(caCertificateFile)!,
				uid: owner.uid,
				gid: owner.gid,
			});
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

/** What the file helpers below need of a server: its root on disk and the test user that owns it. */
export type ServerRoot = Pick<InteropServer, 'root' | 'uid' | 'gid'>;

/** Absolute path on disk of a remote path under the user's root. */
export function onDisk(server: ServerRoot, remotePath: string): string {
	const resolved = path.join(server.root, remotePath);
	if (resolved !== server.root && !resolved.startsWith(server.root + path.sep)) {
		throw new Error(`${remotePath} is outside ${server.root}`);
	}
	return resolved;
}

/** mkdir -p under the root; every folder it creates belongs to the test user. */
export async function makeFolderAsUser(server: ServerRoot, remotePath: string): Promise<void> {
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
export async function writeAsUser(
	server: ServerRoot,
	remotePath: string,
	content: Buffer | string,
): Promise<string> {
	await makeFolderAsUser(server, path.posix.dirname(remotePath));
	const file = onDisk(server, remotePath);
	await fsp.writeFile(file, content);
	await fsp.chown(file, server.uid, server.gid);
	return file;
}

// ---------------------------------------------------------------------------------------------------------
// Special-purpose vsftpd instances (`scripts/ftp-servers.sh start-special`): TLS failures, NAT, Latin-1
// ---------------------------------------------------------------------------------------------------------

export type SpecialServerName =
	/** Self-signed certificate for localhost and 127.0.0.1 (untrusted without CA Certificate; pinning). */
	| 'vsftpd-self-signed'
	/** Certificate signed by the test server CA, valid 2020-01-01 to 2021-01-01. */
	| 'vsftpd-expired'
	/** Self-signed certificate for other.example only (CN and SAN). */
	| 'vsftpd-wrong-host'
	/** Server certificate from the test server CA; require_cert=YES, validate_cert=YES, ca_certs_file = client CA. */
	| 'vsftpd-mutual-tls'
	/** ssl_enable=NO: plain FTP only. */
	| 'vsftpd-plain-only'
	/** force_local_logins_ssl=YES, force_local_data_ssl=YES. */
	| 'vsftpd-tls-required'
	/** Limited to TLS 1.2 through an OpenSSL configuration (OPENSSL_CONF with MaxProtocol = TLSv1.2). */
	| 'vsftpd-tls12-only'
	/** pasv_address=127.0.0.2: PASV replies name an address where nothing listens. */
	| 'vsftpd-nat'
	/** An ordinary plain-FTP vsftpd; vsftpd passes file name bytes through unchanged, so Latin-1 names stay Latin-1. */
	| 'vsftpd-latin1';

export interface SpecialServer extends ServerOnLoopback {
	name: SpecialServerName;
	server: 'vsftpd';
	/** How the tests reach it: explicit FTPS, or plain FTP (plain-only, NAT and Latin-1 instances); `caCertificate` is '' for the plain-only instance. */
	security: 'explicit' | 'none';
	/** PEM of the certificate the server presents. */
	certificate: string;
	/** PEM of its private key (e.g. to use a certificate the mutual-TLS instance does not trust as a client's). */
	privateKey: string;
	/** Passive port range [low, high] (bound to 127.0.0.1). */
	pasvPorts: [number, number];
	/** The address the server reports in PASV replies. */
	pasvAddress: string;
}

export interface SpecialServers {
	dir: string;
	servers: SpecialServer[];
	/** The CA that signed the expired and the mutual-TLS server certificates (PEM). */
	serverCa: string;
	/** A client certificate and unencrypted key signed by the CA that vsftpd-mutual-tls trusts (PEM). */
	clientCertificate: string;
	clientPrivateKey: string;
	/** The instance by name; throws if it was not started. */
	get(name: SpecialServerName): SpecialServer;
	stop(): Promise<void>;
}

interface SpecialJson {
	servers: Array<Record<string, unknown>>;
	serverCa: string;
	clientCa: string;
	clientCertificate: string;
	clientPrivateKey: string;
}

/**
 * Installs (if needed) and starts the named special instances in a fresh temp folder. Throws with the script's
 * output if anything fails; whatever did start is stopped again first.
 */
export async function startSpecialServers(names: SpecialServerName[]): Promise<SpecialServers> {
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		throw new Error(
			'The interop suite needs root (scripts/ftp-servers.sh installs and starts system FTP servers).',
		);
	}
	await runScriptOrThrow(['install']);
	const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftp-interop-special-'));
	try {
		const start = await runScript(['start-special', dir, ...names]);
		const output = `--- stdout ---\n${start.stdout}\n--- stderr ---\n${start.stderr}`;
		if (start.code !== 0)
			throw new Error(
				`scripts/ftp-servers.sh start-special ${dir} ${names.join(' ')} failed (exit ${String(start.code)})\n${output}`,
			);
		const file = path.join(dir, 'special.json');
		const json = JSON.parse(await fsp.readFile(file, 'utf8')) as SpecialJson;
		const pem = async (pemFile: unknown) =>
			typeof pemFile === 'string' && pemFile !== '' ? await fsp.readFile(pemFile, 'utf8') : '';
		const servers: SpecialServer[] = [];
		for (const row of json.servers) {
			const root = row.root as string;
			const owner = await fsp.stat(root);
			servers.push({
				...(row as unknown as SpecialServer),
				caCertificate: await pem(row.caCertificate),
				certificate: await pem(row.certificate),
				privateKey: await pem(row.privateKey),
				uid: owner.uid,
				gid: owner.gid,
			});
		}
		const started = servers.map((server) => server.name).sort();
		if (JSON.stringify(started) !== JSON.stringify([...names].sort())) {
			throw new Error(
				`${file} lists ${started.join(', ')}, expected ${names.join(', ')}\n${output}`,
			);
		}
		let stopped = false;
		return {
			dir,
			servers,
			serverCa: await pem(json.serverCa),
			clientCertificate: await pem(json.clientCertificate),
			clientPrivateKey: await pem(json.clientPrivateKey),
			get: (name) => {
				const server = servers.find((candidate) => candidate.name === name);
				if (!server) throw new Error(`${name} was not started (started: ${started.join(', ')})`);
				return server;
			},
			stop: async () => {
				if (stopped) return;
				stopped = true;
				await stopAndRemove(dir);
			},
		};
	} catch (error) {
		// `stop` is harmless when nothing was recorded.
		await stopAndRemove(dir).catch(() => undefined);
		throw error;
	}
}
