/**
 * Pickup (Claim Folder, After Failure, Delete Done File, modifiedAt) through n8n's real execution context against
 * the in-process FTP and SFTP servers: the scenarios of test/helpers/pickupScenarios.ts. The servers run as this
 * process's user (root in CI), so the poison file is one too large for n8n's store; the interop suite
 * (test/interop/pickup.test.ts) also uses a file the server may not read.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { credentialsFor } from '../helpers/nodeRun';
import {
	claimNeverReplaces,
	claimThenAfterDownload,
	concurrentClaims,
	doneFilesDeleted,
	modifiedAtOfServer,
	poisonFileMovedAside,
	type PickupTarget,
} from '../helpers/pickupScenarios';

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
function targetOn(
	name: string,
	root: () => string,
): Omit<PickupTarget, 'credentials' | 'parameters'> {
	return {
		name,
		remote: (relative) => path.posix.join('/', relative),
		disk: (relative) => path.join(root(), relative),
		write: async (relative, content) => {
			await fsp.mkdir(path.dirname(path.join(root(), relative)), { recursive: true });
			await fsp.writeFile(path.join(root(), relative), content);
		},
		poison: 'tooLarge',
	};
}

const TARGETS: PickupTarget[] = [
	{
		...targetOn('FTP (ftp-srv)', () => ftp.root),
		credentials: () => credentialsFor(ftp, 'none'),
		parameters: {},
	},
	{
		...targetOn('SFTP (ssh2 server)', () => sftp.root),
		credentials: () => ({
			host: sftp.host,
			port: sftp.port,
			username: sftp.username,
			password: sftp.password,
			hostKeyFingerprint: sftp.hostKeyFingerprint,
			connectionTimeout: 10,
		}),
		parameters: { protocol: 'sftp' },
	},
];

let folderCounter = 0;
const freshFolder = (what: string) => `pickup-${what}-${++folderCounter}`;

describe.each(TARGETS)('$name', (target) => {
	it('claims, then deletes or moves the claimed file', async () => {
		await claimThenAfterDownload(target, freshFolder('claim'));
	});

	it('never replaces a file of the same name in the claim folder', async () => {
		await claimNeverReplaces(target, freshFolder('same-name'));
	});

	it('two executions at once download each of 24 files exactly once', async () => {
		await concurrentClaims(target, freshFolder('concurrent'));
	}, 120_000);

	it('moves a poison file aside and processes the others; its folder marker stays', async () => {
		await poisonFileMovedAside(target, freshFolder('poison'));
	}, 60_000);

	it('deletes per-file and folder Done Files', async () => {
		await doneFilesDeleted(target, freshFolder('done'));
	});

	it("outputs the server's modification time", async () => {
		await modifiedAtOfServer(target, freshFolder('time'));
	});
});
