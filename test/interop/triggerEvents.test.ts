/**
 * The trigger's issue-17 scenarios (test/helpers/triggerScenarios.ts: Deleted File, New Folder, Done File gate and
 * folder marker, Exclude / Min Age / Min Size, Claim Folder, a poison file moved aside, a manual run that changes
 * nothing) against real FTP servers (vsftpd, which lists without exact times, and ProFTPD, with MLSD; explicit TLS
 * verified against their certificate) and real SFTP servers (OpenSSH's internal-sftp, ProFTPD mod_sftp), plus two
 * activations claiming from the same folder at once: each file is emitted by exactly one of them.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/triggerEvents`.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { pollNode } from '../../tools/n8nHarness';
import {
	makeFolderAsUser,
	onDisk,
	writeAsUser,
	type InteropServerName,
} from '../helpers/interopServers';
import { useRealServers } from '../helpers/realServers';
import { credentialsFor } from '../helpers/nodeRun';
import {
	makeFolderAsSftpUser,
	sftpCredentialsFor,
	sftpOnDisk,
	writeAsSftpUser,
	type SftpInteropInstanceName,
} from '../helpers/sftpInteropServers';
import { triggerScenarios, type TriggerTarget } from '../helpers/triggerScenarios';

const servers = useRealServers();

function ftpServer(name: InteropServerName): TriggerTarget {
	const server = servers.ftp(name);
	return {
		protocol: 'ftp',
		credentials: { ftpAutomationApi: credentialsFor(server, 'explicit') },
		remote: (relative) => `/${relative}`,
		onDisk: (relative) => onDisk(server, `/${relative}`),
		write: async (relative, content) => {
			await writeAsUser(server, `/${relative}`, content);
		},
		makeFolder: async (relative) => await makeFolderAsUser(server, `/${relative}`),
	};
}

function sftpServer(name: SftpInteropInstanceName): TriggerTarget {
	const instance = servers.sftp(name);
	return {
		protocol: 'sftp',
		credentials: { sftpAutomationApi: sftpCredentialsFor(instance) },
		remote: (relative) => path.posix.join(instance.homeDirectory, relative),
		onDisk: (relative) => sftpOnDisk(instance, relative),
		write: async (relative, content) => {
			await writeAsSftpUser(instance, relative, content);
		},
		makeFolder: async (relative) => {
			await makeFolderAsSftpUser(instance, relative);
		},
	};
}

describe.each([
	{ name: 'vsftpd (FTPS)', target: () => ftpServer('vsftpd-explicit') },
	{ name: 'ProFTPD (FTPS, MLSD)', target: () => ftpServer('proftpd-explicit') },
	{ name: 'OpenSSH (SFTP)', target: () => sftpServer('openssh') },
	{ name: 'ProFTPD mod_sftp (SFTP)', target: () => sftpServer('proftpd-sftp') },
])('FTP Automation Trigger, issue 17, against $name', ({ target }) => {
	triggerScenarios(target);

	it('two activations claiming from the same folder at once: each file is emitted by exactly one of them', async () => {
		const t = target();
		const folder = `trigger-race-${process.pid}-${t.protocol}`;
		await t.makeFolder(folder);
		const parameters = {
			protocol: t.protocol,
			path: t.remote(folder),
			options: { download: true, claimFolder: t.remote(`${folder}-claimed`) },
		};
		const workers = [{}, {}].map(
			(staticData: IDataObject) => async () =>
				(await pollNode({
					nodeType: new FtpAutomationTrigger(),
					parameters,
					credentials: t.credentials,
					staticData,
				})) ?? ([] as INodeExecutionData[]),
		);
		for (const poll of workers) expect(await poll()).toEqual([]);
		const names = Array.from({ length: 8 }, (_, index) => `f${index}.csv`);
		for (const name of names) await t.write(`${folder}/${name}`, name);
		const emitted = (await Promise.all(workers.map(async (poll) => await poll()))).flat();
		const claimedNames = emitted.map((item) => String(item.json.name)).sort();
		expect(claimedNames).toEqual(names);
		expect(emitted.every((item) => item.json.claimed === true)).toBe(true);
		expect((await fsp.readdir(t.onDisk(`${folder}-claimed`))).sort()).toEqual(names);
		expect(await fsp.readdir(t.onDisk(folder))).toEqual([]);
	});
});
