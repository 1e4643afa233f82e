/**
 * The trigger's Deleted File and New Folder events, selection rules and pickup options (issue 17) through n8n's real
 * PollContext against the embedded servers: ftp-srv (FTP) and the in-process ssh2 server (SFTP). The same scenarios
 * run against real servers in test/interop/triggerEvents.test.ts.
 */
import { promises as fsp } from 'fs';
import * as fs from 'fs';
import * as path from 'path';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { cleanupBinaryData, initBinaryData, pollNode } from '../../tools/n8nHarness';
import { startSftpServer, type TestSftpServer } from '../../tools/sftpServer';
import { credentialsFor } from '../helpers/nodeRun';
import { triggerScenarios, type TriggerTarget } from '../helpers/triggerScenarios';

let ftpServer: TestFtpServer;
let sftpServer: TestSftpServer;
/** Names whose next claim loses the race (see TriggerTarget.loseNextClaim); only ftp-srv can hook its renames. */
const claimsToLose = new Set<string>();

beforeAll(async () => {
	await initBinaryData();
	ftpServer = await startFtpServer({
		security: 'none',
		refuseRename: (from, to) => {
			const name = path.posix.basename(to);
			if (!claimsToLose.delete(name)) return undefined;
			// Another execution renamed it first: the file is gone from where this one listed it.
			// The node names files by their absolute path; "/" is the server's root folder.
			fs.renameSync(
				path.join(ftpServer.root, from),
				path.join(ftpServer.root, `taken-by-another-${name}`),
			);
			return 'No such file or directory';
		},
	});
	sftpServer = await startSftpServer();
});

afterAll(async () => {
	await ftpServer?.close();
	await sftpServer?.close();
	await cleanupBinaryData();
});

/** A server whose "/" is `root` on disk, with files written by this process (it runs the server too). */
function servedFrom(
	root: () => string,
): Pick<TriggerTarget, 'remote' | 'onDisk' | 'write' | 'makeFolder'> {
	return {
		remote: (relative) => `/${relative}`,
		onDisk: (relative) => path.join(root(), relative),
		write: async (relative, content) => {
			await fsp.mkdir(path.dirname(path.join(root(), relative)), { recursive: true });
			await fsp.writeFile(path.join(root(), relative), content);
		},
		makeFolder: async (relative) => {
			await fsp.mkdir(path.join(root(), relative), { recursive: true });
		},
	};
}

describe('FTP Automation Trigger, issue 17 (FTP, ftp-srv)', () => {
	triggerScenarios(() => ({
		protocol: 'ftp',
		credentials: { ftpAutomationApi: credentialsFor(ftpServer, 'none') },
		...servedFrom(() => ftpServer.root),
		loseNextClaim: (name) => claimsToLose.add(name),
	}));
});

describe('FTP Automation Trigger, issue 17: rules that could select nothing', () => {
	it('fail the poll with the fields to change, before anything is emitted or remembered', async () => {
		const staticData = {};
		const error = (await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters: { path: '/', options: { minAge: 600, maxAge: 60 } },
			credentials: { ftpAutomationApi: credentialsFor(ftpServer, 'none') },
			staticData,
		}).catch((failure: Error) => failure)) as Error;
		expect(error).toBeInstanceOf(Error);
		expect(error.message).toContain(
			'The minimum age (600 s) is larger than the maximum age (60 s), so nothing could be selected',
		);
		expect(staticData).toEqual({});
	});
});

describe('FTP Automation Trigger, issue 17 (SFTP, in-process ssh2 server)', () => {
	triggerScenarios(() => ({
		protocol: 'sftp',
		credentials: {
			sftpAutomationApi: {
				host: sftpServer.host,
				port: sftpServer.port,
				username: sftpServer.username,
				password: sftpServer.password,
				hostKeyFingerprint: sftpServer.hostKeyFingerprint,
				connectionTimeout: 5,
			},
		},
		...servedFrom(() => sftpServer.root),
	}));
});
