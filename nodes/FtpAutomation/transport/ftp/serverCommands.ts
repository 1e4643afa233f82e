import type { Client } from 'basic-ftp';

import { shortened } from '../connectionLog';
import type { ChecksumAlgorithm } from '../contract';
import { RemoteFailure } from '../failures';
import { CHECKSUM_ALGORITHMS, hexValue } from '../integrity/algorithms';
import { cannotSetModifiedAt, ftpTimeOf } from '../integrity/modifiedTimes';

/**
 * The optional FTP commands of verifyChecksum and preserveModifiedAt, sent only when those options are on: HASH
 * (draft-bryan-ftpext-hash, with OPTS HASH to choose the algorithm) or the older X commands, as FEAT lists them;
 * MFMT, or vsftpd's MDTM with a time (mdtm_write), to set a modification time.
 */

/** The names HASH uses (FEAT: `HASH SHA-1;SHA-256*;MD5`, the star marking the one selected). */
const HASH_NAMES: Record<ChecksumAlgorithm, string> = {
	sha512: 'SHA-512',
	sha256: 'SHA-256',
	sha1: 'SHA-1',
	md5: 'MD5',
	crc32: 'CRC32',
};

const X_COMMANDS: Record<ChecksumAlgorithm, string> = {
	sha512: 'XSHA512',
	sha256: 'XSHA256',
	sha1: 'XSHA1',
	md5: 'XMD5',
	crc32: 'XCRC',
};

/** A reply quoted in a message: a hostile server's may be long. */
const QUOTED_REPLY_CHARS = 200;
/** Longer than any honest reply carrying one hash and one path. */
const MAX_REPLY_CHARS = 8192;

/** The algorithms HASH offers according to FEAT, and which one is selected now. */
function hashFeature(features: Map<string, string>): {
	offered: ChecksumAlgorithm[];
	selected?: ChecksumAlgorithm;
} {
	const names = (features.get('HASH') ?? '').slice(0, 200).split(';');
	const offered: ChecksumAlgorithm[] = [];
	let selected: ChecksumAlgorithm | undefined;
	for (const raw of names) {
		const name = raw.trim().toUpperCase();
		const algorithm = CHECKSUM_ALGORITHMS.find(
			(each) => name.replace('*', '') === HASH_NAMES[each],
		);
		if (algorithm === undefined) continue;
		offered.push(algorithm);
		if (name.endsWith('*')) selected = algorithm;
	}
	return { offered, selected };
}

export function ftpChecksumAlgorithms(features: Map<string, string>): ChecksumAlgorithm[] {
	const { offered } = hashFeature(features);
	return CHECKSUM_ALGORITHMS.filter(
		(algorithm) => offered.includes(algorithm) || features.has(X_COMMANDS[algorithm]),
	);
}

function notAHash(command: string, algorithm: ChecksumAlgorithm, reply: string): RemoteFailure {
	return new RemoteFailure(
		'command',
		`The server's reply to ${command} is not a ${algorithm} checksum: "${shortened(reply, QUOTED_REPLY_CHARS)}"`,
		'The server computes checksums in a way this node does not understand. Turn off Verify Checksum for this server.',
	);
}

/** The reply's last line without its code, or undefined when it is too long to be honest. */
function lastLineOf(message: string): string | undefined {
	if (message.length > MAX_REPLY_CHARS) return undefined;
	const lines = message.split(/\r?\n/).filter((line) => line.trim() !== '');
	return lines.at(-1)?.replace(/^\d{3}[ -]?/, '');
}

/** One connection's hash commands; remembers which algorithm OPTS HASH selected. */
export class FtpChecksums {
	private selected: ChecksumAlgorithm | undefined;
	private readonly hashOffers: ChecksumAlgorithm[];

	constructor(
		private readonly client: Client,
		features: Map<string, string>,
	) {
		const hash = hashFeature(features);
		this.hashOffers = hash.offered;
		this.selected = hash.selected;
	}

	async checksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		if (this.hashOffers.includes(algorithm)) return await this.hash(path, algorithm);
		const command = X_COMMANDS[algorithm];
		// X commands take arguments after the path (offsets): a path with spaces is quoted, one with quotes cannot be.
		if (path.includes('"')) {
			throw new RemoteFailure(
				'input',
				`"${path}" cannot be hashed with ${command}: the path contains a double quote`,
				'Rename the file, or turn off Verify Checksum.',
			);
		}
		const reply = await this.client.send(`${command} ${/\s/.test(path) ? `"${path}"` : path}`);
		const line = lastLineOf(reply.message);
		const value = line === undefined ? undefined : hexValue(line.trim().split(/\s+/)[0], algorithm);
		if (value === undefined) throw notAHash(command, algorithm, reply.message);
		return value;
	}

	/** `213 SHA-256 0-49 <hex> <path>`: the path echoed may be anything, so only the fields before it are read. */
	private async hash(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		if (this.selected !== algorithm) {
			await this.client.send(`OPTS HASH ${HASH_NAMES[algorithm]}`);
			this.selected = algorithm;
		}
		const reply = await this.client.send(`HASH ${path}`);
		const line = lastLineOf(reply.message);
		const match = line === undefined ? null : /^(\S+) (\d+)-(\d+) (\S+)/.exec(line);
		const value =
			match !== null && match[1].toUpperCase() === HASH_NAMES[algorithm] && match[2] === '0'
				? hexValue(match[4], algorithm)
				: undefined;
		if (value === undefined) throw notAHash('HASH', algorithm, reply.message);
		return value;
	}
}

/** Whether a modification time may be set: MFMT, or MDTM, which vsftpd (mdtm_write) also takes with a time. */
export function setsModifiedTimes(features: Map<string, string>): boolean {
	return features.has('MFMT') || features.has('MDTM');
}

/**
 * Sets the time with MFMT, or else with `MDTM time path`; reads it back with MDTM, so that a server that took the
 * time for part of a file name, or ignored it, is found out instead of believed.
 */
export async function setFtpModifiedAt(
	client: Client,
	features: Map<string, string>,
	path: string,
	isoTime: string,
): Promise<void> {
	const command = features.has('MFMT') ? 'MFMT' : 'MDTM';
	const refused = await client.send(`${command} ${ftpTimeOf(isoTime)} ${path}`).then(
		() => undefined,
		async (error: unknown) =>
			client.closed ? await Promise.reject(error as Error) : (error as Error).message,
	);
	if (refused !== undefined)
		throw cannotSetModifiedAt(path, `${command}: ${shortened(refused, QUOTED_REPLY_CHARS)}`);
	const now = await client.lastMod(path).catch(() => undefined);
	const asked = new Date(isoTime).getTime();
	if (now === undefined || Math.floor(now.getTime() / 1000) !== Math.floor(asked / 1000)) {
		throw cannotSetModifiedAt(
			path,
			`${command} was accepted, but the file's time is ${now?.toISOString() ?? 'unknown'} afterwards`,
		);
	}
}
