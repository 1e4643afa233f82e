/**
 * The transfer engine's fault tests (test/helpers/transferFaultScenarios.ts) against the in-process ftp-srv, through a
 * fault-injecting proxy on loopback. The same scenarios run against vsftpd in test/interop/transferFaults.test.ts.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import { describeTransferFaults } from '../helpers/transferFaultScenarios';

let server: TestFtpServer;

beforeAll(async () => {
	await initBinaryData();
	server = await startFtpServer({ security: 'none' });
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

describeTransferFaults(
	'ftp-srv',
	() => ({
		...server,
		onDisk: (remotePath) => path.join(server.root, remotePath),
		put: async (remotePath, content) => {
			await fsp.mkdir(path.dirname(path.join(server.root, remotePath)), { recursive: true });
			await fsp.writeFile(path.join(server.root, remotePath), content);
		},
	}),
	// ftp-srv 4.6.3 leaves its EPSV port open when a client falls back to PASV, which keeps jest waiting at exit.
	{ credentials: { disableEpsv: true } },
);
