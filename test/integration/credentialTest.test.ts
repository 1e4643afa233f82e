/**
 * The credential test (`ftpAutomationApiTest`, run by n8n's "Test" button): DNS lookup → TCP connection → TLS
 * handshake → login → working directory → data connection, reporting the first step that failed with the node's
 * cause-and-fix message, or a one-line summary of the server. Everything runs on 127.0.0.1; the one host name
 * (under the reserved .invalid TLD) is answered by a mocked dns.promises.lookup, because /etc/resolv.conf points
 * at a network resolver and the query must not leave the machine.
 */
import { promises as fsp } from 'fs';
import * as dns from 'dns';
import * as net from 'net';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions } from 'n8n-workflow';

import { ftpAutomationApiTest } from '../../nodes/FtpAutomation/methods';
import { RemoteSession } from '../../nodes/FtpAutomation/transport';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { credentialsFor } from '../helpers/nodeRun';
import { closedPort, scriptedFtpServer } from '../helpers/fakeServers';

let plain: TestFtpServer;
let explicit: TestFtpServer;
let implicit: TestFtpServer;
/** Announces 127.0.0.2 in PASV replies but accepts data connections only on 127.0.0.1 (a server behind NAT). */
let nat: TestFtpServer;

beforeAll(async () => {
	[plain, explicit, implicit, nat] = await Promise.all([
		startFtpServer({ security: 'none' }),
		startFtpServer({ security: 'explicit' }),
		startFtpServer({ security: 'implicit' }),
		startFtpServer({ security: 'none', pasvUrl: '127.0.0.2' }),
	]);
	for (const server of [plain, explicit, implicit, nat]) {
		await fsp.writeFile(path.join(server.root, 'orders.csv'), 'a,b\n1,2\n');
		await fsp.writeFile(path.join(server.root, 'notes.txt'), 'hello');
		await fsp.mkdir(path.join(server.root, 'archive'));
	}
});

afterAll(async () => {
	await Promise.all([plain, explicit, implicit, nat].map(async (server) => await server?.close()));
});

afterEach(() => {
	jest.restoreAllMocks();
});

/** Calls the credential test as n8n does. */
async function testCredential(data: ICredentialDataDecryptedObject) {
	return await ftpAutomationApiTest.call({} as ICredentialTestFunctions, {
		id: '1',
		name: 'test',
		type: 'ftpAutomationApi',
		data,
	});
}

describe('credential test: success', () => {
	it('over plain FTP says it is not encrypted, and names the banner and the missing MLSD', async () => {
		expect(await testCredential(credentialsFor(plain, 'none'))).toEqual({
			status: 'OK',
			message: `Connected to 127.0.0.1:${plain.port} over plain FTP (not encrypted), logged in as tester, listed / (3 entries). Server: "ftp-srv test server Ready". MLSD: no (modification times via MDTM).`,
		});
	});

	it('over explicit FTPS names the TLS version', async () => {
		expect(await testCredential(credentialsFor(explicit, 'explicit'))).toEqual({
			status: 'OK',
			message: `Connected to 127.0.0.1:${explicit.port} over explicit FTPS (TLSv1.3), logged in as tester, listed / (3 entries). Server: "ftp-srv test server Ready". MLSD: no (modification times via MDTM).`,
		});
	});

	it("also writes the summary to n8n's log: n8n's credential dialog shows only its own words on success", async () => {
		const info = jest.fn();
		const result = await ftpAutomationApiTest.call(
			{ logger: { info } } as unknown as ICredentialTestFunctions,
			{
				id: '1',
				name: 'Partner FTPS',
				type: 'ftpAutomationApi',
				data: credentialsFor(explicit, 'explicit'),
			},
		);
		expect(result.status).toBe('OK');
		expect(info).toHaveBeenCalledTimes(1);
		expect(info).toHaveBeenCalledWith(
			`Credential test of "Partner FTPS" succeeded: ${result.message}`,
		);
	});

	it('over implicit FTPS names the TLS version', async () => {
		expect(await testCredential(credentialsFor(implicit, 'implicit'))).toEqual({
			status: 'OK',
			message: `Connected to 127.0.0.1:${implicit.port} over implicit FTPS (TLSv1.3), logged in as tester, listed / (3 entries). Server: "ftp-srv test server Ready". MLSD: no (modification times via MDTM).`,
		});
	});
});

/**
 * A failure report is "<step>: <cause> — <fix>". The cause is checked exactly; the fix, written in
 * transport/errors.ts for the node's errors as well, only by its gist.
 */
function expectFailure(
	result: { status: string; message: string },
	stepAndCause: string | RegExp,
	fixGist: string,
) {
	expect(result.status).toBe('Error');
	const separator = result.message.indexOf(' — ');
	expect(separator).toBeGreaterThan(0);
	const [head, fix] = [result.message.slice(0, separator), result.message.slice(separator + 3)];
	if (typeof stepAndCause === 'string') expect(head).toBe(stepAndCause);
	else expect(head).toMatch(stepAndCause);
	expect(fix).not.toBe('');
	expect(fix).toContain(fixGist);
}

describe('credential test: the first failing step', () => {
	it('before step 1: an invalid credential', async () => {
		expectFailure(
			await testCredential({ ...credentialsFor(plain, 'none'), host: '' }),
			'Checking the credential: The credential has no host',
			'Enter the FTP server name or IP address',
		);
	});

	it('step 1: a host name that does not resolve (DNS mocked: the query must not leave the machine)', async () => {
		const lookup = jest.spyOn(dns.promises, 'lookup').mockRejectedValue(
			Object.assign(new Error('getaddrinfo ENOTFOUND ftp.example.invalid'), {
				code: 'ENOTFOUND',
				hostname: 'ftp.example.invalid',
			}),
		);
		const open = jest.spyOn(RemoteSession, 'open');
		expectFailure(
			await testCredential({ ...credentialsFor(plain, 'none'), host: 'ftp.example.invalid' }),
			'Step 1 of 6, DNS lookup: The host name "ftp.example.invalid" could not be resolved',
			'Check the spelling of the host',
		);
		expect(lookup).toHaveBeenCalledWith('ftp.example.invalid', { all: true });
		expect(open).not.toHaveBeenCalled();
	});

	it('step 2: a refused connection (closed port)', async () => {
		const port = await closedPort();
		expectFailure(
			await testCredential(credentialsFor(plain, 'none', { port })),
			`Step 2 of 6, TCP connection: The connection to 127.0.0.1:${port} was refused`,
			'check the port (21 for FTP and explicit FTPS, usually 990 for implicit FTPS)',
		);
	});

	it('step 2: a TCP connection that is never answered (stand-in: Socket#connect mocked, as loopback always answers)', async () => {
		const open = jest.spyOn(RemoteSession, 'open');
		jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket) {
			return this;
		});
		const started = Date.now();
		expectFailure(
			await testCredential(credentialsFor(plain, 'none', { connectionTimeout: 0.5 })),
			`Step 2 of 6, TCP connection: 127.0.0.1:${plain.port} did not answer within 1 s`,
			'A firewall may',
		);
		expect(Date.now() - started).toBeLessThan(3000);
		expect(open).not.toHaveBeenCalled();
	});

	it('step 2: no greeting in time (explicit FTPS against an implicit FTPS port: both sides wait)', async () => {
		const started = Date.now();
		expectFailure(
			await testCredential(credentialsFor(implicit, 'explicit', { connectionTimeout: 1 })),
			`Step 2 of 6, TCP connection: 127.0.0.1:${implicit.port} did not answer within 1 s`,
			'A firewall may',
		);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it("step 3: implicit FTPS against a plain FTP port: the cause and fix in words, OpenSSL's stack last", async () => {
		const result = await testCredential(credentialsFor(plain, 'implicit'));
		expectFailure(
			result,
			`Step 3 of 6, TLS handshake: The TLS handshake with 127.0.0.1:${plain.port} failed (OpenSSL: wrong version number)`,
			'Set Security to Explicit FTPS',
		);
		expect(result.message).toMatch(
			/Set Security to Explicit FTPS.*\(usually 990\)\. \(OpenSSL reported: [0-9A-F]+:error:[0-9A-F]+:SSL routines:\w+:wrong version number:.*\)$/,
		);
	});

	it('step 3: an untrusted self-signed certificate', async () => {
		expectFailure(
			await testCredential(credentialsFor(explicit, 'explicit', { caCertificate: '' })),
			"Step 3 of 6, TLS handshake: The server's TLS certificate is not trusted: self-signed certificate",
			'CA Certificate',
		);
	});

	it('step 4: a wrong password, which appears nowhere in the result', async () => {
		const password = 'Wr0ng-Pässword-77!';
		const result = await testCredential(credentialsFor(explicit, 'explicit', { password }));
		expectFailure(
			result,
			'Step 4 of 6, login: Wrong username or password (server replied: 530 Login incorrect.)',
			'Check the username and password',
		);
		expect(JSON.stringify(result)).not.toContain(password);
	});

	it('step 5: the working directory cannot be read (stand-in: a scripted server answers PWD with 550)', async () => {
		const server = await scriptedFtpServer({ replies: { PWD: '550 Permission denied.' } });
		try {
			const credentials = credentialsFor(
				{
					host: '127.0.0.1',
					port: server.port,
					username: 'scripted-user',
					password: 'scripted-Pass-9',
					caCertificate: '',
				},
				'none',
			);
			expectFailure(
				await testCredential(credentials),
				/^Step 5 of 6, working directory: .*\(server replied: 550 Permission denied\.\)$/,
				'', // the fix for a refused PWD is transport/errors.ts's general one for 550
			);
		} finally {
			await server.close();
		}
	});

	it('step 6: the data connection of the LIST (PASV address unreachable, as behind NAT)', async () => {
		expectFailure(
			await testCredential(
				credentialsFor(nat, 'none', { passiveAddress: 'serverReported', disableEpsv: true }),
			),
			/^Step 6 of 6, data connection: The data connection to 127\.0\.0\.2:\d+ could not be opened or was interrupted while trying to list the folder "\/" \(.+\)$/,
			'keep Passive Address on Control Connection Host',
		);
	});
});
