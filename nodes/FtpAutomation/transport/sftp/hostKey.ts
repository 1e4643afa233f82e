import { createHash } from 'node:crypto';

import { RemoteFailure } from '../failures';

/** The server's host key as the handshake presented it. */
export interface PresentedHostKey {
	/** e.g. "ssh-ed25519". */
	type: string;
	/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
	fingerprint: string;
}

/** Type and SHA-256 fingerprint of a host key blob (the SSH wire format: a string naming the type, then the key). */
export function describeHostKey(blob: Buffer): PresentedHostKey {
	const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
	const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
	const type =
		typeLength > 0 && typeLength <= 64 && blob.length >= 4 + typeLength
			? blob.subarray(4, 4 + typeLength).toString('latin1')
			: 'unknown';
	return { type: /^[\w@.-]+$/.test(type) ? type : 'unknown', fingerprint };
}

const HOW_TO_CHECK =
	'Ask the server’s administrator for its SHA-256 host key fingerprint (on the server: "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub"), or read it from a machine you trust with "ssh-keyscan -p PORT HOST | ssh-keygen -lf -"';

/** One written fingerprint in its canonical form, or undefined when it is not one. */
function canonicalFingerprint(written: string): string | undefined {
	// A whole `ssh-keygen -l` line ("256 SHA256:… host (ED25519)") is accepted too.
	const inLine = /SHA256:([A-Za-z0-9+/]{43})=?/.exec(written);
	if (inLine) return `SHA256:${inLine[1]}`;
	const hex = written.replace(/^sha-?256[:=\s]*/i, '').replace(/[\s:]/g, '');
	if (/^[0-9a-fA-F]{64}$/.test(hex)) {
		return `SHA256:${Buffer.from(hex, 'hex').toString('base64').replace(/=+$/, '')}`;
	}
	return undefined;
}

/**
 * The fingerprints the credential trusts: one per line (several during a key rotation), each as `SHA256:base64`
 * (what `ssh-keygen -l` prints) or as 64 hexadecimal digits with or without colons.
 */
export function parseHostKeyFingerprints(value: unknown): string[] {
	const written = typeof value === 'string' ? value : '';
	const lines = written
		.split(/[\r\n,]+/)
		.map((line) => line.trim())
		.filter((line) => line !== '');
	return lines.map((line) => {
		const fingerprint = canonicalFingerprint(line);
		if (fingerprint !== undefined) return fingerprint;
		const md5 = /^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(line);
		throw new RemoteFailure(
			'settings',
			`The host key fingerprint "${line}" is not a SHA-256 fingerprint${md5 ? ' (it is an MD5 one)' : ''}`,
			`Enter it as "ssh-keygen -l" prints it, e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s, or as 64 hexadecimal digits; one per line. ${HOW_TO_CHECK}. A failed connection also shows the fingerprint the server presented.`,
		);
	});
}

/** Why a host key was not accepted: thrown before any password or key is sent. */
export class HostKeyRefused extends Error {
	constructor(
		readonly presented: PresentedHostKey,
		readonly expected: string[],
	) {
		super(
			expected.length === 0
				? `No host key fingerprint is set; the server presented ${presented.type} ${presented.fingerprint}`
				: `Host key mismatch: the server presented ${presented.type} ${presented.fingerprint}, the credential expects ${expected.join(' or ')}`,
		);
		this.name = 'HostKeyRefused';
	}

	explain(host: string, port: number): RemoteFailure {
		const { type, fingerprint } = this.presented;
		if (this.expected.length === 0) {
			return new RemoteFailure(
				'handshake',
				`The server's host key is not trusted yet: ${host}:${port} presented the ${type} key ${fingerprint}. Nothing was sent to it (no password, no key)`,
				`Check that this is your server's key, then paste ${fingerprint} into the credential's Host Key Fingerprint field. ${HOW_TO_CHECK}. (Accept Any Host Key would skip this check, which lets anyone on the network path read the password and the files.)`,
			);
		}
		return new RemoteFailure(
			'handshake',
			`The server's host key does not match the credential: ${host}:${port} presented the ${type} key ${fingerprint}, the credential expects ${this.expected.join(' or ')}. Nothing was sent to it (no password, no key)`,
			`If the server's key was changed on purpose (a new server, a key rotation), check the new fingerprint with its administrator and put it into Host Key Fingerprint. Otherwise someone may be intercepting the connection: do not connect. ${HOW_TO_CHECK}.`,
		);
	}
}

/** Whether the presented key is one the settings trust; throws HostKeyRefused (kept by the caller) when it is not. */
export function checkHostKey(presented: PresentedHostKey, expected: string[]): void {
	if (!expected.includes(presented.fingerprint)) throw new HostKeyRefused(presented, expected);
}
