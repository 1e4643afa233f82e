/**
 * Self-test of scripts/sftp-servers.sh and test/helpers/sftpInteropServers.ts: every instance answers with an SSH
 * identification on its own port of 127.0.0.1, its host key fingerprint is what ssh-keyscan reports, the script's
 * end-to-end check passes, the file helpers put files where the SFTP user sees them, and stop ends the processes.
 */
import { execFile } from 'child_process';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import {
	makeFolderAsSftpUser,
	runSftpServersScript,
	sftpOnDisk,
	startSftpInteropServers,
	writeAsSftpUser,
	type SftpInteropInstance,
	type SftpInteropServers,
} from '../helpers/sftpInteropServers';

const LEGACY_CLIENT_OPTIONS = [
	'-oKexAlgorithms=+diffie-hellman-group14-sha1',
	'-oHostKeyAlgorithms=+ssh-rsa',
	'-oCiphers=+aes128-cbc',
	'-oMACs=+hmac-sha1',
];

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}

function run(file: string, args: string[], input?: string): Promise<Run> {
	return new Promise((resolve) => {
		const child = execFile(
			file,
			args,
			{ timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
				resolve({ code, stdout: String(stdout), stderr: String(stderr) });
			},
		);
		// A command that needs no input may exit before it is written (ssh-keygen refusing a key at once): the broken
		// pipe is not the test's outcome, the exit code and output are.
		child.stdin?.on('error', () => undefined);
		child.stdin?.end(input ?? '');
	});
}

/** The first line the server sends (its SSH identification string). */
function readIdentification(port: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		let received = '';
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`no identification from 127.0.0.1:${port} within 5 s`));
		}, 5000);
		socket.setEncoding('latin1');
		socket.on('data', (chunk: string) => {
			received += chunk;
			const end = received.indexOf('\n');
			if (end >= 0) {
				clearTimeout(timer);
				socket.destroy();
				resolve(received.slice(0, end).replace(/\r$/, ''));
			}
		});
		socket.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
	});
}

/** `ssh-keygen -lf -` of a known_hosts-style line: [type, fingerprint]. */
async function fingerprintOf(line: string): Promise<[string, string]> {
	const result = await run('ssh-keygen', ['-lf', '-'], line + '\n');
	expect(result.code).toBe(0);
	return [line.split(' ')[1], result.stdout.split(' ')[1]];
}

/** The host key as ssh-keyscan sees it (empty when ssh-keyscan cannot negotiate with the server). */
async function keyscan(port: number): Promise<string | undefined> {
	const result = await run('ssh-keyscan', ['-T', '5', '-p', String(port), '127.0.0.1']);
	return result.stdout
		.split('\n')
		.filter((line) => line !== '' && !line.startsWith('#'))
		.sort()[0];
}

/** The host key that ssh (with the legacy algorithms enabled) records in a fresh known_hosts file. */
async function hostKeyViaSsh(instance: SftpInteropInstance, folder: string): Promise<string> {
	const knownHosts = path.join(folder, `known_hosts-${instance.name}`);
	await run('ssh', [
		'-F',
		'/dev/null',
		'-p',
		String(instance.port),
		'-oBatchMode=yes',
		'-oStrictHostKeyChecking=accept-new',
		`-oUserKnownHostsFile=${knownHosts}`,
		'-oGlobalKnownHostsFile=/dev/null',
		'-oHashKnownHosts=no',
		'-oPreferredAuthentications=none',
		'-oConnectTimeout=5',
		...LEGACY_CLIENT_OPTIONS,
		`${instance.username}@127.0.0.1`,
		'true',
	]);
	return (await fsp.readFile(knownHosts, 'utf8')).trim().split('\n')[0];
}

function curlArgs(instance: SftpInteropInstance, remotePath: string): string[] {
	return [
		'-sS',
		'--fail',
		'-k',
		'--connect-timeout',
		'10',
		'--max-time',
		'30',
		'-u',
		`${instance.username}:${instance.password}`,
		`sftp://127.0.0.1:${instance.port}${remotePath}`,
	];
}

/** Gone, or exited and waiting to be reaped (a zombie holds no port and runs no code). */
async function processGone(pid: number): Promise<boolean> {
	try {
		const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
	} catch {
		return true;
	}
}

describe('scripts/sftp-servers.sh', () => {
	let servers: SftpInteropServers;
	let scratch: string;

	beforeAll(async () => {
		scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'sftp-smoke-'));
		servers = await startSftpInteropServers();
	});

	afterAll(async () => {
		await servers?.stop();
		if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
	});

	it('starts all five instances on distinct free ports of 127.0.0.1', () => {
		expect(servers.instances.map((instance) => instance.name).sort()).toEqual([
			'openssh',
			'openssh-keyonly',
			'openssh-legacy',
			'openssh-nosftp',
			'proftpd-sftp',
		]);
		const ports = servers.instances.map((instance) => instance.port);
		expect(new Set(ports).size).toBe(ports.length);
		for (const instance of servers.instances) {
			expect(instance.host).toBe('127.0.0.1');
			expect(instance.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
			expect(path.isAbsolute(instance.dataDir)).toBe(true);
			expect(instance.uid).not.toBe(0);
		}
		expect(servers.get('proftpd-sftp').homeDirectory).toBe('/');
		expect(servers.get('openssh').homeDirectory).toBe(servers.get('openssh').dataDir);
	});

	it('every instance answers with an SSH-2.0 identification', async () => {
		for (const instance of servers.instances) {
			const identification = await readIdentification(instance.port);
			expect({ name: instance.name, identification }).toEqual({
				name: instance.name,
				identification: expect.stringMatching(
					instance.server === 'proftpd' ? /^SSH-2\.0-mod_sftp/ : /^SSH-2\.0-OpenSSH_/,
				),
			});
		}
	});

	it('the fingerprints in the JSON are what ssh-keyscan | ssh-keygen -lf - reports', async () => {
		for (const instance of servers.instances) {
			let line: string | undefined = await keyscan(instance.port);
			if (instance.legacyAlgorithmsOnly) {
				// ssh-keyscan offers only OpenSSH's default algorithms: it gets nothing from this server.
				expect(line).toBeUndefined();
				line = await hostKeyViaSsh(instance, scratch);
			}
			if (line === undefined) throw new Error(`no host key from ${instance.name}`);
			const [type, fingerprint] = await fingerprintOf(line);
			expect({ name: instance.name, type, fingerprint }).toEqual({
				name: instance.name,
				type: instance.hostKeyType,
				fingerprint: instance.hostKeyFingerprint,
			});
		}
		expect(servers.get('openssh').hostKeyType).toBe('ssh-ed25519');
		expect(servers.get('proftpd-sftp').hostKeyType).toBe('ssh-rsa');
		expect(servers.get('openssh-legacy').hostKeyType).toBe('ssh-rsa');
	});

	it('loads the client keys: ed25519 (OpenSSH format, with passphrase) and RSA PEM', async () => {
		const { ed25519, rsaPem } = servers.keys;
		expect(ed25519.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
		expect(rsaPem.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
		expect(ed25519.publicKey).toMatch(/^ssh-ed25519 /);
		expect(rsaPem.publicKey).toMatch(/^ssh-rsa /);
		// The ed25519 key opens only with its passphrase.
		expect((await run('ssh-keygen', ['-y', '-P', '', '-f', ed25519.privateKeyFile])).code).not.toBe(
			0,
		);
		const derived = await run('ssh-keygen', [
			'-y',
			'-P',
			ed25519.passphrase,
			'-f',
			ed25519.privateKeyFile,
		]);
		expect(derived.stdout.trim().split(' ').slice(0, 2)).toEqual(
			ed25519.publicKey.split(' ').slice(0, 2),
		);
	});

	it('check: end-to-end with curl and sftp -b (expected failures included) passes', async () => {
		const result = await runSftpServersScript(['check', servers.dir]);
		expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
			code: 0,
			stdout: expect.stringContaining('all checks passed'),
			stderr: expect.any(String),
		});
		expect(result.stdout).toContain('Unable to request SFTP subsystem');
		expect(result.stdout).toMatch(
			/openssh-keyonly[^=]*authentication methods offered: publickey\n/,
		);
	});

	it('sftpOnDisk maps remote paths into the data folder and refuses paths outside it', () => {
		const proftpd = servers.get('proftpd-sftp');
		const openssh = servers.get('openssh');
		expect(sftpOnDisk(proftpd, '/a/b.txt')).toBe(path.join(proftpd.dataDir, 'a', 'b.txt'));
		expect(sftpOnDisk(proftpd, 'a/b.txt')).toBe(path.join(proftpd.dataDir, 'a', 'b.txt'));
		expect(sftpOnDisk(proftpd, '/')).toBe(proftpd.dataDir);
		expect(sftpOnDisk(openssh, `${openssh.homeDirectory}/x`)).toBe(path.join(openssh.dataDir, 'x'));
		expect(sftpOnDisk(openssh, 'x/y')).toBe(path.join(openssh.dataDir, 'x', 'y'));
		expect(sftpOnDisk(openssh, '.')).toBe(openssh.dataDir);
		expect(() => sftpOnDisk(openssh, '/etc/passwd')).toThrow(/outside/);
		expect(() => sftpOnDisk(openssh, '../x')).toThrow(/outside/);
		// In ProFTPD's chroot, ".." of "/" is "/" again.
		expect(sftpOnDisk(proftpd, '../x')).toBe(path.join(proftpd.dataDir, 'x'));
	});

	it.each(['openssh', 'proftpd-sftp'] as const)(
		'%s: files written as the SFTP user are visible over SFTP and the server may rename and delete them',
		async (name) => {
			const instance = servers.get(name);
			const home = instance.homeDirectory.replace(/\/$/, '');
			const content = `smoke ${name} ${Date.now()}\n`;
			const file = await writeAsSftpUser(instance, 'smoke/deep/file.txt', content);
			expect(file).toBe(path.join(instance.dataDir, 'smoke', 'deep', 'file.txt'));
			expect((await fsp.stat(file)).uid).toBe(instance.uid);
			expect((await fsp.stat(path.dirname(file))).uid).toBe(instance.uid);
			const folder = await makeFolderAsSftpUser(instance, `${home}/smoke/empty`);
			expect((await fsp.stat(folder)).uid).toBe(instance.uid);

			const download = await run('curl', curlArgs(instance, `${home}/smoke/deep/file.txt`));
			expect({ code: download.code, stderr: download.stderr }).toEqual({ code: 0, stderr: '' });
			expect(download.stdout).toBe(content);

			// rename, then delete the file and both folders: only the owner may do that.
			const quote = await run('curl', [
				...curlArgs(instance, `${home}/`),
				'-Q',
				`rename ${home}/smoke/deep/file.txt ${home}/smoke/renamed.txt`,
				'-Q',
				`rm ${home}/smoke/renamed.txt`,
				'-Q',
				`rmdir ${home}/smoke/deep`,
				'-Q',
				`rmdir ${home}/smoke/empty`,
				'-Q',
				`rmdir ${home}/smoke`,
			]);
			expect({ code: quote.code, stderr: quote.stderr }).toEqual({ code: 0, stderr: '' });
			await expect(fsp.stat(sftpOnDisk(instance, 'smoke'))).rejects.toThrow(/ENOENT/);
		},
	);

	it('stop ends exactly the recorded processes', async () => {
		const pids = servers.instances.map((instance) => instance.pid);
		for (const pid of pids) expect(await processGone(pid)).toBe(false);
		await servers.stop();
		for (const pid of pids)
			expect({ pid, gone: await processGone(pid) }).toEqual({ pid, gone: true });
		await expect(fsp.stat(servers.dir)).rejects.toThrow(/ENOENT/);
		for (const instance of servers.instances) {
			await expect(readIdentification(instance.port)).rejects.toThrow(/ECONNREFUSED/);
		}
	});
});
