import type { Client, ClientChannel } from 'ssh2';

import type { ChecksumAlgorithm } from '../contract';
import { DEFAULTS } from '../defaults';
import { RemoteFailure } from '../failures';
import { HEX_DIGITS } from '../integrity/algorithms';

/**
 * The `check-file-name` extension (draft-ietf-secsh-filexfer-extensions-00; ProFTPD mod_sftp offers it, OpenSSH
 * does not): the server's hash of a whole file.
 *
 * ssh2 1.17 has no generic extended request: its SFTP client hands the reply of an extension it does not know to the
 * callback without the reply's bytes (lib/protocol/SFTP.js, EXTENDED_REPLY, `default:`), and its packet writer is
 * not exported. Rather than patch its internals, this opens a second SFTP channel on the same SSH connection (the
 * public `client.subsys`) and speaks just INIT, VERSION and this one request on it: a changed ssh2 cannot break it.
 */

const SSH_FXP_INIT = 1;
const SSH_FXP_VERSION = 2;
const SSH_FXP_STATUS = 101;
const SSH_FXP_EXTENDED = 200;
const SSH_FXP_EXTENDED_REPLY = 201;
const SSH_FX_OP_UNSUPPORTED = 8;
/** Far more than VERSION with its extensions or a hash reply takes: a larger packet is not an honest reply. */
const MAX_PACKET_BYTES = 64 * 1024;
/** The names under which a VERSION reply announces the extension (the draft's, and its two requests'). */
export const CHECK_FILE_EXTENSIONS = ['check-file', 'check-file-name', 'check-file-handle'];
/** The extension's hash names, which are our algorithm names (CRC32 is not one of them). */
export const CHECK_FILE_ALGORITHMS: readonly ChecksumAlgorithm[] = [
	'sha512',
	'sha256',
	'sha1',
	'md5',
];

function sftpString(text: string): Buffer {
	const bytes = Buffer.from(text, 'utf8');
	const length = Buffer.alloc(4);
	length.writeUInt32BE(bytes.length);
	return Buffer.concat([length, bytes]);
}

function packet(type: number, body: Buffer): Buffer {
	const header = Buffer.alloc(5);
	header.writeUInt32BE(body.length + 1);
	header[4] = type;
	return Buffer.concat([header, body]);
}

/** Reads length-prefixed strings from a reply; undefined when the reply is shorter than it claims. */
class Reader {
	constructor(
		private readonly bytes: Buffer,
		public at = 0,
	) {}

	uint32(): number | undefined {
		if (this.at + 4 > this.bytes.length) return undefined;
		const value = this.bytes.readUInt32BE(this.at);
		this.at += 4;
		return value;
	}

	string(): Buffer | undefined {
		const length = this.uint32();
		if (length === undefined || this.at + length > this.bytes.length) return undefined;
		this.at += length;
		return this.bytes.subarray(this.at - length, this.at);
	}

	rest(): Buffer {
		return this.bytes.subarray(this.at);
	}
}

/** Collects whole packets (type byte + payload) from the channel, at most MAX_PACKET_BYTES each. */
function packetsOf(channel: ClientChannel, onPacket: (payload: Buffer) => void, onBad: () => void) {
	let pending = Buffer.alloc(0);
	channel.on('data', (chunk: Buffer) => {
		pending = Buffer.concat([pending, chunk]);
		while (pending.length >= 4) {
			const length = pending.readUInt32BE(0);
			if (length === 0 || length > MAX_PACKET_BYTES) {
				onBad();
				return;
			}
			if (pending.length < 4 + length) return;
			onPacket(pending.subarray(4, 4 + length));
			pending = pending.subarray(4 + length);
		}
	});
}

function notAHash(path: string, why: string): RemoteFailure {
	return new RemoteFailure(
		'command',
		`The server's check-file reply for "${path}" is not a usable checksum (${why})`,
		'The server computes checksums in a way this node does not understand. Turn off Verify Checksum for this server.',
	);
}

/** The algorithm and value of a check-file reply (after the request id); a reply is untrusted input. */
export function parseCheckFileReply(
	path: string,
	body: Buffer,
	algorithm: ChecksumAlgorithm,
): string {
	const reader = new Reader(body);
	let name = reader.string()?.toString('latin1');
	// The draft's reply starts with the extension's name; some servers leave it out.
	if (name === 'check-file') name = reader.string()?.toString('latin1');
	if (name === undefined) throw notAHash(path, 'the reply is cut short');
	if (name.toLowerCase() !== algorithm)
		throw notAHash(path, `it used ${name.slice(0, 40)}, not ${algorithm}`);
	const hash = reader.rest();
	if (hash.length !== HEX_DIGITS[algorithm] / 2)
		throw notAHash(path, `${hash.length} bytes, not a ${algorithm} hash`);
	return hash.toString('hex');
}

/** A second SFTP channel; a server that never answers the request for it fails after `timeoutMs`, like the request. */
async function openChannel(
	client: Client,
	path: string,
	timeoutMs: number,
): Promise<ClientChannel> {
	return await new Promise<ClientChannel>((resolve, reject) => {
		let late = false;
		const timer = setTimeout(() => {
			late = true;
			reject(notAHash(path, `no SFTP channel for it within ${Math.round(timeoutMs / 1000)} s`));
		}, timeoutMs);
		client.subsys('sftp', (error, opened) => {
			clearTimeout(timer);
			if (late) opened?.end();
			else if (error) reject(error);
			else resolve(opened);
		});
	});
}

/** The reply to one check-file-name request: the reply's body after the request id, or the status's code. */
type CheckFileAnswer = { reply: Buffer } | { status: number | undefined; message: string };

/** Sends one check-file-name request on a channel of its own (closed afterwards) and waits for its answer. */
async function requestCheckFile(
	client: Client,
	path: string,
	algorithm: ChecksumAlgorithm,
	timeoutMs: number,
): Promise<CheckFileAnswer> {
	const channel = await openChannel(client, path, timeoutMs);
	return await new Promise<CheckFileAnswer>((resolve, reject) => {
		let settled = false;
		const finish = (error: Error | undefined, answer?: CheckFileAnswer) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			channel.removeAllListeners('data');
			channel.end();
			if (error) reject(error);
			else resolve(answer as CheckFileAnswer);
		};
		const timer = setTimeout(
			() => finish(notAHash(path, `no answer within ${Math.round(timeoutMs / 1000)} s`)),
			timeoutMs,
		);
		channel.on('error', (error: Error) => finish(error));
		channel.on('close', () => finish(new Error('The SFTP channel for check-file was closed')));
		packetsOf(
			channel,
			(payload) => {
				const type = payload[0];
				if (type === SSH_FXP_VERSION) {
					const request = Buffer.concat([
						Buffer.from([0, 0, 0, 1]),
						sftpString('check-file-name'),
						sftpString(path),
						sftpString(algorithm),
						Buffer.alloc(8 + 8 + 4), // from byte 0, to the end, one hash for the whole file
					]);
					channel.write(packet(SSH_FXP_EXTENDED, request));
					return;
				}
				const body = new Reader(payload, 1);
				if (body.uint32() !== 1) return finish(notAHash(path, 'an unexpected reply'));
				if (type === SSH_FXP_STATUS) {
					const status = body.uint32();
					const message = body.string()?.toString('utf8').slice(0, 200) ?? '';
					return finish(undefined, { status, message });
				}
				if (type !== SSH_FXP_EXTENDED_REPLY) return finish(notAHash(path, `packet type ${type}`));
				finish(undefined, { reply: body.rest() });
			},
			() => finish(notAHash(path, 'a packet longer than any reply')),
		);
		channel.write(packet(SSH_FXP_INIT, Buffer.from([0, 0, 0, 3])));
	});
}

/** The hash of the whole file at `path`, as the server computes it. */
export async function checkFile(
	client: Client,
	path: string,
	algorithm: ChecksumAlgorithm,
	timeoutMs = DEFAULTS.checksumTimeLimitSeconds * 1000,
): Promise<string> {
	const answer = await requestCheckFile(client, path, algorithm, timeoutMs);
	if ('reply' in answer) return parseCheckFileReply(path, answer.reply, algorithm);
	throw Object.assign(new Error(`check-file failed: ${answer.message} (status ${answer.status})`), {
		code: answer.status,
	});
}

/**
 * Whether the server answers check-file although its VERSION does not announce it (ProFTPD announces it only to
 * clients of SFTP version 5 and later; ssh2 speaks version 3): asked for a folder, a server without the extension
 * says OP_UNSUPPORTED, one with it computes nothing and refuses the folder otherwise.
 */
export async function answersCheckFile(
	client: Client,
	folder: string,
	timeoutMs: number,
): Promise<boolean> {
	const answer = await requestCheckFile(client, folder, 'sha256', timeoutMs).catch(() => undefined);
	return answer !== undefined && !('status' in answer && answer.status === SSH_FX_OP_UNSUPPORTED);
}
