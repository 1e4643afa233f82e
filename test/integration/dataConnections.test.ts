/**
 * Passive data connections: EPSV or PASV, and which address PASV connections go to. The server announces
 * 127.0.0.2 in its PASV replies but accepts data connections only on 127.0.0.1, like a server behind NAT.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runWithLog } from '../helpers/nodeRun';

let natServer: TestFtpServer;

beforeAll(async () => {
	await initBinaryData();
	natServer = await startFtpServer({ security: 'none', pasvUrl: '127.0.0.2' });
	await fsp.writeFile(path.join(natServer.root, 'report.csv'), 'a,b\n1,2\n');
});

afterAll(async () => {
	await natServer.close();
	await cleanupBinaryData();
});

afterEach(() => {
	jest.restoreAllMocks();
});

describe('passive data connections', () => {
	it('tries EPSV first, which carries no address', async () => {
		const { output, log } = await runWithLog(credentialsFor(natServer, 'none'), {
			operation: 'download',
			path: '/report.csv',
		});
		expect((await readBinary(output[0].binary!.data)).toString()).toBe('a,b\n1,2\n');
		expect(log).toContain('> EPSV');
		expect(log).not.toContain('> PASV');
	});

	it('with Disable EPSV uses PASV, and by default connects to the control host instead of the reported address', async () => {
		const { output, log } = await runWithLog(
			credentialsFor(natServer, 'none', { disableEpsv: true }),
			{ operation: 'download', path: '/report.csv' },
		);
		expect((await readBinary(output[0].binary!.data)).toString()).toBe('a,b\n1,2\n');
		expect(log).toContain('> PASV');
		expect(log).not.toContain('> EPSV');
		expect(log).toMatch(/< 227 .*127,0,0,2,/);
		expect(log).toMatch(/Downloading from 127\.0\.0\.1:\d+/);
	});

	it('with Passive Address set to the reported address, fails with an explained data-connection error', async () => {
		const error = await failingRun(
			credentialsFor(natServer, 'none', { disableEpsv: true, passiveAddress: 'serverReported' }),
			{ operation: 'download', path: '/report.csv' },
		);
		expect(error.message).toMatch(
			/^The data connection to 127\.0\.0\.2:\d+ could not be opened or was interrupted while trying to download "\/report\.csv"/,
		);
		expect(error.description).toContain('keep Passive Address on Control Connection Host');
	});

	it('rejects an unknown Passive Address value', async () => {
		const error = await failingRun(credentialsFor(natServer, 'none', { passiveAddress: 'nat' }), {
			operation: 'list',
			path: '/',
		});
		expect(error.message).toBe('Unknown Passive Address "nat"');
	});
});
