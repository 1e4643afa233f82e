/**
 * Verify Checksum through the node and the trigger (test/helpers/checksumNodeScenarios.ts) against the in-process
 * servers, which compute no hashes: ftp-srv and the ssh2 SFTP server vouch for a file only with a sidecar beside it
 * (NAME.sha256 in sha256sum format, NAME.md5 as bare hex). Download in both node versions, a wrong sidecar (the run
 * fails; with Continue On Fail and After Failure the file is moved aside, never deleted), no sidecar (explained,
 * nothing moved), and the trigger emitting verified files past a mismatching one.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { claimWithSidecarScenarios } from '../helpers/checksumClaimScenarios';
import { sidecarScenarios, type ChecksumTarget } from '../helpers/checksumNodeScenarios';
import { credentialsFor } from '../helpers/nodeRun';

let ftp: TestFtpServer;
let sftp: TestSftpServer;

beforeAll(async () => {
	await initBinaryData();
	ftp = await startFtpServer({ security: 'none' });
	sftp = await startSftpServer();
});

afterAll(async () => {
	await ftp?.close();
	await sftp?.close();
	await cleanupBinaryData();
});

/** A server whose root on disk is served as "/". */
function servedFrom(root: () => string): Pick<ChecksumTarget, 'remote' | 'disk' | 'write'> {
	return {
		remote: (relative) => path.posix.join('/', relative),
		disk: (relative) => path.join(root(), relative),
		write: async (relative, content) => {
			await fsp.mkdir(path.dirname(path.join(root(), relative)), { recursive: true });
			await fsp.writeFile(path.join(root(), relative), content);
		},
	};
}

const TARGETS: ChecksumTarget[] = [
	{
		name: 'FTP (ftp-srv)',
		protocol: 'ftp',
		credentials: () => credentialsFor(ftp, 'none'),
		...servedFrom(() => ftp.root),
		hashes: { source: 'sidecar' },
	},
	{
		name: 'SFTP (ssh2 server)',
		protocol: 'sftp',
		credentials: () => ({
			host: sftp.host,
			port: sftp.port,
			username: sftp.username,
			password: sftp.password,
			hostKeyFingerprint: sftp.hostKeyFingerprint,
			connectionTimeout: 10,
		}),
		...servedFrom(() => sftp.root),
		hashes: { source: 'sidecar' },
	},
];

describe.each(TARGETS)('$name', (target) => {
	sidecarScenarios(target);
	claimWithSidecarScenarios(target);
});
