/**
 * The real FTP servers (scripts/ftp-servers.sh: vsftpd, ProFTPD, pure-ftpd) and SFTP servers (scripts/sftp-servers.sh:
 * OpenSSH, ProFTPD mod_sftp) of an interop test file that needs both, with n8n's binary data store: started once before
 * the file's tests, stopped (by their PIDs, in the scripts) after them.
 */
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import {
	startInteropServers,
	type InteropServer,
	type InteropServerName,
	type InteropServers,
} from './interopServers';
import {
	startSftpInteropServers,
	type SftpInteropInstance,
	type SftpInteropInstanceName,
	type SftpInteropServers,
} from './sftpInteropServers';

export interface RealServers {
	/** A started FTP server; fails the test when it did not start. */
	ftp(name: InteropServerName): InteropServer;
	sftp(name: SftpInteropInstanceName): SftpInteropInstance;
}

/** Registers the start and stop in the calling test file; the servers are there once its tests run. */
export function useRealServers(): RealServers {
	let ftpRun: InteropServers | undefined;
	let sftpRun: SftpInteropServers | undefined;

	beforeAll(async () => {
		await initBinaryData();
		ftpRun = await startInteropServers();
		sftpRun = await startSftpInteropServers();
	}, 240_000);

	afterAll(async () => {
		await ftpRun?.stop();
		await sftpRun?.stop();
		await cleanupBinaryData();
	}, 60_000);

	return {
		ftp: (name) => {
			const server = ftpRun?.servers.find((candidate) => candidate.name === name);
			if (server === undefined) throw new Error(`${name} did not start`);
			return server;
		},
		sftp: (name) => {
			if (sftpRun === undefined) throw new Error('the SFTP servers did not start');
			return sftpRun.get(name);
		},
	};
}
