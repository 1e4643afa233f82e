/**
 * SFTP logins, host keys and failures against real servers on loopback (scripts/sftp-servers.sh): password, an
 * ed25519 key with its passphrase, an RSA PEM key and a key pasted on one line on OpenSSH and ProFTPD mod_sftp;
 * host keys pinned, missing, mismatched, as hex, or not checked; an account that accepts only keys, a server that
 * offers only legacy algorithms, a shell-only account; the credential test's steps. Every failure is checked for the
 * password, the passphrase and each line of the private key in its message, description and JSON output. Then
 * transfers whose connection is cut mid-way: a download resumes, an upload is retried, both byte-identical.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/sftp`.
 */
import { createReadStream, promises as fsp } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { FtpAutomation } from '../../nodes/FtpAutomation/FtpAutomation.node';
import {
	binaryFilePath,
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
} from '../../tools/n8nHarness';
import { failingRun, runFtpNode, sha256OfFile, writeRandomFile } from '../helpers/nodeRun';
import {
	sftpCredentialsFor,
	sftpOnDisk,
	startSftpInteropServers,
	writeAsSftpUser,
	type SftpInteropInstance,
	type SftpInteropInstanceName,
	type SftpInteropServers,
} from '../helpers/sftpInteropServers';
import { fixOf, logOf } from '../helpers/shownError';

const INSTANCES: Array<{ name: SftpInteropInstanceName }> = [
	{ name: 'openssh' },
	{ name: 'proftpd-sftp' },
];
const WRONG_PASSWORD = 'wrong-Password-7f3a9c';
const WRONG_PASSPHRASE = 'wrong-Passphrase-52be1d';
const FIVE_MIB = 5 * 1024 * 1024;

let run: SftpInteropServers;
let scratch: string;
let largeFile: string;
let largeFileHash: string;

beforeAll(async () => {
	await initBinaryData();
	scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'sftp-interop-failures-'));
	largeFile = path.join(scratch, 'large.bin');
	largeFileHash = await writeRandomFile(largeFile, FIVE_MIB);
	run = await startSftpInteropServers();
	for (const name of ['openssh', 'proftpd-sftp', 'openssh-keyonly', 'openssh-legacy'] as const)
		await writeAsSftpUser(run.get(name), 'login/probe.txt', 'probe');
}, 120_000);

afterAll(async () => {
	await run?.stop();
	if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
	await cleanupBinaryData();
}, 60_000);

const credentialsFor = sftpCredentialsFor;

/** Every secret at once: the password, the ed25519 key and its passphrase. */
const withAllSecrets = (server: SftpInteropInstance, overrides: IDataObject = {}) =>
	credentialsFor(server, {
		privateKey: run.keys.ed25519.privateKey,
		passphrase: run.keys.ed25519.passphrase,
		...overrides,
	});

const listParameters = (server: SftpInteropInstance) => ({
	protocol: 'sftp',
	operation: 'list',
	path: path.posix.join(server.homeDirectory, 'login'),
	options: { includeConnectionLog: true },
});

/** `SHA256:base64` as 64 hexadecimal digits, with colons between the bytes if asked. */
function hexOf(fingerprint: string, colons: boolean): string {
	const hex = Buffer.from(fingerprint.replace(/^SHA256:/, ''), 'base64').toString('hex');
	expect(hex).toHaveLength(64);
	return colons ? hex.toUpperCase().replace(/(..)(?!$)/g, '$1:') : hex;
}

/** Lists the login folder and returns the connection log (the probe file must be there). */
async function listsWith(
	server: SftpInteropInstance,
	credentials: ICredentialDataDecryptedObject,
): Promise<string> {
	const output = await runFtpNode(credentials, listParameters(server));
	expect(output.map((item) => item.json.name)).toEqual(['probe.txt']);
	return (output[0].json.connectionLog as string[]).join('\n');
}

/** The password, the passphrases and every line (≥16 characters) of both private keys, named for the report. */
function secrets(): Array<[string, string]> {
	const found: Array<[string, string]> = [
		['the password', run.get('openssh').password],
		['the passphrase', run.keys.ed25519.passphrase],
		['the wrong password', WRONG_PASSWORD],
		['the wrong passphrase', WRONG_PASSPHRASE],
	];
	for (const [label, key] of [
		['ed25519', run.keys.ed25519.privateKey],
		['rsaPem', run.keys.rsaPem.privateKey],
	]) {
		key
			.split('\n')
			.map((line) => line.trim())
			// The armor lines ("-----BEGIN OPENSSH PRIVATE KEY-----") are no secret; hints quote them.
			.filter((line) => line.length >= 16 && !line.startsWith('-----'))
			.forEach((line, index) => found.push([`line ${index + 2} of the ${label} key`, line]));
	}
	return found;
}

/** Fails naming every secret found in any of the texts. */
function expectNoSecrets(texts: Record<string, string>): void {
	const leaks: string[] = [];
	for (const [label, secret] of secrets()) {
		for (const [where, text] of Object.entries(texts))
			if (text.includes(secret)) leaks.push(`${label} in ${where}`);
	}
	expect(leaks).toEqual([]);
}

/** Runs the node expecting it to fail: the thrown error, and the item it outputs with Continue On Fail. */
async function failureOf(server: SftpInteropInstance, credentials: ICredentialDataDecryptedObject) {
	const error = await failingRun(credentials, listParameters(server));
	const output = await runFtpNode(credentials, listParameters(server), { continueOnFail: true });
	expect(output).toHaveLength(1);
	expect(output[0].json.error).toBe(error.message);
	const texts = {
		message: error.message,
		description: error.description ?? '',
		'the connection log (messages)': logOf(error),
		'the output JSON': JSON.stringify(output),
	};
	return { error, texts, all: `${error.message}\n${error.description ?? ''}` };
}

async function credentialTest(data: ICredentialDataDecryptedObject) {
	return await new FtpAutomation().methods.credentialTest.sftpAutomationApiTest.call({} as never, {
		id: '1',
		name: 'x',
		type: 'sftpAutomationApi',
		data,
	});
}

/** The server's log (sshd -E, or ProFTPD's command log) from `offset`, once the session's end is in it. */
async function serverLogAfter(server: SftpInteropInstance, offset: number): Promise<string> {
	const file =
		server.server === 'proftpd'
			? path.join(path.dirname(server.log), 'proftpd-commands.log')
			: server.log;
	const sessionEnd = server.server === 'proftpd' ? /"KEXINIT"/ : /Connection closed|preauth/;
	let text = '';
	for (let waited = 0; waited < 3000 && !sessionEnd.test(text); waited += 100) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		text = (await fsp.readFile(file, 'utf8')).slice(offset);
	}
	expect(text).toMatch(sessionEnd);
	return text;
}

/**
 * A TCP proxy on 127.0.0.1 that relays byte for byte (test/helpers/faultProxy.ts relays FTP control replies line by
 * line, which stalls SSH's binary packets: the handshake never completes through it) and resets its first
 * connection once `cutAfterBytes` have gone in `direction` (downloads flow toClient, uploads toServer).
 */
async function startCuttingProxy(
	target: { host: string; port: number },
	direction: 'toClient' | 'toServer',
	cutAfterBytes: number,
) {
	const sockets = new Set<net.Socket>();
	const stats = { connections: 0, cuts: 0 };
	const track = (socket: net.Socket) => {
		sockets.add(socket);
		socket.on('error', () => undefined);
		socket.once('close', () => sockets.delete(socket));
		return socket;
	};
	const proxy = net.createServer((client) => {
		const first = ++stats.connections === 1;
		track(client);
		const upstream = track(net.connect({ host: target.host, port: target.port }));
		const [from, to] = direction === 'toClient' ? [upstream, client] : [client, upstream];
		const limit = first ? cutAfterBytes : Infinity;
		let forwarded = 0;
		to.pipe(from);
		from.on('data', (chunk: Buffer) => {
			if (forwarded >= limit) return;
			const part = chunk.subarray(0, limit - forwarded);
			forwarded += part.length;
			if (!to.write(part)) {
				from.pause();
				to.once('drain', () => forwarded < limit && from.resume());
			}
			if (forwarded >= limit) {
				stats.cuts++;
				from.pause();
				setTimeout(() => {
					client.resetAndDestroy();
					upstream.resetAndDestroy();
				}, 20);
			}
		});
		from.on('end', () => to.end());
		client.once('close', () => upstream.destroy());
		upstream.once('close', () => client.destroy());
	});
	proxy.listen(0, '127.0.0.1');
	await new Promise((resolve) => proxy.once('listening', resolve));
	return {
		host: '127.0.0.1',
		port: (proxy.address() as net.AddressInfo).port,
		stats,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => proxy.close(() => resolve()));
		},
	};
}

/** A remote path as the client sees it (sshd: the data folder's absolute path; ProFTPD: `/`, jailed). */
const remoteOf = (server: SftpInteropInstance, relative: string) =>
	path.posix.join(server.homeDirectory, relative);

const logSize = async (server: SftpInteropInstance) =>
	(
		await fsp.stat(
			server.server === 'proftpd'
				? path.join(path.dirname(server.log), 'proftpd-commands.log')
				: server.log,
		)
	).size;

it('the secret search has every line of both keys, and finds one planted in a text', () => {
	const lines = secrets().filter(([label]) => label.startsWith('line '));
	expect(lines.length).toBeGreaterThanOrEqual(6);
	const [label, line] = lines[lines.length - 1];
	expect(() => expectNoSecrets({ planted: `…${line}…` })).toThrow(label);
	expect(() => expectNoSecrets({ planted: run.keys.ed25519.passphrase })).toThrow('the passphrase');
});

describe.each(INSTANCES)('$name', ({ name }) => {
	let server: SftpInteropInstance;

	beforeAll(() => {
		server = run.get(name);
	});

	it('logs in with the ed25519 key and its passphrase, the RSA PEM key, and the key pasted on one line', async () => {
		const { ed25519, rsaPem } = run.keys;
		const keys = {
			ed25519: { privateKey: ed25519.privateKey, passphrase: ed25519.passphrase },
			rsaPem: { privateKey: rsaPem.privateKey },
			'ed25519 on one line': {
				privateKey: ed25519.privateKey.replace(/\n/g, ' '),
				passphrase: ed25519.passphrase,
			},
		};
		expect(keys['ed25519 on one line'].privateKey).not.toContain('\n');
		for (const [label, key] of Object.entries(keys)) {
			const log = await listsWith(server, credentialsFor(server, { password: '', ...key }));
			expect({ label, login: /Authenticated as \S+ with (\S+)/.exec(log)?.[1] }).toEqual({
				label,
				login: 'publickey',
			});
		}
		expect(await listsWith(server, credentialsFor(server))).toMatch(
			/Authenticated as sftpinterop with password/,
		);
	});

	it('a wrong passphrase names the passphrase; a wrong password is refused, naming the methods', async () => {
		const passphrase = await failureOf(
			server,
			credentialsFor(server, {
				privateKey: run.keys.ed25519.privateKey,
				passphrase: WRONG_PASSPHRASE,
			}),
		);
		expect(passphrase.error.message).toBe('The passphrase does not unlock the private key');
		expectNoSecrets(passphrase.texts);

		const password = await failureOf(server, credentialsFor(server, { password: WRONG_PASSWORD }));
		expect(password.error.message).toBe(
			'The server refused the login (the server accepts: publickey, password; tried: password)',
		);
		// The credential has a password only: the hint names it, and the key the server would also take.
		expect(fixOf(password.error)).toBe(
			'Check the username and password in the credential. The server also accepts publickey: a key may work where the password does not.',
		);
		expectNoSecrets(password.texts);
	});

	it('host key missing: the presented fingerprint, nothing sent (no authentication in the server log)', async () => {
		const offset = await logSize(server);
		const missing = await failureOf(server, withAllSecrets(server, { hostKeyFingerprint: '' }));
		expect(missing.error.message).toBe(
			`The server's host key is not trusted yet: 127.0.0.1:${server.port} presented the ${server.hostKeyType} key ${server.hostKeyFingerprint}. Nothing was sent to it (no password, no key)`,
		);
		expect(missing.all).toContain(`paste ${server.hostKeyFingerprint} into`);
		expectNoSecrets(missing.texts);
		const serverLog = await serverLogAfter(server, offset);
		expect(serverLog).not.toMatch(
			/USERAUTH_REQUEST|USER |PASS |Accepted|Failed|Postponed|userauth/,
		);
	});

	it('host key mismatched names both fingerprints; hex works; Accept Any Host Key works', async () => {
		const other = run.get(name === 'openssh' ? 'proftpd-sftp' : 'openssh');
		const mismatch = await failureOf(
			server,
			withAllSecrets(server, { hostKeyFingerprint: other.hostKeyFingerprint }),
		);
		expect(mismatch.error.message).toContain(`presented the ${server.hostKeyType} key`);
		expect(mismatch.error.message).toContain(server.hostKeyFingerprint);
		expect(mismatch.error.message).toContain(`the credential expects ${other.hostKeyFingerprint}`);
		expectNoSecrets(mismatch.texts);

		for (const colons of [true, false]) {
			const hex = hexOf(server.hostKeyFingerprint, colons);
			expect(await listsWith(server, credentialsFor(server, { hostKeyFingerprint: hex }))).toMatch(
				/Host key matches the credential/,
			);
		}
		// Several fingerprints (a key rotation): one of them matches.
		const rotation = `${other.hostKeyFingerprint}\n${server.hostKeyFingerprint}`;
		await listsWith(server, credentialsFor(server, { hostKeyFingerprint: rotation }));
		const anyKey = await listsWith(
			server,
			credentialsFor(server, { hostKeyFingerprint: '', acceptAnyHostKey: true }),
		);
		expect(anyKey).toContain(`Host key: ${server.hostKeyType} ${server.hostKeyFingerprint}`);
		expect(anyKey).toMatch(/Host key not checked: Accept Any Host Key is on/);
	});

	it('a successful run with the connection log shows no secret', async () => {
		const output = await runFtpNode(withAllSecrets(server), listParameters(server));
		const log = (output[0].json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/Authenticated as sftpinterop with publickey/);
		expect(log).toMatch(/SFTP version 3/);
		expectNoSecrets({ 'the output JSON': JSON.stringify(output) });
	});

	it('the credential test names the server, the host key and the SFTP version', async () => {
		const result = await credentialTest(withAllSecrets(server));
		expect(result.status).toBe('OK');
		const identification = server.server === 'proftpd' ? 'SSH-2.0-mod_sftp' : 'SSH-2.0-OpenSSH_';
		expect(result.message).toContain(`Server: "${identification}`);
		expect(result.message).toContain(
			`Host key: ${server.hostKeyType} ${server.hostKeyFingerprint}`,
		);
		expect(result.message).toContain('SFTP version 3');
		expectNoSecrets({ 'the credential test': result.message });
	});

	/*
	 * The retry must not wait for the dead connection: the connection timeout is 10 s here, a prompt reconnect takes
	 * well under a second.
	 */
	it('a download cut mid-transfer resumes where it stopped, byte-identically and promptly', async () => {
		const remote = remoteOf(server, 'resume/large.bin');
		await fsp.copyFile(largeFile, await writeAsSftpUser(server, 'resume/large.bin', ''));
		const proxy = await startCuttingProxy(server, 'toClient', 2 * 1024 * 1024);
		try {
			const started = Date.now();
			const [item] = await runFtpNode(
				credentialsFor(server, { host: proxy.host, port: proxy.port }),
				{
					protocol: 'sftp',
					operation: 'download',
					path: remote,
					options: { retries: 2, includeConnectionLog: true },
				},
			);
			const elapsedMs = Date.now() - started;
			expect(proxy.stats).toEqual({ connections: 2, cuts: 1 });
			expect(item.json.size).toBe(FIVE_MIB);
			expect(await sha256OfFile(binaryFilePath(item.binary!.data))).toBe(largeFileHash);
			const log = (item.json.connectionLog as string[]).join('\n');
			const resumedAt = /Resuming the download of ".*large\.bin" at byte (\d+)/.exec(log);
			expect(resumedAt).not.toBeNull();
			const offset = Number(resumedAt![1]);
			expect(offset).toBeGreaterThan(0);
			expect(offset).toBeLessThan(FIVE_MIB);
			expect(log).toContain(`READ ${remote} from byte ${offset}: ${FIVE_MIB - offset} bytes`);
			expect(elapsedMs).toBeLessThan(5000);
		} finally {
			await proxy.close();
		}
	});

	it('an upload cut mid-transfer is retried promptly: the target has the new bytes, no temporary file', async () => {
		const remote = remoteOf(server, 'upcut/large.bin');
		await writeAsSftpUser(server, 'upcut/large.bin', 'the old version\n');
		const proxy = await startCuttingProxy(server, 'toServer', 2 * 1024 * 1024);
		try {
			const started = Date.now();
			const [item] = await runFtpNode(
				credentialsFor(server, { host: proxy.host, port: proxy.port }),
				{ protocol: 'sftp', operation: 'upload', path: remote, options: { retries: 2 } },
				{ items: [await binaryItem(createReadStream(largeFile), 'large.bin')] },
			);
			const elapsedMs = Date.now() - started;
			expect(proxy.stats).toEqual({ connections: 2, cuts: 1 });
			expect(item.json).toEqual({ path: remote, size: FIVE_MIB });
			expect(await sha256OfFile(sftpOnDisk(server, remote))).toBe(largeFileHash);
			expect(await fsp.readdir(sftpOnDisk(server, 'upcut'))).toEqual(['large.bin']);
			expect(elapsedMs).toBeLessThan(5000);
		} finally {
			await proxy.close();
		}
	});
});

it('openssh-keyonly with only a password: this server accepts only publickey', async () => {
	const server = run.get('openssh-keyonly');
	const failure = await failureOf(server, credentialsFor(server));
	expect(failure.error.message).toBe(
		'This server accepts only publickey, and the credential has no private key (the server accepts: publickey; tried: none)',
	);
	expect(failure.all).toMatch(
		/Paste a private key whose public key is in the account’s authorized_keys/,
	);
	expectNoSecrets(failure.texts);
	// The same account with the key works.
	await listsWith(server, withAllSecrets(server, { password: '' }));
});

it('openssh-legacy: no algorithm in common without Legacy Algorithms (suggested); works with it', async () => {
	const server = run.get('openssh-legacy');
	const failure = await failureOf(server, withAllSecrets(server));
	expect(failure.error.message).toMatch(
		/^The server and n8n have no (key exchange|host key|cipher|MAC) algorithm in common \(the server offers: .+\)$/,
	);
	expect(failure.error.message).toMatch(/diffie-hellman-group14-sha1|ssh-rsa|aes128-cbc|hmac-sha1/);
	expect(failure.all).toMatch(/Turn on Legacy Algorithms/);
	expectNoSecrets(failure.texts);

	const log = await listsWith(server, credentialsFor(server, { legacyAlgorithms: true }));
	expect(log).toMatch(
		/key exchange diffie-hellman-group14-sha1, host key ssh-rsa, cipher aes128-cbc/,
	);
});

it('openssh-nosftp: the SFTP subsystem is refused, explained as a shell-only account', async () => {
	const server = run.get('openssh-nosftp');
	const failure = await failureOf(server, withAllSecrets(server));
	expect(failure.error.message).toMatch(/^Logged in, but the server did not start SFTP/);
	expect(failure.all).toMatch(/shell only/);
	expect(failure.all).toMatch(/Subsystem sftp/);
	expectNoSecrets(failure.texts);
});

it('the credential test names the step that failed', async () => {
	const openssh = run.get('openssh');
	const closedPort = await new Promise<number>((resolve) => {
		const probe = net.createServer();
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
	const cases: Array<[string, ICredentialDataDecryptedObject]> = [
		['Step 2 of 6, TCP connection', withAllSecrets(openssh, { port: closedPort })],
		['Step 3 of 6, SSH handshake', withAllSecrets(openssh, { hostKeyFingerprint: '' })],
		['Step 4 of 6, authentication', credentialsFor(openssh, { password: WRONG_PASSWORD })],
		['Step 5 of 6, SFTP subsystem', withAllSecrets(run.get('openssh-nosftp'))],
	];
	for (const [step, data] of cases) {
		const result = await credentialTest(data);
		expect({ status: result.status, message: result.message.slice(0, step.length) }).toEqual({
			status: 'Error',
			message: step,
		});
		expectNoSecrets({ [step]: result.message });
	}
});
