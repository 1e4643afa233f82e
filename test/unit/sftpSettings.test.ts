import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils as sshUtils } from 'ssh2';

import { RemoteFailure } from '../../nodes/FtpAutomation/transport';
import {
	describeHostKey,
	parseHostKeyFingerprints,
} from '../../nodes/FtpAutomation/transport/sftp/hostKey';
import {
	repairPrivateKey,
	sftpSecretsOf,
	toSftpSettings,
} from '../../nodes/FtpAutomation/transport/sftp/settings';
import { ed25519KeyPair } from '../../tools/sshKeys';

const base = { host: 'sftp.example.com', username: 'alice', password: 'pw-Secret-1' };
const PASSPHRASE = 'correct horse battery';
const ed25519 = ed25519KeyPair(PASSPHRASE);

function failureOf(run: () => unknown): RemoteFailure {
	try {
		run();
	} catch (error) {
		if (error instanceof RemoteFailure) return error;
		throw error;
	}
	throw new Error('expected a RemoteFailure');
}

/** A key in the format `ssh-keygen` writes it (e.g. PEM with Proc-Type headers), made by the real tool. */
function keygen(args: string[]): string {
	const folder = mkdtempSync(join(tmpdir(), 'sftp-key-'));
	try {
		execFileSync('ssh-keygen', ['-q', ...args, '-f', join(folder, 'key')]);
		return readFileSync(join(folder, 'key'), 'utf8');
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

describe('toSftpSettings', () => {
	it('defaults to port 22, a 30 s timeout, no trusted host key and modern algorithms only', () => {
		const settings = toSftpSettings(base);
		expect(settings).toMatchObject({
			protocol: 'sftp',
			host: 'sftp.example.com',
			port: 22,
			user: 'alice',
			timeoutMs: 30000,
			hostKeyFingerprints: [],
			acceptAnyHostKey: false,
			legacyAlgorithms: false,
		});
		expect(settings.privateKey).toBeUndefined();
	});

	it.each([
		[{ ...base, host: '' }, /no host/],
		[{ ...base, host: 'sftp://files.example.com/in' }, /URL scheme/],
		[{ ...base, port: 70000 }, /port 70000 is not valid/],
		[{ ...base, username: ' ' }, /no username/],
		[{ host: 'h', username: 'u' }, /neither a password nor a private key/],
		[{ ...base, connectionTimeout: -1 }, /timeout -1 is not valid/],
	])('rejects a bad credential: %j', (credential, message) => {
		const failure = failureOf(() => toSftpSettings(credential));
		expect(failure.step).toBe('settings');
		expect(failure.message).toMatch(message);
	});

	it('reads an OpenSSH key with its passphrase, without a password', () => {
		const settings = toSftpSettings({
			host: 'h',
			username: 'u',
			privateKey: ed25519.private,
			passphrase: PASSPHRASE,
		});
		expect(settings.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
		expect(settings.passphrase).toBe(PASSPHRASE);
	});

	it('names a missing or wrong passphrase, and an unreadable key, before connecting', () => {
		const key = { host: 'h', username: 'u', privateKey: ed25519.private };
		expect(failureOf(() => toSftpSettings(key)).message).toMatch(
			/protected by a passphrase, and the credential has none/,
		);
		expect(failureOf(() => toSftpSettings({ ...key, passphrase: 'wrong' })).message).toMatch(
			/passphrase does not unlock the private key/,
		);
		const garbage = failureOf(() =>
			toSftpSettings({ ...key, privateKey: 'ssh-ed25519 AAAAC3Nza public key' }),
		);
		expect(garbage.message).toMatch(/private key cannot be read/);
		expect(garbage.hint).toMatch(/BEGIN OPENSSH PRIVATE KEY/);
	});

	it('repairs an OpenSSH key pasted on one line', () => {
		const oneLine = ed25519.private.replace(/\n/g, ' ');
		const settings = toSftpSettings({
			host: 'h',
			username: 'u',
			privateKey: oneLine,
			passphrase: PASSPHRASE,
		});
		const parsed = sshUtils.parseKey(settings.privateKey!, PASSPHRASE);
		expect(parsed).not.toBeInstanceOf(Error);
	});

	it('repairs an encrypted PEM (PKCS#1) key pasted on one line, headers included', () => {
		const pem = keygen(['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', PASSPHRASE]);
		expect(pem).toMatch(/Proc-Type: 4,ENCRYPTED/);
		const repaired = repairPrivateKey(pem.replace(/\n/g, ' '));
		expect(repaired).toMatch(
			/^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: /,
		);
		const parsed = sshUtils.parseKey(repaired, PASSPHRASE);
		expect(parsed).not.toBeInstanceOf(Error);
		// Already well-formed keys are left as they are.
		expect(sshUtils.parseKey(repairPrivateKey(pem), PASSPHRASE)).not.toBeInstanceOf(Error);
	});

	it('reads PKCS#8 RSA and ECDSA keys, also encrypted; names an ed25519 one it cannot use', () => {
		const pkcs8 = (type: 'rsa' | 'ec' | 'ed25519', passphrase?: string) =>
			generateKeyPairSync(
				type as 'rsa',
				{
					modulusLength: 2048,
					namedCurve: 'P-256',
					privateKeyEncoding: {
						type: 'pkcs8',
						format: 'pem',
						...(passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}),
					},
					publicKeyEncoding: { type: 'spki', format: 'pem' },
				} as never,
			).privateKey as unknown as string;
		const key = (privateKey: string, passphrase?: string) =>
			toSftpSettings({ host: 'h', username: 'u', privateKey, passphrase: passphrase ?? '' })
				.privateKey!;
		expect(pkcs8('rsa')).toContain('BEGIN PRIVATE KEY');
		expect(sshUtils.parseKey(key(pkcs8('rsa')))).not.toBeInstanceOf(Error);
		expect(sshUtils.parseKey(key(pkcs8('ec')))).not.toBeInstanceOf(Error);
		const encrypted = pkcs8('rsa', PASSPHRASE);
		expect(encrypted).toContain('BEGIN ENCRYPTED PRIVATE KEY');
		expect(sshUtils.parseKey(key(encrypted, PASSPHRASE))).not.toBeInstanceOf(Error);
		expect(failureOf(() => key(encrypted, 'wrong')).message).toMatch(/passphrase does not unlock/);
		expect(failureOf(() => key(pkcs8('ed25519'))).hint).toMatch(/ssh-keygen -p -f/);
	});

	it('treats the password, the passphrase and every line of the key as secrets', () => {
		const settings = toSftpSettings({
			...base,
			privateKey: ed25519.private,
			passphrase: PASSPHRASE,
		});
		const secrets = sftpSecretsOf(settings);
		expect(secrets).toContain('pw-Secret-1');
		expect(secrets).toContain(PASSPHRASE);
		const bodyLines = ed25519.private
			.split('\n')
			.filter((line) => line.length >= 16 && !line.startsWith('-----'));
		expect(bodyLines.length).toBeGreaterThan(2);
		for (const line of bodyLines) expect(secrets).toContain(line);
	});
});

describe('host key fingerprints', () => {
	const blob = Buffer.concat([
		Buffer.from([0, 0, 0, 11]),
		Buffer.from('ssh-ed25519'),
		Buffer.from([0, 0, 0, 32]),
		Buffer.alloc(32, 7),
	]);
	const digest = createHash('sha256').update(blob).digest();
	const base64 = `SHA256:${digest.toString('base64').replace(/=+$/, '')}`;

	it('describes a host key blob as ssh-keygen -l does', () => {
		expect(describeHostKey(blob)).toEqual({ type: 'ssh-ed25519', fingerprint: base64 });
		expect(describeHostKey(Buffer.from([0xff, 0xff, 0xff, 0xff])).type).toBe('unknown');
	});

	it('accepts base64, hex with or without colons, a whole ssh-keygen line, several lines', () => {
		const hex = digest.toString('hex');
		const colons = hex.match(/../g)!.join(':').toUpperCase();
		expect(parseHostKeyFingerprints(base64)).toEqual([base64]);
		expect(parseHostKeyFingerprints(hex)).toEqual([base64]);
		expect(parseHostKeyFingerprints(`SHA256:${colons}`)).toEqual([base64]);
		expect(parseHostKeyFingerprints(`256 ${base64} [host]:22 (ED25519)`)).toEqual([base64]);
		expect(parseHostKeyFingerprints(`${base64}=`)).toEqual([base64]);
		expect(parseHostKeyFingerprints(`\n ${base64}\r\n${hex} \n`)).toEqual([base64, base64]);
		expect(parseHostKeyFingerprints('')).toEqual([]);
	});

	it('rejects MD5 and other text, saying how to get the right one', () => {
		const md5 = failureOf(() => parseHostKeyFingerprints('MD5:' + '0a:'.repeat(15) + '0b'));
		expect(md5.message).toMatch(/is not a SHA-256 fingerprint \(it is an MD5 one\)/);
		expect(md5.hint).toMatch(/ssh-keyscan/);
		expect(failureOf(() => parseHostKeyFingerprints('not a fingerprint')).step).toBe('settings');
	});
});
