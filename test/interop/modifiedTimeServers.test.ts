/**
 * Preserve Modification Time on Upload against real servers: ProFTPD (MFMT), vsftpd (MDTM with a time, its
 * mdtm_write), OpenSSH and ProFTPD mod_sftp (SETSTAT). The file's mtime on disk equals the time asked, to the
 * second, whether it comes from the option or from the input item's modifiedAt.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js modifiedTimeServers`.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { makeFolderAsUser, onDisk } from '../helpers/interopServers';
import { useRealServers } from '../helpers/realServers';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';
import { makeFolderAsSftpUser, sftpCredentialsFor } from '../helpers/sftpInteropServers';

const servers = useRealServers();

/** Where each server under test keeps the uploaded folder, and how to reach it. */
interface Target {
	credentials: ICredentialDataDecryptedObject;
	protocol: 'ftp' | 'sftp';
	/** The folder as the client names it, and on disk. */
	remote: string;
	local: string;
}

async function targetOn(name: string): Promise<Target> {
	if (name === 'proftpd-explicit' || name === 'vsftpd-explicit') {
		const server = servers.ftp(name);
		await makeFolderAsUser(server, '/times');
		return {
			credentials: credentialsFor(server, 'explicit'),
			protocol: 'ftp',
			remote: '/times',
			local: onDisk(server, '/times'),
		};
	}
	const instance = servers.sftp(name as 'openssh' | 'proftpd-sftp');
	const remote = path.posix.join(instance.homeDirectory, 'times');
	return {
		credentials: sftpCredentialsFor(instance),
		protocol: 'sftp',
		remote,
		local: await makeFolderAsSftpUser(instance, remote),
	};
}

describe.each(['proftpd-explicit', 'vsftpd-explicit', 'openssh', 'proftpd-sftp'])('%s', (name) => {
	let target: Target;
	beforeAll(async () => {
		target = await targetOn(name);
	});

	it('gives the uploaded file the time of the Modification Time option', async () => {
		const [item] = await runFtpNode(target.credentials, {
			protocol: target.protocol,
			operation: 'upload',
			path: `${target.remote}/kept.csv`,
			binaryData: false,
			fileContent: 'a;b\n',
			options: { preserveModifiedAt: true, modifiedAt: '2021-06-07T08:09:10.987+02:00' },
		});
		expect(item.json).toEqual({
			path: `${target.remote}/kept.csv`,
			size: 4,
			modifiedAt: '2021-06-07T06:09:10Z',
		});
		const stats = await fsp.stat(path.join(target.local, 'kept.csv'));
		expect(Math.floor(stats.mtimeMs / 1000)).toBe(Date.parse('2021-06-07T06:09:10Z') / 1000);
		// SETSTAT carries both times: the node keeps the access time as it was, not moved back with the modification
		// time. FTP's MFMT and vsftpd's MDTM set both on the server (utime), which no client can choose.
		if (target.protocol === 'sftp')
			expect(stats.atimeMs).toBeGreaterThan(Date.parse('2022-01-01T00:00:00Z'));
		expect(await fsp.readdir(target.local)).toEqual(expect.arrayContaining(['kept.csv']));
	});

	it("takes the input item's modifiedAt when the option is empty", async () => {
		const [item] = await runFtpNode(
			target.credentials,
			{
				protocol: target.protocol,
				operation: 'upload',
				path: `${target.remote}/from-item.csv`,
				binaryData: false,
				fileContent: 'x',
				options: { preserveModifiedAt: true },
			},
			{ items: [{ json: { modifiedAt: '2019-12-31T23:59:58.000Z' } }] },
		);
		expect(item.json.modifiedAt).toBe('2019-12-31T23:59:58Z');
		const stats = await fsp.stat(path.join(target.local, 'from-item.csv'));
		expect(stats.mtimeMs).toBe(Date.parse('2019-12-31T23:59:58Z'));
	});

	it('fails with an explanation when no time is given, uploading nothing', async () => {
		const error = await failingRun(target.credentials, {
			protocol: target.protocol,
			operation: 'upload',
			path: `${target.remote}/no-time.csv`,
			binaryData: false,
			fileContent: 'x',
			options: { preserveModifiedAt: true },
		});
		expect(error.message).toContain('neither the Modification Time option nor the input item');
		expect(await fsp.readdir(target.local)).not.toContain('no-time.csv');
	});
});
