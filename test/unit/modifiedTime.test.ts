/**
 * Preserve Modification Time as pure functions: which times are accepted, the FTP time format, and how a server that
 * does not set the time (MFMT refused, or MDTM taking the time for part of a file name) is found out.
 */
import type { Client } from 'basic-ftp';

import {
	setFtpModifiedAt,
	setsModifiedTimes,
} from '../../nodes/FtpAutomation/transport/ftp/serverCommands';
import { ftpTimeOf, modifiedAtOf } from '../../nodes/FtpAutomation/transport/integrity';

describe('modifiedAtOf', () => {
	it('turns what List, Download and users give into ISO 8601 in UTC, whole seconds', () => {
		expect(modifiedAtOf('2024-05-01T12:00:00.999Z')).toBe('2024-05-01T12:00:00Z');
		expect(modifiedAtOf('2024-05-01T14:00:00+02:00')).toBe('2024-05-01T12:00:00Z');
		expect(modifiedAtOf(Date.parse('2024-05-01T12:00:00Z'))).toBe('2024-05-01T12:00:00Z');
		expect(modifiedAtOf(new Date('2020-02-29T00:00:01Z'))).toBe('2020-02-29T00:00:01Z');
	});

	it('rejects what is not a time', () => {
		for (const value of ['', '   ', 'yesterday', '1969-12-31T23:59:59Z', null, undefined, {}, true])
			expect(modifiedAtOf(value)).toBeUndefined();
	});

	it('writes the MFMT/MDTM time as YYYYMMDDHHMMSS in UTC', () => {
		expect(ftpTimeOf('2021-06-07T06:09:10Z')).toBe('20210607060910');
	});
});

/** A basic-ftp client whose MFMT/MDTM answer and whose file time afterwards are scripted. */
function ftpClient(reply: string | Error, timeAfterwards: string | undefined) {
	const sent: string[] = [];
	const client = {
		closed: false,
		send: async (command: string) => {
			sent.push(command);
			if (reply instanceof Error) throw reply;
			return { code: 213, message: reply };
		},
		lastMod: async () => {
			if (timeAfterwards === undefined) throw new Error('550 No such file');
			return new Date(timeAfterwards);
		},
	} as unknown as Client;
	return { client, sent };
}

describe('setting the time over FTP', () => {
	const mfmt = new Map([['MFMT', '']]);
	const mdtmOnly = new Map([['MDTM', '']]);

	it('uses MFMT where FEAT lists it, else MDTM with a time, and none without either', async () => {
		expect(setsModifiedTimes(mfmt)).toBe(true);
		expect(setsModifiedTimes(mdtmOnly)).toBe(true);
		expect(setsModifiedTimes(new Map([['SIZE', '']]))).toBe(false);
		const withMfmt = ftpClient('213 Modify=20210607060910; /a b.csv', '2021-06-07T06:09:10Z');
		await setFtpModifiedAt(withMfmt.client, mfmt, '/a b.csv', '2021-06-07T06:09:10Z');
		expect(withMfmt.sent).toEqual(['MFMT 20210607060910 /a b.csv']);
		const withMdtm = ftpClient('213 File modification time set.', '2021-06-07T06:09:10Z');
		await setFtpModifiedAt(withMdtm.client, mdtmOnly, '/f', '2021-06-07T06:09:10Z');
		expect(withMdtm.sent).toEqual(['MDTM 20210607060910 /f']);
	});

	it('says the server cannot set times when it refuses', async () => {
		const { client } = ftpClient(new Error('550 20210607060910 /f: No such file'), undefined);
		await expect(setFtpModifiedAt(client, mdtmOnly, '/f', '2021-06-07T06:09:10Z')).rejects.toThrow(
			'The server cannot set modification times',
		);
	});

	it('does not believe a server that accepted the command but kept another time', async () => {
		const { client } = ftpClient('213 2024-01-01', '2024-01-01T00:00:00Z');
		await expect(setFtpModifiedAt(client, mdtmOnly, '/f', '2021-06-07T06:09:10Z')).rejects.toThrow(
			"the file's time is 2024-01-01T00:00:00.000Z afterwards",
		);
	});
});
