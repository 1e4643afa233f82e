import type { PeerCertificate } from 'node:tls';

import { ConnectionLog } from '../../nodes/FtpAutomation/transport/connectionLog';
import {
	describeCertificate,
	distinguishedName,
} from '../../nodes/FtpAutomation/transport/ftp/tlsFacts';

describe('ConnectionLog parts', () => {
	it('returns the lines added since a mark, timestamped', () => {
		const log = new ConnectionLog();
		log.add('connect');
		const mark = log.mark();
		log.add('> RETR /a\n< 150 ok');
		expect(log.since(mark).map((line) => line.replace(/^\S+ /, ''))).toEqual([
			'> RETR /a',
			'< 150 ok',
		]);
		expect(log.since(0)).toHaveLength(3);
		expect(log.since(log.mark())).toEqual([]);
	});

	it('says how many lines of a part were dropped when the part outgrew the log', () => {
		const log = new ConnectionLog();
		const mark = log.mark();
		for (let line = 0; line < 2005; line++) log.add(`line ${line}`);
		const part = log.since(mark);
		expect(part[0]).toBe('(5 earlier lines of this part were dropped; the log keeps 2000)');
		expect(part).toHaveLength(2001);
		expect(part[1]).toMatch(/ line 5$/);
	});

	it('redacts secrets before storing, so parts never hold them', () => {
		const log = new ConnectionLog(['s3cr3t-pw']);
		const mark = log.mark();
		log.add('> PASS s3cr3t-pw\n< 530 wrong password s3cr3t-pw');
		expect(log.since(mark).join('\n')).not.toContain('s3cr3t-pw');
	});
});

describe('certificate facts', () => {
	it('writes distinguished names, including repeated attributes', () => {
		expect(
			distinguishedName({
				CN: 'ftp.example.com',
				O: 'Example',
			} as unknown as PeerCertificate['subject']),
		).toBe('CN=ftp.example.com, O=Example');
		expect(distinguishedName({ OU: ['a', 'b'] } as unknown as PeerCertificate['subject'])).toBe(
			'OU=a+b',
		);
		expect(distinguishedName(undefined)).toBe('(none)');
	});

	it('says so when a connection presented no certificate (a resumed session)', () => {
		expect(describeCertificate({} as PeerCertificate)).toBe('no certificate presented');
	});
});

describe('multi-line replies', () => {
	it('keep the reply marker on every line when they arrive in one piece', () => {
		const log = new ConnectionLog();
		expect(log.add('< 220-ftp-srv test server\r\n220 Ready\r\n')).toEqual([
			'< 220-ftp-srv test server',
			'< 220 Ready',
		]);
		expect(log.add('Listing received: 2 lines')).toEqual(['Listing received: 2 lines']);
	});
});
