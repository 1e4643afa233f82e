/**
 * Real SFTP servers on loopback for the interop suite: starts and stops scripts/sftp-servers.sh (OpenSSH's sshd in
 * four configurations and ProFTPD's mod_sftp) and reads the sftp-servers.json it writes. Needs root; see
 * test/interop/README.md.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { runCommand, scriptEnvironment, type CommandResult } from '../../tools/commands';

const SCRIPT = path.resolve(__dirname, '../../scripts/sftp-servers.sh');

/** install: apt-get only when something is missing (<1 s when done); start: ~5 s; check: ~10 s. */
const SCRIPT_TIMEOUT_MS = 100_000;

export type SftpInteropInstanceName =
	/** sshd, internal-sftp, password and publickey, ed25519 host key. */
	| 'openssh'
	/** ProFTPD 1.3.8 mod_sftp, password and publickey, RSA host key; the user is jailed in `dataDir` (home `/`). */
	| 'proftpd-sftp'
	/** sshd accepting only publickey ("Authentications that can continue: publickey"). */
	| 'openssh-keyonly'
	/** sshd without a Subsystem sftp line: authentication works, the SFTP subsystem request fails. */
	| 'openssh-nosftp'
	/** sshd offering only diffie-hellman-group14-sha1, ssh-rsa host keys, aes128-cbc and hmac-sha1. */
	| 'openssh-legacy';

export interface SftpInteropInstance {
	name: SftpInteropInstanceName;
	server: 'openssh' | 'proftpd';
	host: string;
	port: number;
	username: string;
	password: string;
	/** Absolute path on disk of the folder the user lands in (owned by the test user). */
	dataDir: string;
	/** That folder as the SFTP client sees it (realpath("."), `pwd`): `dataDir` for sshd, `/` for ProFTPD. */
	homeDirectory: string;
	/** The host key's type as ssh-keyscan prints it: `ssh-ed25519` or `ssh-rsa`. */
	hostKeyType: string;
	/** `SHA256:...` as `ssh-keyscan -p PORT 127.0.0.1 | ssh-keygen -lf -` prints it. */
	hostKeyFingerprint: string;
	/** The listening server process (sshd -D / proftpd -n). */
	pid: number;
	passwordAuthentication: boolean;
	sftpSubsystem: boolean;
	legacyAlgorithmsOnly: boolean;
	/** The server's config file and log file (sshd -E log, ProFTPD's SFTPLog). */
	config: string;
	log: string;
	/** Owner of `dataDir` (the test user), for files that tests put there directly. */
	uid: number;
	gid: number;
}

export interface SftpInteropKey {
	privateKeyFile: string;
	publicKeyFile: string;
	/** The private key file's text. */
	privateKey: string;
	/** The public key line (`ssh-ed25519 AAAA... comment`). */
	publicKey: string;
}

export interface SftpInteropKeys {
	/** OpenSSH format (`-----BEGIN OPENSSH PRIVATE KEY-----`), encrypted with `passphrase`. */
	ed25519: SftpInteropKey & { passphrase: string };
	/** RSA 3072, PEM PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), no passphrase. */
	rsaPem: SftpInteropKey;
}

export interface SftpInteropServers {
	/** The run's folder (keys, configs, logs, data folders). */
	dir: string;
	instances: SftpInteropInstance[];
	/** Client keys, both authorized on every instance. */
	keys: SftpInteropKeys;
	/** The instance by name. */
	get(name: SftpInteropInstanceName): SftpInteropInstance;
	/** Stops exactly the recorded processes and removes `dir`; harmless when called twice. */
	stop(): Promise<void>;
}

export type SftpScriptResult = CommandResult;

/** Runs scripts/sftp-servers.sh with ARGS; never throws (see the exit code). */
export async function runSftpServersScript(args: string[]): Promise<SftpScriptResult> {
	return await runCommand('bash', [SCRIPT, ...args], {
		env: scriptEnvironment(
			(name) => name.startsWith('SFTP_INTEROP_') || name === 'FTP_INTEROP_CACHE',
		),
		timeoutMs: SCRIPT_TIMEOUT_MS,
	});
}

function failure(args: string[], result: SftpScriptResult): Error {
	return new Error(
		`scripts/sftp-servers.sh ${args.join(' ')} failed (exit ${String(result.code)})\n` +
			`--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
	);
}

async function runScriptOrThrow(args: string[]): Promise<SftpScriptResult> {
	const result = await runSftpServersScript(args);
	if (result.code !== 0) throw failure(args, result);
	return result;
}

interface SftpServersJson {
	instances: Array<Record<string, unknown>>;
	keys: {
		ed25519: { privateKeyFile: string; publicKeyFile: string; passphrase: string };
		rsaPem: { privateKeyFile: string; publicKeyFile: string };
	};
}

const STRING_FIELDS = [
	'name',
	'server',
	'host',
	'username',
	'password',
	'dataDir',
	'homeDirectory',
	'hostKeyType',
	'hostKeyFingerprint',
	'config',
	'log',
];
const BOOLEAN_FIELDS = ['passwordAuthentication', 'sftpSubsystem', 'legacyAlgorithmsOnly'];

function parseJson(json: string, source: string): SftpServersJson {
	const parsed = JSON.parse(json) as Partial<SftpServersJson>;
	if (!Array.isArray(parsed.instances) || parsed.instances.length === 0)
		throw new Error(`${source} lists no instances:\n${json}`);
	if (!parsed.keys?.ed25519?.privateKeyFile || !parsed.keys?.rsaPem?.privateKeyFile)
		throw new Error(`${source} has no keys:\n${json}`);
	for (const row of parsed.instances) {
		for (const key of STRING_FIELDS) {
			if (typeof row[key] !== 'string')
				throw new Error(`${source}: "${key}" missing in ${JSON.stringify(row)}`);
		}
		for (const key of BOOLEAN_FIELDS) {
			if (typeof row[key] !== 'boolean')
				throw new Error(`${source}: "${key}" missing in ${JSON.stringify(row)}`);
		}
		if (typeof row.port !== 'number' || typeof row.pid !== 'number')
			throw new Error(`${source}: bad port or pid in ${JSON.stringify(row)}`);
	}
	return parsed as SftpServersJson;
}

async function loadKey(files: {
	privateKeyFile: string;
	publicKeyFile: string;
}): Promise<SftpInteropKey> {
	return {
		...files,
		privateKey: await fsp.readFile(files.privateKeyFile, 'utf8'),
		publicKey: (await fsp.readFile(files.publicKeyFile, 'utf8')).trim(),
	};
}

/**
 * Installs (if needed) and starts all instances in a fresh temp folder. Throws with the script's stdout and stderr
 * if anything fails; whatever did start is stopped again first.
 */
export async function startSftpInteropServers(): Promise<SftpInteropServers> {
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		throw new Error(
			'The SFTP interop servers need root (scripts/sftp-servers.sh creates a user and starts sshd and proftpd).',
		);
	}
	await runScriptOrThrow(['install']);
	const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'sftp-interop-'));
	try {
		const start = await runSftpServersScript(['start', dir]);
		if (start.code !== 0) throw failure(['start', dir], start);
		const file = path.join(dir, 'sftp-servers.json');
		let json: string;
		try {
			json = await fsp.readFile(file, 'utf8');
		} catch (error) {
			throw new Error(
				`${file} was not written: ${(error as Error).message}\n--- stdout ---\n${start.stdout}\n--- stderr ---\n${start.stderr}`,
			);
		}
		const parsed = parseJson(json, file);
		const instances: SftpInteropInstance[] = [];
		for (const row of parsed.instances) {
			const owner = await fsp.stat(row.dataDir as string);
			instances.push({
				...(row as unknown as Omit<SftpInteropInstance, 'uid' | 'gid'>),
				uid: owner.uid,
				gid: owner.gid,
			});
		}
		const keys: SftpInteropKeys = {
			ed25519: {
				...(await loadKey(parsed.keys.ed25519)),
				passphrase: parsed.keys.ed25519.passphrase,
			},
			rsaPem: await loadKey(parsed.keys.rsaPem),
		};
		let stopped = false;
		return {
			dir,
			instances,
			keys,
			get: (name) => {
				const instance = instances.find((candidate) => candidate.name === name);
				if (!instance) throw new Error(`${name} was not started`);
				return instance;
			},
			stop: async () => {
				if (stopped) return;
				stopped = true;
				await stopAndRemove(dir);
			},
		};
	} catch (error) {
		// `stop` is harmless when nothing was recorded (the script also stops what it started when it fails).
		await stopAndRemove(dir).catch(() => undefined);
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
// Files in an instance's data folder, owned by the test user (so the server may rename and delete them)
// ---------------------------------------------------------------------------------------------------------

/** What the file helpers below need of an instance. */
export type SftpUserFolder = Pick<SftpInteropInstance, 'dataDir' | 'homeDirectory' | 'uid' | 'gid'>;

/**
 * Absolute path on disk of a remote path: absolute remote paths are taken as the client sees them (under
 * `homeDirectory`), relative ones relative to `homeDirectory`. Throws for paths outside the data folder.
 */
export function sftpOnDisk(instance: SftpUserFolder, remotePath: string): string {
	const remote = path.posix.resolve(instance.homeDirectory, remotePath);
	const relative = path.posix.relative(instance.homeDirectory, remote);
	if (relative === '..' || relative.startsWith('../') || path.posix.isAbsolute(relative)) {
		throw new Error(
			`${remotePath} is outside ${instance.homeDirectory} (${instance.dataDir} on disk)`,
		);
	}
	return relative === '' ? instance.dataDir : path.join(instance.dataDir, ...relative.split('/'));
}

/** mkdir -p in the data folder; every folder it creates belongs to the test user. */
export async function makeFolderAsSftpUser(
	instance: SftpUserFolder,
	remotePath: string,
): Promise<string> {
	const target = sftpOnDisk(instance, remotePath);
	const missing: string[] = [];
	for (let current = target; current !== instance.dataDir; current = path.dirname(current)) {
		try {
			await fsp.stat(current);
			break;
		} catch {
			missing.unshift(current);
		}
	}
	for (const folder of missing) {
		await fsp.mkdir(folder);
		await fsp.chown(folder, instance.uid, instance.gid);
	}
	return target;
}

/** Writes a file in the data folder (creating its folders), owned by the test user; returns its path on disk. */
export async function writeAsSftpUser(
	instance: SftpUserFolder,
	remotePath: string,
	content: Buffer | string,
): Promise<string> {
	const file = sftpOnDisk(instance, remotePath);
	await makeFolderAsSftpUser(
		instance,
		path.posix.dirname(path.posix.resolve(instance.homeDirectory, remotePath)),
	);
	await fsp.writeFile(file, content);
	await fsp.chown(file, instance.uid, instance.gid);
	return file;
}

/** The `sftpAutomationApi` credential for an instance: password login, host key pinned to the one in the JSON. */
export function sftpCredentialsFor(
	server: SftpInteropInstance,
	overrides: IDataObject = {},
): ICredentialDataDecryptedObject {
	return {
		host: server.host,
		port: server.port,
		username: server.username,
		password: server.password,
		hostKeyFingerprint: server.hostKeyFingerprint,
		connectionTimeout: 10,
		...overrides,
	};
}
