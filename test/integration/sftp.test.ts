/**
 * The node over SFTP against the in-process SFTP server (tools/sftpServer.ts), through n8n's real execution context:
 * every operation with bytes compared by SHA-256, the engine's guarantees that depend on what the server does
 * (resume after a drop, a stalled server, a full disk, no posix-rename, a connection limit), and what the user is told
 * about host keys, authentication and a shell-only account. Real OpenSSH and ProFTPD: test/interop/sftp*.test.ts.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';
import { utils as sshUtils } from 'ssh2';

import { FtpAutomation } from '../../nodes/FtpAutomation/FtpAutomation.node';
import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { ed25519KeyPair } from '../../tools/sshKeys';
import {
	binaryItem,
	cleanupBinaryData,
	initBinaryData,
	pollNode,
	readBinary,
} from '../../tools/n8nHarness';
import { failingRun, runFtpNode, sha256, within } from '../helpers/nodeRun';
import { logOf } from '../helpers/shownError';

const KEY_PASSPHRASE = 'sftp key passphrase 1';
const clientKey = ed25519KeyPair(KEY_PASSPHRASE);
const SECRET_KEY_LINES = clientKey.private
	.split('\n')
	.filter((line) => line.length >= 16 && !line.startsWith('-----'));

let server: TestSftpServer;

function credentialsFor(
	target: TestSftpServer,
	overrides: Partial<ICredentialDataDecryptedObject> = {},
): ICredentialDataDecryptedObject {
	return {
		host: target.host,
		port: target.port,
		username: target.username,
		password: target.password,
		hostKeyFingerprint: target.hostKeyFingerprint,
		connectionTimeout: 5,
		...overrides,
	} as ICredentialDataDecryptedObject;
}

const sftp = (parameters: INodeParameters): INodeParameters => ({
	protocol: 'sftp',
	...parameters,
});

/** Everything a user could see of a failure: none of the secrets may be in it. */
function expectNoSecrets(seen: string, password = server.password): void {
	for (const secret of [password, KEY_PASSPHRASE, ...SECRET_KEY_LINES]) {
		expect(seen).not.toContain(secret);
	}
}

async function failureText(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
): Promise<string> {
	const error = await failingRun(credentials, sftp(parameters));
	const text = `${error.message}\n${error.description ?? ''}\n${JSON.stringify(error.context ?? {})}\n${logOf(error)}`;
	expectNoSecrets(text);
	return text;
}

async function onServer(relative: string): Promise<Buffer> {
	return await fsp.readFile(path.join(server.root, relative));
}

beforeAll(async () => {
	await initBinaryData();
	server = await startSftpServer({
		authorizedKeys: [sshUtils.parseKey(clientKey.public) instanceof Error ? '' : clientKey.public],
	});
});

afterAll(async () => {
	await server?.close();
	await cleanupBinaryData();
});

/** Faults are changed on the server's live settings object (see tools/sftpServer.ts). */
function setFaults(faults: TestSftpServer['faults']): void {
	server.faults.dropAfterReadBytes = undefined;
	server.faults.stallAfterReadBytes = undefined;
	server.faults.failWrites = undefined;
	Object.assign(server.faults, faults);
}

beforeEach(() => setFaults({}));

describe('SFTP operations (in-process server)', () => {
	it('uploads, lists, downloads, renames, creates folders and deletes, bytes compared by SHA-256', async () => {
		const credentials = credentialsFor(server);
		const content = Buffer.from('id;name\n1;Ada\n2;Grace\n'.repeat(5000));
		const [uploaded] = await runFtpNode(
			credentials,
			sftp({
				operation: 'upload',
				path: '/in/März 東京.csv',
				binaryData: true,
				binaryPropertyName: 'data',
				options: { createDirectories: true, includeConnectionLog: true },
			}),
			{ items: [await binaryItem(content, 'report.csv')] },
		);
		expect(uploaded.json).toMatchObject({ path: '/in/März 東京.csv', size: content.length });
		expect(sha256(await onServer('in/März 東京.csv'))).toBe(sha256(content));
		const log = (uploaded.json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/Connected: 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ after \d+ ms/);
		expect(log).toMatch(/Server identification: SSH-2\.0-/);
		expect(log).toMatch(/STAT \/in: (OK|no such file) \(\d+ ms\)/);
		expect(log).toMatch(/SSH handshake: key exchange \S+, host key ssh-ed25519, cipher \S+, MAC /);
		expect(log).toContain(`Host key: ssh-ed25519 ${server.hostKeyFingerprint}`);
		expect(log).toMatch(/Authenticated as tester with password \(the server accepts: .*password/);
		expect(log).toMatch(/SFTP version 3, extensions: posix-rename@openssh\.com/);
		expect(log).toMatch(/WRITE \/in\/\.März 東京\.csv\.\w+\.part \(replace\): \d+ bytes/);
		expect(log).toMatch(/POSIX-RENAME .* → \/in\/März 東京\.csv: OK/);
		expectNoSecrets(log);

		const listed = await runFtpNode(credentials, sftp({ operation: 'list', path: '/in' }));
		expect(listed.map((item) => item.json.name)).toEqual(['März 東京.csv']);
		expect(listed[0].json).toMatchObject({
			type: 'file',
			size: content.length,
			permissions: expect.stringMatching(/^r[w-]-/),
		});
		expect(Date.parse(listed[0].json.modifiedAt as string)).toBeGreaterThan(Date.now() - 600_000);

		const [downloaded] = await runFtpNode(
			credentials,
			sftp({ operation: 'download', path: '/in/März 東京.csv', binaryPropertyName: 'data' }),
		);
		expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(content));

		await runFtpNode(
			credentials,
			sftp({ operation: 'createFolder', path: '/archive/2026', options: { recursive: true } }),
		);
		await runFtpNode(
			credentials,
			sftp({ operation: 'rename', oldPath: '/in/März 東京.csv', newPath: '/archive/2026/a.csv' }),
		);
		expect(sha256(await onServer('archive/2026/a.csv'))).toBe(sha256(content));
		await runFtpNode(
			credentials,
			sftp({ operation: 'delete', path: '/archive', options: { folder: true, recursive: true } }),
		);
		await expect(fsp.stat(path.join(server.root, 'archive'))).rejects.toThrow(/ENOENT/);
		expect(await fsp.readdir(path.join(server.root, 'in'))).toEqual([]);
	});

	it('lists sorted by name, leaving names with control characters out, and says so', async () => {
		await fsp.mkdir(path.join(server.root, 'odd'), { recursive: true });
		await fsp.writeFile(path.join(server.root, 'odd', 'fine.txt'), 'ok');
		await fsp.writeFile(path.join(server.root, 'odd', 'evil\r\nname.txt'), 'x');
		for (const name of ['zeta.txt', 'b.txt', 'alpha.txt']) {
			await fsp.writeFile(path.join(server.root, 'odd', name), name);
		}
		const listed = await runFtpNode(
			credentialsFor(server),
			sftp({ operation: 'list', path: '/odd', options: { includeConnectionLog: true } }),
		);
		// Sorted by name, whatever order the server's directory has.
		expect(listed.map((item) => item.json.name)).toEqual([
			'alpha.txt',
			'b.txt',
			'fine.txt',
			'zeta.txt',
		]);
		expect((listed[0].json.connectionLog as string[]).join('\n')).toMatch(
			/Left out 1 entry of "\/odd" whose name is not a plain name in it .*"evil\\r\\nname\.txt"/,
		);
	});

	it('logs in with a key protected by a passphrase, and with keyboard-interactive', async () => {
		const keyOnly = credentialsFor(server, {
			password: '',
			privateKey: clientKey.private,
			passphrase: KEY_PASSPHRASE,
		});
		const [key] = await runFtpNode(
			keyOnly,
			sftp({ operation: 'list', path: '/', options: { includeConnectionLog: true } }),
		);
		expect((key.json.connectionLog as string[]).join('\n')).toMatch(/with publickey/);

		const interactive = await startSftpServer({ authMethods: ['keyboard-interactive'] });
		try {
			const [listed] = await runFtpNode(
				credentialsFor(interactive),
				sftp({ operation: 'createFolder', path: '/made' }),
			);
			expect(listed.json).toMatchObject({ path: '/made' });
		} finally {
			await interactive.close();
		}
	});

	it('resumes a download the server dropped, byte-identically', async () => {
		const content = Buffer.from(Buffer.alloc(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) % 251));
		await fsp.writeFile(path.join(server.root, 'big.bin'), content);
		setFaults({ dropAfterReadBytes: 1024 * 1024 });
		const [downloaded] = await runFtpNode(
			credentialsFor(server),
			sftp({
				operation: 'download',
				path: '/big.bin',
				binaryPropertyName: 'data',
				options: { retries: 2, includeConnectionLog: true },
			}),
		);
		expect(sha256(await readBinary(downloaded.binary!.data))).toBe(sha256(content));
		const log = (downloaded.json.connectionLog as string[]).join('\n');
		expect(log).toMatch(/Resuming the download of "\/big\.bin" at byte [1-9]\d*/);
		expect(log).toMatch(/READ \/big\.bin from byte [1-9]\d*/);
	});

	it('gives up a server that stops answering mid-download, within the timeout', async () => {
		await fsp.writeFile(path.join(server.root, 'stall.bin'), Buffer.alloc(2 * 1024 * 1024, 1));
		setFaults({ stallAfterReadBytes: 256 * 1024 });
		const text = await within(
			20_000,
			failureText(credentialsFor(server, { connectionTimeout: 1 }), {
				operation: 'download',
				path: '/stall.bin',
				binaryPropertyName: 'data',
				options: { retries: 0 },
			}),
		);
		expect(text).toMatch(
			/The transfer stalled: The server did not answer read requests within 1 s/,
		);
	});

	it('explains a full disk and leaves no temporary file', async () => {
		setFaults({ failWrites: { status: 'failure', message: 'No space left on device' } });
		const text = await failureText(credentialsFor(server), {
			operation: 'upload',
			path: '/full/data.bin',
			binaryData: false,
			fileContent: 'x'.repeat(100_000),
			options: { createDirectories: true },
		});
		expect(text).toMatch(/no space left for this user/i);
		expect(await fsp.readdir(path.join(server.root, 'full'))).toEqual([]);
	});

	it('replaces an existing file on a server without posix-rename (moved aside, then removed)', async () => {
		const plain = await startSftpServer({ posixRename: false });
		try {
			await fsp.writeFile(path.join(plain.root, 'target.txt'), 'old');
			const [stored] = await runFtpNode(
				credentialsFor(plain),
				sftp({
					operation: 'upload',
					path: '/target.txt',
					binaryData: false,
					fileContent: 'new content',
					options: { includeConnectionLog: true },
				}),
			);
			expect(await fsp.readFile(path.join(plain.root, 'target.txt'), 'utf8')).toBe('new content');
			expect(await fsp.readdir(plain.root)).toEqual(['target.txt']);
			expect((stored.json.connectionLog as string[]).join('\n')).toMatch(
				/Replaced the existing "\/target\.txt": moved it aside/,
			);
		} finally {
			await plain.close();
		}
	});

	it('runs Concurrency 16 against a server that refuses connections beyond 3', async () => {
		const limited = await startSftpServer({ faults: { maxConnections: 3 } });
		try {
			const names = Array.from({ length: 24 }, (_, index) => `f${index}.txt`);
			for (const name of names) await fsp.writeFile(path.join(limited.root, name), name);
			const items = names.map((name) => ({ json: { name } }));
			const output = await runFtpNode(
				credentialsFor(limited),
				sftp({
					operation: 'download',
					path: '={{"/" + $json.name}}',
					binaryPropertyName: 'data',
					options: { concurrency: 16 },
				}),
				{ items },
			);
			expect(output).toHaveLength(24);
			for (const [index, item] of output.entries()) {
				expect((await readBinary(item.binary!.data)).toString()).toBe(names[index]);
			}
			expect(limited.refusedConnections).toBeGreaterThan(0);
		} finally {
			await limited.close();
		}
	});
});

describe('the trigger over SFTP (in-process server)', () => {
	it('emits a new file once, downloaded and moved to the archive', async () => {
		await fsp.mkdir(path.join(server.root, 'drop'), { recursive: true });
		await fsp.writeFile(path.join(server.root, 'drop', 'old.csv'), 'old');
		const staticData = {};
		const poll = async () =>
			(await pollNode({
				nodeType: new FtpAutomationTrigger(),
				parameters: {
					protocol: 'sftp',
					path: '/drop',
					options: { download: true, afterDownload: 'moveTo', moveToFolder: '/done' },
				},
				credentials: { sftpAutomationApi: credentialsFor(server) },
				staticData,
			})) ?? [];
		expect(await poll()).toEqual([]);
		await fsp.writeFile(path.join(server.root, 'drop', 'new.csv'), 'id\n1\n');
		const emitted = await poll();
		expect(emitted.map((item) => item.json.name)).toEqual(['new.csv']);
		expect((await readBinary(emitted[0].binary!.data)).toString()).toBe('id\n1\n');
		expect(await fsp.readdir(path.join(server.root, 'done'))).toEqual(['new.csv']);
		expect(await poll()).toEqual([]);
		expect(await fsp.readdir(path.join(server.root, 'drop'))).toEqual(['old.csv']);
	});
});

describe('SFTP failures the user can act on (in-process server)', () => {
	it('refuses an unknown host key before anything is sent, showing the fingerprint to check', async () => {
		const before = server.requests.length;
		const text = await failureText(credentialsFor(server, { hostKeyFingerprint: '' }), {
			operation: 'list',
			path: '/',
		});
		expect(text).toContain(`presented the ssh-ed25519 key ${server.hostKeyFingerprint}`);
		expect(text).toMatch(/Nothing was sent to it \(no password, no key\)/);
		expect(text).toMatch(/ssh-keyscan/);
		expect(server.requests.length).toBe(before);
	});

	it('names both fingerprints when the host key does not match', async () => {
		const other = 'SHA256:' + 'A'.repeat(43);
		const text = await failureText(credentialsFor(server, { hostKeyFingerprint: other }), {
			operation: 'list',
			path: '/',
		});
		expect(text).toContain(server.hostKeyFingerprint);
		expect(text).toContain(other);
		expect(text).toMatch(/does not match/);
	});

	it('connects to any host key only when told to', async () => {
		const output = await runFtpNode(
			credentialsFor(server, { hostKeyFingerprint: '', acceptAnyHostKey: true }),
			sftp({ operation: 'list', path: '/', options: { includeConnectionLog: true } }),
		);
		expect(JSON.stringify(output)).toMatch(/Host key not checked: Accept Any Host Key is on/);
	});

	it('says which methods a server accepts when it refuses the login', async () => {
		const wrong = await failureText(credentialsFor(server, { password: 'not-the-password-9' }), {
			operation: 'list',
			path: '/',
		});
		expect(wrong).toMatch(/The server refused the login \(the server accepts: password, publickey/);

		const keysOnly = await startSftpServer({ authMethods: ['publickey'] });
		try {
			const text = await failureText(credentialsFor(keysOnly), { operation: 'list', path: '/' });
			expect(text).toMatch(/This server accepts only publickey/);
		} finally {
			await keysOnly.close();
		}
	});

	it('explains a shell-only account (no SFTP subsystem)', async () => {
		const shellOnly = await startSftpServer({ sftpSubsystem: false });
		try {
			const text = await failureText(credentialsFor(shellOnly), { operation: 'list', path: '/' });
			expect(text).toMatch(/did not start SFTP for this account/);
			expect(text).toMatch(/Subsystem sftp/);
		} finally {
			await shellOnly.close();
		}
	});

	it('names a missing file and a refused permission', async () => {
		expect(
			await failureText(credentialsFor(server), {
				operation: 'download',
				path: '/no/such.txt',
				binaryPropertyName: 'data',
			}),
		).toMatch(/No such file or folder while trying to download "\/no\/such\.txt"/);
	});
});

describe('the SFTP credential test (in-process server)', () => {
	const test = async (data: ICredentialDataDecryptedObject) =>
		await new FtpAutomation().methods.credentialTest.sftpAutomationApiTest.call({} as never, {
			id: '1',
			name: 'SFTP',
			type: 'sftpAutomationApi',
			data,
		});

	it('reports the server, its host key and the SFTP version on success', async () => {
		const result = await test(credentialsFor(server));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/^Connected to 127\.0\.0\.1:\d+ over SFTP \(SSH, key exchange/);
		expect(result.message).toContain(`Host key: ssh-ed25519 ${server.hostKeyFingerprint}`);
		expect(result.message).toMatch(/SFTP version 3/);
		expect(result.message).toMatch(/Server: "SSH-2\.0-/);
	});

	it.each([
		[
			{ hostKeyFingerprint: '' },
			/^Step 3 of 6, SSH handshake: The server's host key is not trusted yet/,
		],
		[
			{ password: 'wrong-password-1' },
			/^Step 4 of 6, authentication: The server refused the login/,
		],
		[{ port: 1 }, /^Step 2 of 6, TCP connection: The connection to 127\.0\.0\.1:1 was refused/],
		[{ host: 'sftp://x' }, /^Checking the credential: The host "sftp:\/\/x" contains a URL scheme/],
	])('names the step that failed: %j', async (overrides, message) => {
		const result = await test(credentialsFor(server, overrides));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(message);
		expectNoSecrets(result.message);
	});
});
