/**
 * The failure table (issue 4, "every failure explains its cause and its fix"): one describe per failure class, each
 * provoked for real through the node in n8n's real execution context. The error's MESSAGE must name the cause, its
 * DESCRIPTION must give the fix, and the password must appear nowhere: not in the message, the description, the
 * serialised error, its stack or context, nor in the Continue On Fail output item (see `provoke`).
 *
 * What provokes each class: the in-process ftp-srv (tools/ftpServer.ts) wherever it shows the failure; a
 * closed port; a socket that accepts and never answers; a TCP proxy that cuts or stalls data connections; and, where
 * neither ftp-srv nor a correct client produce a failure, a scripted server on loopback that sends a real server's
 * exact replies (test/helpers/fakeServers.ts). Each such test says that it is a stand-in, and for what. The same
 * failures against real vsftpd/ProFTPD/pure-ftpd are in test/interop/ (`npm run test:interop`).
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';
import { generate } from 'selfsigned';

import { testCertificate } from '../../tools/certificates';
import {
	closedPort,
	scriptedFtpServer,
	silentServer,
	type FtpScript,
	type ScriptedFtpServer,
} from '../helpers/fakeServers';
import { startFaultProxy } from '../helpers/faultProxy';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';
import { fixOf, logOf, type ShownError } from '../helpers/shownError';

/** Used wherever the server does not check it; ftp-srv only accepts its own (also distinctive) test password. */
const PASSWORD = 'Secr3t-Pässword-Δ';
const LIST: INodeParameters = { operation: 'list', path: '/' };
const BIG = 4 * 1024 * 1024;

let plain: TestFtpServer;
let explicit: TestFtpServer;
let implicit: TestFtpServer;
/** Announces 127.0.0.2 in PASV replies but accepts data connections on 127.0.0.1 only, like a server behind NAT. */
let nat: TestFtpServer;
let binaryFolder: string;

beforeAll(async () => {
	binaryFolder = await initBinaryData();
	[plain, explicit, implicit, nat] = await Promise.all([
		startFtpServer({ security: 'none' }),
		startFtpServer({ security: 'explicit' }),
		startFtpServer({ security: 'implicit' }),
		startFtpServer({ security: 'none', pasvUrl: '127.0.0.2' }),
	]);
	await fsp.writeFile(path.join(plain.root, 'big.bin'), Buffer.alloc(BIG, 7));
	await fsp.writeFile(path.join(nat.root, 'report.csv'), 'a,b\n1,2\n');
});

afterAll(async () => {
	await Promise.all([plain, explicit, implicit, nat].map(async (server) => await server?.close()));
	await cleanupBinaryData();
});

afterEach(() => {
	jest.restoreAllMocks();
});

/** Asserts that `secret` appears in none of the places a user, a log or an error reporter could see. */
function expectSecretNowhere(
	secret: string,
	error: ShownError,
	output: INodeExecutionData[],
): void {
	const places: Record<string, unknown> = {
		'error.message': error.message,
		'error.description': error.description,
		'JSON.stringify(error)': JSON.stringify(error),
		'error.messages (the connection log)': JSON.stringify(error.messages ?? []),
		'error.stack': error.stack,
		'error.context': JSON.stringify(error.context ?? {}),
		'Continue On Fail output': JSON.stringify(output),
	};
	const leaks = Object.entries(places)
		.filter(([, shown]) => String(shown).includes(secret))
		.map(([place]) => place);
	expect(leaks).toEqual([]);
}

/**
 * Runs the node twice against the same failure: once failing (the error n8n shows), once with Continue On Fail (the
 * error item). Checks the password is in neither and that the item carries the same message; returns the error.
 */
async function provoke(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters = LIST,
): Promise<ShownError> {
	const secret = String(credentials.password);
	expect(secret.length).toBeGreaterThan(8);
	const error = await failingRun(credentials, parameters);
	const output = await runFtpNode(credentials, parameters, { continueOnFail: true });
	expectSecretNowhere(secret, error, output);
	// The same message, except for ports the operating system picks anew for each run.
	const samePorts = (message: unknown) => String(message).replace(/:\d{2,5}\b/g, ':<port>');
	expect(output).toEqual([{ json: { error: expect.any(String) }, pairedItem: { item: 0 } }]);
	expect(samePorts(output[0].json.error)).toBe(samePorts(error.message));
	return error;
}

/** Credentials for a fake on loopback (it accepts any user and password). */
function fakeCredentials(
	target: { host: string; port: number },
	security: 'none' | 'explicit' | 'implicit',
	overrides: IDataObject = {},
) {
	return credentialsFor(
		{
			host: target.host,
			port: target.port,
			username: 'alice',
			password: PASSWORD,
			caCertificate: '',
		},
		security,
		{
			connectionTimeout: 2,
			...overrides,
		},
	);
}

async function withScripted<T>(
	script: FtpScript,
	work: (server: ScriptedFtpServer) => Promise<T>,
): Promise<T> {
	const server = await scriptedFtpServer(script);
	try {
		return await work(server);
	} finally {
		await server.close();
	}
}

async function filesBelow(folder: string): Promise<string[]> {
	const entries = await fsp.readdir(folder, { recursive: true, withFileTypes: true });
	return entries
		.filter((entry) => entry.isFile())
		.map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
		.sort();
}

describe('1. the host name does not resolve', () => {
	it('names the host and says to check it and DNS', async () => {
		// A name under the reserved .invalid TLD (RFC 6761) never resolves. But /etc/resolv.conf on this machine names a
		// network resolver (nameserver 10.255.255.53) and glibc does not short-circuit .invalid, so a real lookup would
		// leave the machine: dns.lookup (which Node's net module calls for every connect) is mocked for this test only,
		// failing .invalid names exactly as getaddrinfo does (ENOTFOUND) and passing any other name through.
		const dns = require('node:dns') as typeof import('node:dns');
		const realLookup = dns.lookup;
		const lookup = jest.spyOn(dns, 'lookup').mockImplementation(((
			hostname: string,
			options: unknown,
			callback?: unknown,
		) => {
			const done = (typeof options === 'function' ? options : callback) as (
				error: NodeJS.ErrnoException,
			) => void;
			if (!hostname.endsWith('.invalid'))
				return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
			const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
				errno: -3008,
				code: 'ENOTFOUND',
				syscall: 'getaddrinfo',
				hostname,
			});
			process.nextTick(() => done(error));
		}) as unknown as typeof dns.lookup);

		const error = await provoke({
			...fakeCredentials({ host: 'ftp.example.invalid', port: 21 }, 'explicit'),
		});
		expect(lookup).toHaveBeenCalledWith(
			'ftp.example.invalid',
			expect.anything(),
			expect.any(Function),
		);
		expect(error.message).toBe('The host name "ftp.example.invalid" could not be resolved');
		expect(fixOf(error)).toContain(
			'Check the spelling of the host and that this n8n instance can resolve it (DNS)',
		);
	});
});

describe('2. the connection is refused', () => {
	it('names host and port and says to check the port and that the server runs', async () => {
		const port = await closedPort();
		const error = await provoke(fakeCredentials({ host: '127.0.0.1', port }, 'explicit'));
		expect(error.message).toBe(`The connection to 127.0.0.1:${port} was refused`);
		expect(fixOf(error)).toContain(
			'check the port (21 for FTP and explicit FTPS, usually 990 for implicit FTPS) and that the server is running',
		);
	});
});

describe('3. the connection times out', () => {
	it('names host, port and the timeout and points to a firewall', async () => {
		// Stand-in: a firewall that drops packets needs an address off this machine; loopback only allows a socket that
		// accepts and never answers. The client sees the same thing: no greeting within the Connection Timeout.
		const silent = await silentServer();
		try {
			const error = await provoke(fakeCredentials(silent, 'none', { connectionTimeout: 1 }));
			expect(silent.accepted).toBe(2);
			expect(error.message).toBe(`127.0.0.1:${silent.port} did not answer within 1 s`);
			expect(fixOf(error)).toContain(
				'A firewall may drop the connection, or the host or port is wrong.',
			);
		} finally {
			await silent.close();
		}
	});
});

describe('4. the server refuses AUTH TLS', () => {
	it('quotes the refusal and offers implicit FTPS on 990 or None', async () => {
		// ftp-srv without a certificate: a real server without explicit FTPS. (vsftpd ssl_enable=NO: test/interop (f).)
		const error = await provoke(credentialsFor(plain, 'explicit'));
		expect(error.message).toMatch(
			/^The server refused to start TLS \(AUTH TLS\) \(server replied: 502 /,
		);
		expect(fixOf(error)).toBe(
			'The server does not offer explicit FTPS on this port. If it offers implicit FTPS, choose Implicit FTPS (usually port 990); choose None only if you accept that the password and files travel unencrypted.',
		);
		expect(logOf(error)).toMatch(/> AUTH TLS/);
		expect(logOf(error)).not.toMatch(/> (USER|PASS)\b/);
	});
});

describe('5. implicit TLS against an explicit port, and the reverse', () => {
	it('implicit FTPS against a port that starts in plain text: the handshake fails, suggests Explicit FTPS', async () => {
		const error = await provoke(credentialsFor(explicit, 'implicit'));
		expect(error.message).toMatch(
			new RegExp(
				`^The TLS handshake with 127\\.0\\.0\\.1:${explicit.port} failed \\(.*wrong version number`,
			),
		);
		expect(fixOf(error)).toContain(
			'Implicit FTPS was chosen, but this port does not speak TLS from the first byte',
		);
		expect(fixOf(error)).toContain('Set Security to Explicit FTPS (AUTH TLS)');
	});

	it.each(['explicit', 'none'] as const)(
		'%s against an implicit FTPS port: no greeting, suggests Implicit FTPS',
		async (security) => {
			const error = await provoke(credentialsFor(implicit, security, { connectionTimeout: 1 }));
			expect(error.message).toBe(`127.0.0.1:${implicit.port} did not answer within 1 s`);
			expect(fixOf(error)).toContain('If this port is for implicit FTPS (usually 990)');
			expect(fixOf(error)).toContain('set Security to Implicit FTPS');
		},
	);
});

describe('6. the certificate is untrusted, expired or for another name', () => {
	it('untrusted (self-signed, no CA Certificate): suggests CA Certificate or pinning, not turning checks off', async () => {
		const error = await provoke(credentialsFor(explicit, 'explicit', { caCertificate: '' }));
		expect(error.message).toBe(
			"The server's TLS certificate is not trusted: self-signed certificate",
		);
		expect(fixOf(error)).toContain('paste that certificate (PEM) into CA Certificate, or pin it');
		expect(fixOf(error)).toContain('Certificate Fingerprint');
		expect(fixOf(error)).toContain('Avoid Ignore SSL Issues');
	});

	it('for another name: says what was expected and what the certificate is for; Server Name (TLS) fixes it', async () => {
		const error = await provoke(
			credentialsFor(explicit, 'explicit', { serverName: 'files.example.com' }),
		);
		expect(error.message).toBe(
			`The server's TLS certificate is for a different name: the node expected "files.example.com", the certificate is for DNS:localhost, IP Address:127.0.0.1`,
		);
		expect(fixOf(error)).toContain(
			'Set Server Name (TLS) to a name the certificate is for (e.g. localhost)',
		);
		expect(fixOf(error)).toContain('Avoid Ignore SSL Issues');
		await expect(
			runFtpNode(credentialsFor(explicit, 'explicit', { serverName: 'localhost' }), LIST),
		).resolves.toBeDefined();
	});

	it('expired: says so, suggests renewal and pinning meanwhile; nothing is sent after the handshake', async () => {
		// Stand-in for the FTP dialogue only: ftp-srv always presents the shared valid test certificate, so a scripted
		// server does AUTH TLS with a really expired certificate (the TLS handshake and its verification are real).
		// Against real vsftpd with an expired certificate: test/interop/tlsFailures.test.ts (a).
		const expired = await generate([{ name: 'commonName', value: 'localhost' }], {
			keyType: 'rsa',
			keySize: 2048,
			algorithm: 'sha256',
			notBeforeDate: new Date('2020-01-01T00:00:00Z'),
			notAfterDate: new Date('2021-01-01T00:00:00Z'),
			extensions: [
				{ name: 'basicConstraints', cA: true, critical: true },
				{
					name: 'subjectAltName',
					altNames: [
						{ type: 2, value: 'localhost' },
						{ type: 7, ip: '127.0.0.1' },
					],
				},
			],
		});
		await withScripted({ tls: { key: expired.private, cert: expired.cert } }, async (server) => {
			const error = await provoke(
				fakeCredentials(server, 'explicit', { caCertificate: expired.cert }),
			);
			expect(error.message).toBe(
				"The server's TLS certificate has expired (certificate has expired)",
			);
			expect(fixOf(error)).toContain('Ask the server administrator to renew the certificate');
			expect(fixOf(error)).toContain('Certificate Fingerprint');
			expect(server.commands.filter((command) => /^(USER|PASS)/.test(command))).toEqual([]);
		});
	});
});

describe('7. wrong user or password', () => {
	it('quotes the 530 and says to check the credential; the password shows up nowhere', async () => {
		const error = await provoke(credentialsFor(explicit, 'explicit', { password: PASSWORD }));
		expect(error.message).toBe('Wrong username or password (server replied: 530 Login incorrect.)');
		expect(fixOf(error)).toBe('Check the username and password in the credential.');
		expect(logOf(error)).toContain('> PASS ***');
	});
});

describe('8. the server requires TLS for login', () => {
	it('quotes the refusal and says to choose Explicit FTPS; the password was never sent', async () => {
		// Stand-in: ftp-srv cannot require TLS before login. The reply is vsftpd's with force_local_logins_ssl=YES,
		// which refuses at USER (real vsftpd: test/interop/tlsFailures.test.ts (g)).
		await withScripted(
			{ replies: { USER: '530 Non-anonymous sessions must use encryption.' } },
			async (server) => {
				const error = await provoke(fakeCredentials(server, 'none'));
				expect(error.message).toBe(
					'The server requires TLS before login (server replied: 530 Non-anonymous sessions must use encryption.)',
				);
				expect(fixOf(error)).toBe('Set Security to Explicit FTPS (AUTH TLS) in the credential.');
				expect(server.commands.filter((command) => command.startsWith('PASS'))).toEqual([]);
			},
		);
	});
});

describe('9. the data connection cannot be opened', () => {
	it('passive: the address the server reports is unreachable (NAT); suggests Passive Address', async () => {
		const error = await provoke(
			credentialsFor(nat, 'none', { disableEpsv: true, passiveAddress: 'serverReported' }),
			{
				operation: 'download',
				path: '/report.csv',
			},
		);
		expect(error.message).toMatch(
			/^The data connection to 127\.0\.0\.2:\d+ could not be opened or was interrupted while trying to download "\/report\.csv" \(Can't open data connection in passive mode: connect ECONNREFUSED 127\.0\.0\.2:\d+\)$/,
		);
		expect(fixOf(error)).toContain('keep Passive Address on Control Connection Host');
	});

	it('active: the server cannot connect back; suggests passive mode', async () => {
		// Stand-in: on loopback ftp-srv can always connect back to us. The reply is vsftpd's when its connection to the
		// client's PORT address fails (a firewall in front of n8n).
		await withScripted(
			{ replies: { RETR: '425 Failed to establish connection.' } },
			async (server) => {
				const error = await provoke(fakeCredentials(server, 'none', { dataConnection: 'active' }), {
					operation: 'download',
					path: '/report.csv',
				});
				// 425 is temporary by definition, so the default Retries (2) tried twice more before giving up.
				expect(error.message).toBe(
					'The data connection could not be opened or was closed (server replied: 425 Failed to establish connection.) (tried 3 times)',
				);
				expect(fixOf(error)).toContain('Set Data Connection to Passive');
				expect(server.commands).toContainEqual(expect.stringMatching(/^PORT 127,0,0,1,\d+,\d+$/));
			},
		);
	});
});

describe("10. the server refuses the data connection's TLS", () => {
	it('522 session reuse required: names the requirement and the server-side fix', async () => {
		// Stand-in: this node resumes the TLS session on data connections, so real vsftpd (require_ssl_reuse=YES) and
		// ftp-srv accept them. The scripted server accepts the data connection's TLS handshake, then refuses it with
		// vsftpd's exact reply, as vsftpd does for a data connection that did not resume the session.
		const certificate = await testCertificate();
		const script: FtpScript = {
			tls: certificate,
			replies: {
				RETR: async (session) => {
					const data = await session.dataConnection();
					session.reply('150 Opening BINARY mode data connection for /report.csv (8 bytes).');
					const { TLSSocket } = await import('tls');
					const secured = new TLSSocket(data, {
						isServer: true,
						key: certificate.key,
						cert: certificate.cert,
					});
					secured.on('error', () => undefined);
					await new Promise((resolve) => secured.once('secure', resolve));
					session.reply('522 SSL connection failed: session reuse required');
					setTimeout(() => secured.destroy(), 50);
				},
			},
		};
		await withScripted(script, async (server) => {
			const error = await provoke(
				fakeCredentials(server, 'explicit', { caCertificate: certificate.cert }),
				{ operation: 'download', path: '/report.csv' },
			);
			expect(error.message).toBe(
				"The server refused the TLS of the data connection: it requires the data connection to resume the control connection's TLS session (server replied: 522 SSL connection failed: session reuse required)",
			);
			expect(fixOf(error)).toContain('vsftpd: require_ssl_reuse=NO');
		});
	});
});

describe('11. file or folder not found, permission denied', () => {
	it("a missing file: says it does not exist, and leaves nothing in n8n's binary store", async () => {
		const storedBefore = await filesBelow(binaryFolder);
		const error = await provoke(credentialsFor(explicit, 'explicit'), {
			operation: 'download',
			path: '/missing.csv',
		});
		expect(await filesBelow(binaryFolder)).toEqual(storedBefore);
		// ftp-srv answers RETR of a missing file with 551 and Node's ENOENT text.
		expect(error.message).toMatch(
			/^Cannot download "\/missing\.csv": it does not exist \(server replied: 551 ENOENT: no such file or directory/,
		);
		expect(fixOf(error)).toContain('Check the path: it is case-sensitive on most servers');
	});

	it('a missing folder: says it does not exist', async () => {
		const error = await provoke(credentialsFor(explicit, 'explicit'), {
			operation: 'list',
			path: '/no-such-folder',
		});
		expect(error.message).toBe('The folder "/no-such-folder" does not exist or cannot be opened');
		expect(fixOf(error)).toContain('relative paths start at the login folder');
	});

	it('permission denied: says so and says whom to ask', async () => {
		// Stand-in: the tests run as root, so file permissions do not stop ftp-srv, and ftp-srv has no per-user rights.
		// The reply is vsftpd's to DELE when writing is not allowed.
		await withScripted(
			{
				replies: {
					DELE: '550 Permission denied.',
					CWD: (session, dir) =>
						session.reply(
							dir === '/'
								? '250 Directory successfully changed.'
								: '550 Failed to change directory.',
						),
				},
			},
			async (server) => {
				const error = await provoke(fakeCredentials(server, 'none'), {
					operation: 'delete',
					path: '/report.csv',
				});
				expect(error.message).toBe(
					'Cannot delete the file "/report.csv": permission is denied (server replied: 550 Permission denied.)',
				);
				expect(fixOf(error)).toContain('ask the server administrator for the rights');
			},
		);
	});
});

describe('12. the connection drops in the middle of a transfer', () => {
	it('says the data connection was dropped mid-transfer and to run again', async () => {
		// A real ftp-srv behind a TCP proxy on loopback that resets the data connection after 256 KiB of 4 MiB.
		const proxy = await startFaultProxy(plain, [
			{ channel: 'data', action: 'reset', afterBytes: 256 * 1024 },
		]);
		try {
			const error = await provoke(credentialsFor({ ...plain, port: proxy.port }, 'none'), {
				operation: 'download',
				path: '/big.bin',
			});
			// Two runs (plain, then Continue On Fail), each trying three times (Retries: 2, the default), each resuming.
			expect(proxy.stats.faultsTriggered).toBe(6);
			// Which side reports the reset first is a race: the data socket (ECONNRESET) or ftp-srv's reply (551 write ECONNRESET).
			expect(error.message).toMatch(
				/^The data connection was dropped in the middle of the transfer while trying to download "\/big\.bin" (\(.*ECONNRESET.*\(data socket\)\)|after \d+ bytes \(server replied: 551 .*ECONNRESET\)) \(tried 3 times\)$/,
			);
			expect(fixOf(error)).toContain('Run the node again');
		} finally {
			await proxy.close();
		}
	});
});

describe('13. a timeout during the transfer', () => {
	it('says the transfer stalled for the timeout, distinct from a dropped connection', async () => {
		// A real ftp-srv behind a TCP proxy on loopback that stops forwarding the data connection after 256 KiB.
		const proxy = await startFaultProxy(plain, [
			{ channel: 'data', action: 'stall', afterBytes: 256 * 1024 },
		]);
		try {
			// Retries off: this class is about the explanation; retries after a stall are in transferFaults.test.ts.
			const error = await provoke(
				credentialsFor({ ...plain, port: proxy.port }, 'none', { connectionTimeout: 1 }),
				{
					operation: 'download',
					path: '/big.bin',
					options: { retries: 0 },
				},
			);
			expect(proxy.stats.faultsTriggered).toBe(2);
			expect(error.message).toBe(
				'The transfer stalled: no data moved for 1 s while trying to download "/big.bin", so the connection was given up (timeout during the transfer)',
			);
			expect(fixOf(error)).toContain('raise Connection Timeout in the credential (now 1 s)');
		} finally {
			await proxy.close();
		}
	});
});

describe('14. the server closes the connection (421)', () => {
	it('too many connections: names the limit and says to retry later or connect less often at once', async () => {
		// Stand-in: ftp-srv has no connection limit. The reply is vsftpd's greeting when max_clients is reached, after
		// which it closes the connection.
		await withScripted(
			{
				greeting: '421 There are too many connected users, please try later.',
				closeAfterGreeting: true,
			},
			async (server) => {
				const error = await provoke(fakeCredentials(server, 'explicit'));
				expect(error.message).toBe(
					'The server closed the connection: it accepts no more connections right now (server replied: 421 There are too many connected users, please try later.)',
				);
				expect(fixOf(error)).toContain('Retry later');
				expect(fixOf(error)).toContain('raise the limit');
			},
		);
	});
});
