/**
 * PuTTY keys: a key converted by PuTTY's own puttygen (putty-tools, installed by scripts/sftp-servers.sh) logs in
 * over SFTP, as the credential's Private Key field promises: a `.ppk` version 2 file of an RSA key (what the SSH
 * library reads), with and without a passphrase, also pasted on one line. Version 3 (PuTTY ≥ 0.75's default) and
 * other key types are refused with a message that says how to export an OpenSSH key. Against the in-process SFTP
 * server.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { utils as sshUtils } from 'ssh2';

import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { ed25519KeyPair } from '../../tools/sshKeys';
import { failingRun, runFtpNode } from '../helpers/nodeRun';

const PASSPHRASE = 'putty pass 1';
const key = sshUtils.generateKeyPairSync('rsa', { bits: 2048 });
const ed25519 = ed25519KeyPair();
let folder: string;
let server: TestSftpServer;

/** The key converted by puttygen into a .ppk file of the given version, with the passphrase or without. */
function ppk(version: 2 | 3, passphrase?: string, privateKey = key.private): string {
	const input = join(folder, 'id_key');
	writeFileSync(input, privateKey, { mode: 0o600 });
	const output = join(folder, `key-v${version}${passphrase ? '-pw' : ''}.ppk`);
	const passFile = join(folder, 'pass');
	writeFileSync(passFile, passphrase ?? '');
	execFileSync('puttygen', [
		input,
		'-O',
		'private',
		'-o',
		output,
		'--ppk-param',
		`version=${version}`,
		'--new-passphrase',
		passFile,
	]);
	return readFileSync(output, 'utf8');
}

const credentials = (privateKey: string, passphrase = '') => ({
	host: server.host,
	port: server.port,
	username: server.username,
	password: '',
	privateKey,
	passphrase,
	hostKeyFingerprint: server.hostKeyFingerprint,
	connectionTimeout: 10,
});

beforeAll(async () => {
	folder = mkdtempSync(join(tmpdir(), 'ppk-'));
	server = await startSftpServer({ authMethods: ['publickey'], authorizedKeys: [key.public] });
});

afterAll(async () => {
	await server?.close();
	rmSync(folder, { recursive: true, force: true });
});

describe('PuTTY .ppk keys (puttygen)', () => {
	it.each([
		['without a passphrase', undefined],
		['with a passphrase', PASSPHRASE],
	])('logs in with a version 2 key %s', async (_, passphrase) => {
		const text = ppk(2, passphrase);
		expect(text).toMatch(/^PuTTY-User-Key-File-2: ssh-rsa/);
		const [created] = await runFtpNode(credentials(text, passphrase), {
			protocol: 'sftp',
			operation: 'createFolder',
			path: `/ppk-${passphrase ? 'pw' : 'plain'}`,
			options: { includeConnectionLog: true },
		});
		expect((created.json.connectionLog as string[]).join('\n')).toMatch(/with publickey/);
	});

	it('logs in with a version 2 key pasted on one line', async () => {
		const oneLine = ppk(2, PASSPHRASE).replace(/\r?\n/g, ' ');
		expect(oneLine).not.toContain('\n');
		const listed = await runFtpNode(credentials(oneLine, PASSPHRASE), {
			protocol: 'sftp',
			operation: 'list',
			path: '/',
		});
		expect(listed.map((item) => item.json.name)).toContain('ppk-pw');
	});

	it.each([
		['a version 3 key', () => ppk(3)],
		['an ed25519 key', () => ppk(2, undefined, ed25519.private)],
	])('refuses %s with a message that says how to export one it reads', async (_, make) => {
		const error = await failingRun(credentials(make()), {
			protocol: 'sftp',
			operation: 'list',
			path: '/',
		});
		expect(error.message).toMatch(/This PuTTY key cannot be read/);
		expect(error.description).toMatch(/Export OpenSSH key/);
	});
});
