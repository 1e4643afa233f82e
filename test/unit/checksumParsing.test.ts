/**
 * Checksums as pure functions: hashing while streaming, the choice of algorithm, and every reply that carries a
 * value (FTP HASH and X commands, SFTP check-file, sidecar files) read as untrusted input.
 */
import type { Client } from 'basic-ftp';
import { createHash } from 'node:crypto';

import { RemoteFailure } from '../../nodes/FtpAutomation/transport/failures';
import {
	ftpChecksumAlgorithms,
	FtpChecksums,
} from '../../nodes/FtpAutomation/transport/ftp/serverCommands';
import {
	hexValue,
	parseSidecar,
	StreamHash,
	strongestOf,
} from '../../nodes/FtpAutomation/transport/integrity';
import { parseCheckFileReply } from '../../nodes/FtpAutomation/transport/sftp/checkFile';

const DATA = Buffer.from('The quick brown fox jumps over the lazy dog\n'.repeat(1000));
const SHA256 = createHash('sha256').update(DATA).digest('hex');

describe('StreamHash', () => {
	it.each(['sha512', 'sha256', 'sha1', 'md5'] as const)(
		'hashes %s chunk by chunk as node:crypto hashes the whole',
		(algorithm) => {
			const hash = new StreamHash(algorithm);
			for (let at = 0; at < DATA.length; at += 777) hash.update(DATA.subarray(at, at + 777));
			expect(hash.digest()).toBe(createHash(algorithm).update(DATA).digest('hex'));
		},
	);

	it('computes CRC32 across chunks, with leading zeros kept', () => {
		const hash = new StreamHash('crc32');
		hash.update(Buffer.from('1234'));
		hash.update(Buffer.from('56789'));
		expect(hash.digest()).toBe('cbf43926'); // the CRC-32 check value
		const empty = new StreamHash('crc32');
		expect(empty.digest()).toBe('00000000');
	});
});

describe('choosing an algorithm', () => {
	it('takes the strongest offered, and none when nothing is offered', () => {
		expect(strongestOf(['md5', 'sha1', 'crc32'])).toBe('sha1');
		expect(strongestOf(['crc32', 'sha512', 'sha256'])).toBe('sha512');
		expect(strongestOf([])).toBeUndefined();
		expect(strongestOf(undefined)).toBeUndefined();
	});

	it('reads the algorithms from FEAT: HASH names and X commands', () => {
		const features = new Map([
			['HASH', 'SHA-1;SHA-256*;MD5;CRC32;WHIRLPOOL'],
			['XSHA512', ''],
		]);
		expect(ftpChecksumAlgorithms(features)).toEqual(['sha512', 'sha256', 'sha1', 'md5', 'crc32']);
		expect(ftpChecksumAlgorithms(new Map([['SIZE', '']]))).toEqual([]);
	});
});

describe('hex values', () => {
	it('takes only hex of the exact length, lowercased', () => {
		expect(hexValue(SHA256.toUpperCase(), 'sha256')).toBe(SHA256);
		expect(hexValue(SHA256.slice(1), 'sha256')).toBeUndefined();
		expect(hexValue(`${SHA256}0`, 'sha256')).toBeUndefined();
		expect(hexValue(`${SHA256.slice(1)}g`, 'sha256')).toBeUndefined();
		expect(hexValue('', 'md5')).toBeUndefined();
		expect(hexValue('f'.repeat(100_000), 'sha512')).toBeUndefined();
	});

	it('pads CRC32 values whose leading zeros the server dropped', () => {
		expect(hexValue('BF43926', 'crc32')).toBe('0bf43926');
		expect(hexValue('123456789', 'crc32')).toBeUndefined();
	});
});

/** A basic-ftp client that answers each command with a scripted reply, and records what was sent. */
function ftpClient(replies: Record<string, string>) {
	const sent: string[] = [];
	const client = {
		closed: false,
		send: async (command: string) => {
			sent.push(command);
			const verb = command.split(' ')[0];
			const reply = replies[verb];
			if (reply === undefined) throw new Error(`500 ${verb} not understood`);
			return { code: Number(reply.slice(0, 3)), message: reply };
		},
	} as unknown as Client;
	return { client, sent };
}

describe('FTP HASH replies', () => {
	const features = new Map([['HASH', 'SHA-1*;SHA-256;MD5']]);

	it('selects the algorithm with OPTS HASH once, then reads the hash before the echoed path', async () => {
		const hostilePath = `0-1 ${'a'.repeat(64)} x`;
		const { client, sent } = ftpClient({
			OPTS: '200 SHA-256',
			HASH: `213 SHA-256 0-${DATA.length - 1} ${SHA256.toUpperCase()} ${hostilePath}`,
		});
		const hashes = new FtpChecksums(client, features);
		expect(await hashes.checksum(`/in/${hostilePath}`, 'sha256')).toBe(SHA256);
		expect(await hashes.checksum(`/in/${hostilePath}`, 'sha256')).toBe(SHA256);
		expect(sent).toEqual([
			'OPTS HASH SHA-256',
			`HASH /in/${hostilePath}`,
			`HASH /in/${hostilePath}`,
		]);
	});

	it('does not send OPTS HASH for the algorithm FEAT marks as selected', async () => {
		const sha1 = createHash('sha1').update(DATA).digest('hex');
		const { client, sent } = ftpClient({ HASH: `213 SHA-1 0-9 ${sha1} /a b` });
		expect(await new FtpChecksums(client, features).checksum('/a b', 'sha1')).toBe(sha1);
		expect(sent).toEqual(['HASH /a b']);
	});

	it.each([
		['another algorithm', `213 MD5 0-9 ${'a'.repeat(32)} /f`],
		['a part of the file only', `213 SHA-256 10-99 ${SHA256} /f`],
		['a value that is not hex', `213 SHA-256 0-9 ${'z'.repeat(64)} /f`],
		['a value of the wrong length', `213 SHA-256 0-9 ${SHA256.slice(2)} /f`],
		['no fields at all', '213 done'],
		['a megabyte of reply', `213 SHA-256 0-9 ${SHA256} ${'x'.repeat(1_000_000)}`],
	])('rejects %s with an explanation quoting a bounded reply', async (_case, reply) => {
		const { client } = ftpClient({ OPTS: '200 OK', HASH: reply });
		const failure = await new FtpChecksums(client, features)
			.checksum('/f', 'sha256')
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(RemoteFailure);
		expect((failure as RemoteFailure).message).toContain('is not a sha256 checksum');
		expect((failure as RemoteFailure).message.length).toBeLessThan(500);
	});

	it('uses an X command where HASH lacks the algorithm, quoting a path with spaces', async () => {
		const { client, sent } = ftpClient({ XCRC: '250 BF43926' });
		const hashes = new FtpChecksums(client, new Map([['XCRC', '']]));
		expect(await hashes.checksum('/in/my file.txt', 'crc32')).toBe('0bf43926');
		expect(sent).toEqual(['XCRC "/in/my file.txt"']);
		await expect(hashes.checksum('/in/a"b', 'crc32')).rejects.toThrow('double quote');
		expect(sent).toHaveLength(1);
	});

	it('rejects an X command reply without a hash of the right length', async () => {
		const { client } = ftpClient({ XSHA256: '250 /in/file done' });
		await expect(
			new FtpChecksums(client, new Map([['XSHA256', '']])).checksum('/in/file', 'sha256'),
		).rejects.toThrow('is not a sha256 checksum');
	});
});

describe('SFTP check-file replies', () => {
	const sftpString = (text: string) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(Buffer.byteLength(text));
		return Buffer.concat([length, Buffer.from(text)]);
	};
	const digest = createHash('sha256').update(DATA).digest();

	it('reads the hash with or without the extension name before the algorithm', () => {
		const withName = Buffer.concat([sftpString('check-file'), sftpString('sha256'), digest]);
		const without = Buffer.concat([sftpString('sha256'), digest]);
		expect(parseCheckFileReply('/f', withName, 'sha256')).toBe(SHA256);
		expect(parseCheckFileReply('/f', without, 'sha256')).toBe(SHA256);
	});

	it.each([
		['another algorithm', Buffer.concat([sftpString('md5'), digest.subarray(0, 16)])],
		['a hash of the wrong length', Buffer.concat([sftpString('sha256'), digest.subarray(1)])],
		['a string longer than the reply', Buffer.from([0, 0, 255, 255, 1, 2])],
		['nothing', Buffer.alloc(0)],
	])('rejects %s', (_case, body) => {
		expect(() => parseCheckFileReply('/f', body, 'sha256')).toThrow('not a usable checksum');
	});
});

describe('sidecar files', () => {
	it('reads sha256sum lines (text and binary mode) and bare hex', () => {
		expect(parseSidecar(`${SHA256}  report.csv\n`, 'report.csv', 'sha256')).toBe(SHA256);
		expect(parseSidecar(`${SHA256} *report.csv\r\n`, 'report.csv', 'sha256')).toBe(SHA256);
		expect(parseSidecar(`${SHA256.toUpperCase()}\n`, 'report.csv', 'sha256')).toBe(SHA256);
		expect(
			parseSidecar(
				`${'1'.repeat(64)}  other.csv\n${SHA256}  ./in/report.csv\n`,
				'report.csv',
				'sha256',
			),
		).toBe(SHA256);
	});

	it('finds nothing in a sidecar for other files, of another algorithm, or of prose', () => {
		expect(parseSidecar(`${SHA256}  other.csv\n`, 'report.csv', 'sha256')).toBeUndefined();
		expect(parseSidecar(`${'a'.repeat(32)}\n`, 'report.csv', 'sha256')).toBeUndefined();
		expect(parseSidecar('see the release notes', 'report.csv', 'sha256')).toBeUndefined();
		expect(parseSidecar('', 'report.csv', 'sha256')).toBeUndefined();
	});
});
