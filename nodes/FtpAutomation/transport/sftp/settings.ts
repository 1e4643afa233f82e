import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { utils as sshUtils } from 'ssh2';

import { DEFAULTS } from '../defaults';
import { RemoteFailure } from '../failures';
import { parseHost, parsePort, parseTimeout } from '../settingsFields';
import { parseHostKeyFingerprints } from './hostKey';

/** Everything needed to open an SFTP connection, derived once from the `sftpAutomationApi` credential. */
export interface SftpSettings {
	protocol: 'sftp';
	host: string;
	port: number;
	user: string;
	/** Empty when only a key is used; also answers keyboard-interactive prompts. */
	password: string;
	/** The private key as the library reads it (re-wrapped if it was pasted on one line). */
	privateKey?: string;
	passphrase?: string;
	/** Accepted host keys, as `SHA256:<base64>`; empty means none is trusted (unless acceptAnyHostKey). */
	hostKeyFingerprints: string[];
	acceptAnyHostKey: boolean;
	legacyAlgorithms: boolean;
	timeoutMs: number;
}

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

const PEM_BLOCK = /(-----BEGIN ([A-Z0-9 ]+)-----)([\s\S]*?)(-----END \2-----)/;
const PEM_HEADERS = /^\s*(Proc-Type:\s*\S+)\s+(DEK-Info:\s*\S+)\s*/;

/**
 * The key as OpenSSH wrote it: password fields in the n8n editor are single-line, so a pasted key may arrive with its
 * line breaks turned into spaces or removed, which no key parser reads. PuTTY keys are left as they are.
 */
export function repairPrivateKey(key: string): string {
	if (/^\s*PuTTY-User-Key-File-/.test(key)) return repairPuttyKey(key);
	const match = PEM_BLOCK.exec(key);
	if (!match) return key.trim();
	let body = match[3];
	let headers = '';
	const encrypted = PEM_HEADERS.exec(body);
	if (encrypted) {
		headers = `${encrypted[1].replace(/\s+/g, ' ')}\n${encrypted[2].replace(/\s+/g, ' ')}\n\n`;
		body = body.slice(encrypted[0].length);
	} else if (/Proc-Type:/.test(body)) {
		// Already on several lines: the headers keep their own line breaks.
		return `${key.trim()}\n`;
	}
	const base64 = body.replace(/\s+/g, '');
	return `${match[1]}\n${headers}${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n${match[4]}\n`;
}

/** Node's reading of a PKCS#8 key, or the reason it failed. */
function readPkcs8(key: string, passphrase: string | undefined): KeyObject {
	const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
	let failure: string | undefined;
	let parsed: KeyObject | undefined;
	try {
		parsed = createPrivateKey({ key, format: 'pem', passphrase });
	} catch (error) {
		failure = reason(error);
	}
	if (parsed !== undefined) return parsed;
	throw new RemoteFailure(
		'settings',
		/ENCRYPTED/.test(key)
			? 'The passphrase does not unlock the private key'
			: `The private key cannot be read (${failure ?? 'unknown reason'})`,
		'Check the passphrase, or paste the whole key file including its first and last line.',
	);
}

/**
 * PKCS#8 keys ("BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY"), which the SSH library does not read, in the
 * PEM form it does: PKCS#1 for RSA, SEC1 for ECDSA, unencrypted (the result stays in memory only).
 */
function fromPkcs8(key: string, passphrase: string | undefined): string {
	if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(key)) return key;
	const parsed = readPkcs8(key, passphrase);
	if (parsed.asymmetricKeyType === 'rsa') {
		return parsed.export({ type: 'pkcs1', format: 'pem' }).toString();
	}
	if (parsed.asymmetricKeyType === 'ec') {
		return parsed.export({ type: 'sec1', format: 'pem' }).toString();
	}
	throw new RemoteFailure(
		'settings',
		`The private key is a PKCS#8 ${parsed.asymmetricKeyType ?? 'unknown'} key, which cannot be used in this form`,
		'Convert it to the OpenSSH format with "ssh-keygen -p -f KEYFILE" (it rewrites the file in place) and paste it again.',
	);
}

const PUTTY_ONE_LINE =
	/^PuTTY-User-Key-File-(\d+): (\S+) Encryption: (\S+) Comment:(.*?) ?Public-Lines: \d+ ([A-Za-z0-9+/= ]+?) Private-Lines: \d+ ([A-Za-z0-9+/= ]+?) Private-MAC: ([0-9a-fA-F]+)$/;

/** A PuTTY key pasted on one line, with its header lines and base64 blocks (64 characters a line) restored. */
function repairPuttyKey(key: string): string {
	const flat = key.trim().replace(/\s+/g, ' ');
	const match = PUTTY_ONE_LINE.exec(flat);
	if (!match || /\n/.test(key.trim())) return `${key.trim()}\n`;
	const [, version, type, encryption, comment, publicBlock, privateBlock, mac] = match;
	const lines = (block: string) => block.replace(/ /g, '').match(/.{1,64}/g) ?? [];
	const publicLines = lines(publicBlock);
	const privateLines = lines(privateBlock);
	return [
		`PuTTY-User-Key-File-${version}: ${type}`,
		`Encryption: ${encryption}`,
		`Comment: ${comment.trim()}`,
		`Public-Lines: ${publicLines.length}`,
		...publicLines,
		`Private-Lines: ${privateLines.length}`,
		...privateLines,
		`Private-MAC: ${mac}`,
		'',
	].join('\n');
}

/** Reads the key now, so that a wrong passphrase or an unreadable key is reported as such, not as a refused login. */
function checkPrivateKey(key: string, passphrase: string | undefined): void {
	const parsed = sshUtils.parseKey(key, passphrase);
	if (!(parsed instanceof Error)) return;
	const reason = parsed.message;
	if (/no passphrase given/i.test(reason)) {
		throw new RemoteFailure(
			'settings',
			'The private key is protected by a passphrase, and the credential has none',
			'Enter the key’s passphrase in the Passphrase field.',
		);
	}
	if (/^PuTTY-User-Key-File-/.test(key) && !/passphrase/i.test(reason)) {
		throw new RemoteFailure(
			'settings',
			`This PuTTY key cannot be read (${reason}): only version 2 .ppk files of RSA keys are read directly`,
			'In PuTTYgen, load the key and choose Conversions → Export OpenSSH key (works for every key type), then paste that file; or on Linux: puttygen KEY.ppk -O private-openssh -o KEY.',
		);
	}
	if (/bad passphrase|integrity check failed|decrypt/i.test(reason)) {
		throw new RemoteFailure(
			'settings',
			'The passphrase does not unlock the private key',
			'Re-enter the passphrase the key was created with (check for a trailing space), or paste the matching key.',
		);
	}
	throw new RemoteFailure(
		'settings',
		`The private key cannot be read (${reason})`,
		'Paste the whole private key file, including its first line (e.g. "-----BEGIN OPENSSH PRIVATE KEY-----") and last line. OpenSSH, PEM (PKCS#1, PKCS#8) and PuTTY .ppk version 2 keys are read; convert others with "ssh-keygen -p -f KEY" or PuTTYgen (Conversions → Export OpenSSH key).',
	);
}

/** Validates the credential and turns it into connection settings; throws RemoteFailure naming the bad field. */
export function toSftpSettings(credentials: ICredentialDataDecryptedObject): SftpSettings {
	const host = parseHost(credentials.host, 'sftp');
	const port = parsePort(credentials.port, 22, 'SFTP usually listens on port 22.');
	const user = text(credentials.username);
	if (user === '') {
		throw new RemoteFailure(
			'settings',
			'The credential has no username',
			'Enter the username of the SFTP account.',
		);
	}
	const password = typeof credentials.password === 'string' ? credentials.password : '';
	const keyText = text(credentials.privateKey);
	const passphraseText = typeof credentials.passphrase === 'string' ? credentials.passphrase : '';
	if (password === '' && keyText === '') {
		throw new RemoteFailure(
			'settings',
			'The credential has neither a password nor a private key',
			'Enter the password of the SFTP account, or paste a private key the server accepts.',
		);
	}
	const settings: SftpSettings = {
		protocol: 'sftp',
		host,
		port,
		user,
		password,
		hostKeyFingerprints: parseHostKeyFingerprints(credentials.hostKeyFingerprint),
		acceptAnyHostKey: credentials.acceptAnyHostKey === true,
		legacyAlgorithms: credentials.legacyAlgorithms === true,
		timeoutMs: parseTimeout(credentials.connectionTimeout, DEFAULTS.connectionTimeoutSeconds),
	};
	if (keyText !== '') {
		const passphrase = passphraseText === '' ? undefined : passphraseText;
		const privateKey = fromPkcs8(repairPrivateKey(keyText), passphrase);
		checkPrivateKey(privateKey, passphrase);
		settings.privateKey = privateKey;
		settings.passphrase = passphrase;
	}
	return settings;
}

/** Values that must never appear anywhere: the password, the passphrase, and the key (every line of it). */
export function sftpSecretsOf(settings: SftpSettings): string[] {
	const key = settings.privateKey ?? '';
	const keyLines = key
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line.length >= 16 && !line.startsWith('-----'));
	return [settings.password, settings.passphrase ?? '', key, key.trim(), ...keyLines].filter(
		(secret) => secret.length > 0,
	);
}
