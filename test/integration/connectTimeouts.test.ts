/**
 * Connection Timeout bounds every step of connecting and every TLS handshake: TCP, greeting, AUTH TLS, the TLS
 * handshake after 234, login, and the handshake of a data connection. A peer that goes quiet at any of these must
 * fail the node, the trigger's poll and the credential test within about Connection Timeout, with a message that
 * names the timeout and never the password. Before the fix, a server (or middlebox) that answered AUTH TLS with 234
 * and then said nothing left all three pending forever: basic-ftp's control timeout runs only while a command
 * waits for its reply, and the TLS upgrade after the reply had none.
 *
 * The peers are scripted stand-ins on 127.0.0.1 (test/helpers/fakeServers.ts): real TCP and TLS sockets, with
 * silence where a real server or middlebox would hang.
 */
import * as net from 'net';
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import { ftpAutomationApiTest } from '../../nodes/FtpAutomation/methods';
import { toConnectionSettings } from '../../nodes/FtpAutomation/transport';
import { fetchPresentedCertificate } from '../../nodes/FtpAutomation/transport/ftp/certificateProbe';
import { testCertificate, type TestCertificate } from '../../tools/certificates';
import {
	closedPort,
	scriptedFtpServer,
	silentServer,
	type FtpScript,
	type ScriptedFtpServer,
} from '../helpers/fakeServers';
import { binaryItem, cleanupBinaryData, initBinaryData, pollNode } from '../../tools/n8nHarness';
import { credentialsFor, failingRun } from '../helpers/nodeRun';
import { fixOf, type ShownError } from '../helpers/shownError';

const PASSWORD = 'Secr3t-Pässword-Δ';
const TIMEOUT_S = 1;
const TIMEOUT_MS = TIMEOUT_S * 1000;
/**
 * Start-up of n8n's execution context, TCP and TLS on loopback, and timer granularity: well under this on an idle
 * machine, up to ~2.8 s seen at a load average of 15 (CI installs n8n beside the tests). Still far below every default
 * timeout (30 s) that would take over if the configured one did not apply.
 */
const SLACK_MS = 5000;
/** A hang fails the test instead of stalling the suite; every bound asserted below is far shorter. */
const HANG_MS = 20_000;

const LIST: INodeParameters = { operation: 'list', path: '/', options: { retries: 0 } };

let certificate: TestCertificate;

beforeAll(async () => {
	await initBinaryData();
	certificate = await testCertificate();
});

afterAll(async () => {
	await cleanupBinaryData();
});

afterEach(() => {
	jest.restoreAllMocks();
});

function credentialsOf(
	target: { host: string; port: number },
	security: 'none' | 'explicit' | 'implicit',
): ICredentialDataDecryptedObject {
	return credentialsFor(
		{
			host: target.host,
			port: target.port,
			username: 'alice',
			password: PASSWORD,
			caCertificate: certificate.cert,
		},
		security,
		{ connectionTimeout: TIMEOUT_S },
	);
}

/** Runs `work`, which must fail; returns its failure and how long it took. */
async function timedFailure<T>(
	work: () => Promise<unknown>,
): Promise<{ error: T; elapsedMs: number }> {
	const started = Date.now();
	const error = await work().then(
		() => {
			throw new Error('expected a failure');
		},
		(failure: unknown) => failure as T,
	);
	return { error, elapsedMs: Date.now() - started };
}

/** Runs the node expecting it to fail, as n8n shows the failure; also how long the run took. */
async function timedNodeFailure(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	items?: Awaited<ReturnType<typeof binaryItem>>[],
) {
	const started = Date.now();
	const error = await failingRun(credentials, parameters, items ? { items } : {});
	return { error: error as ShownError, elapsedMs: Date.now() - started };
}

/** The password must be in nothing a user, a log or an error reporter sees. */
function expectNoPassword(error: ShownError): void {
	for (const shown of [
		error.message,
		error.description,
		JSON.stringify(error),
		JSON.stringify(error.messages ?? []),
		error.stack,
		JSON.stringify(error.context ?? {}),
	]) {
		expect(String(shown)).not.toContain(PASSWORD);
	}
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

/** Explicit FTPS whose AUTH TLS is answered with 234, after which the server (or a middlebox) says nothing. */
function stalledHandshake(): FtpScript {
	return {
		tls: certificate,
		replies: {
			AUTH: (session) => {
				session.reply('234 Proceed with negotiation.');
				session.stopReading();
			},
		},
	};
}

const HANDSHAKE_HINT = 'accepted AUTH TLS but did not complete the TLS handshake';

describe('the TLS handshake after AUTH TLS (234, then silence)', () => {
	it('the stand-in stays silent after its 234, even when the ClientHello holds a CRLF', async () => {
		await withScripted(stalledHandshake(), async (server) => {
			const socket = net.connect(server.port, '127.0.0.1');
			let received = '';
			socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
			const until = async (pattern: RegExp) => {
				for (let waited = 0; !pattern.test(received) && waited < 5000; waited += 20)
					await new Promise((resolve) => setTimeout(resolve, 20));
				expect(received).toMatch(pattern);
			};
			await until(/^220 /);
			socket.write('AUTH TLS\r\n');
			await until(/\r\n234 /);
			const afterAuth = received.length;
			// The start of a TLS record, with a CRLF where a ClientHello's random bytes can have one.
			socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x0d, 0x0a, 0x55, 0x0d, 0x0a]));
			await new Promise((resolve) => setTimeout(resolve, 300));
			socket.destroy();
			expect(received.slice(afterAuth)).toBe('');
			expect(server.commands).toEqual(['AUTH TLS']);
		});
	});

	it(
		'the node (List) fails within Connection Timeout, naming the TLS handshake',
		async () => {
			const tls = require('node:tls') as typeof import('node:tls');
			const tlsConnect = jest.spyOn(tls, 'connect');
			await withScripted(stalledHandshake(), async (server) => {
				const { error, elapsedMs } = await timedNodeFailure(
					credentialsOf(server, 'explicit'),
					LIST,
				);
				// The half-done handshake is torn down with the connection under it, not left waiting on an open socket.
				expect(tlsConnect).toHaveBeenCalledTimes(1);
				const [[options], [result]] = [tlsConnect.mock.calls[0], tlsConnect.mock.results];
				expect((result.value as import('node:tls').TLSSocket).destroyed).toBe(true);
				expect((options as import('node:tls').ConnectionOptions).socket?.destroyed).toBe(true);
				expect(error.message).toBe(
					`The TLS handshake with 127.0.0.1:${server.port} did not finish within ${TIMEOUT_S} s`,
				);
				expect(fixOf(error)).toContain(HANDSHAKE_HINT);
				expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
				// Given up before login: no user name or password went out.
				expect(server.commands.filter((command) => /^(USER|PASS)\b/.test(command))).toEqual([]);
			});
		},
		HANG_MS,
	);

	it(
		"the trigger's poll fails within Connection Timeout, naming the TLS handshake",
		async () => {
			await withScripted(stalledHandshake(), async (server) => {
				const { error, elapsedMs } = await timedFailure<ShownError>(
					async () =>
						await pollNode({
							nodeType: new FtpAutomationTrigger(),
							parameters: { path: '/' },
							credentials: { ftpAutomationApi: credentialsOf(server, 'explicit') },
							staticData: {},
						}),
				);
				expect(error.message).toBe(
					`The TLS handshake with 127.0.0.1:${server.port} did not finish within ${TIMEOUT_S} s`,
				);
				expect(fixOf(error)).toContain(HANDSHAKE_HINT);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
			});
		},
		HANG_MS,
	);

	it(
		'the credential test reports step 3 within Connection Timeout',
		async () => {
			await withScripted(stalledHandshake(), async (server) => {
				const started = Date.now();
				const result = await ftpAutomationApiTest.call({} as never, {
					id: '1',
					name: 'test',
					type: 'ftpAutomationApi',
					data: credentialsOf(server, 'explicit'),
				});
				const elapsedMs = Date.now() - started;
				expect(result.status).toBe('Error');
				expect(result.message).toMatch(
					new RegExp(
						`^Step 3 of 6, TLS handshake: The TLS handshake with 127\\.0\\.0\\.1:${server.port} did not finish within ${TIMEOUT_S} s — .*${HANDSHAKE_HINT}`,
					),
				);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expect(JSON.stringify(result)).not.toContain(PASSWORD);
			});
		},
		HANG_MS,
	);

	it(
		'the probe for a rejected certificate gives up within Connection Timeout as well',
		async () => {
			// After Node rejects a certificate, the node connects once more to show what the server presented. That
			// second handshake may stall too; the original failure must not wait for it forever.
			await withScripted(stalledHandshake(), async (server) => {
				const settings = toConnectionSettings(credentialsOf(server, 'explicit'));
				const started = Date.now();
				await expect(fetchPresentedCertificate(settings)).resolves.toBeUndefined();
				expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
			});
		},
		HANG_MS,
	);
});

describe('every other step of connecting', () => {
	it(
		'TCP: a connection attempt that is never answered (stand-in: Socket#connect mocked, as loopback always answers)',
		async () => {
			const port = await closedPort();
			jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket) {
				return this;
			});
			const { error, elapsedMs } = await timedNodeFailure(
				credentialsOf({ host: '127.0.0.1', port }, 'explicit'),
				LIST,
			);
			expect(error.message).toBe(`127.0.0.1:${port} did not answer within ${TIMEOUT_S} s`);
			expect(fixOf(error)).toContain('A firewall may drop the connection');
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
			expectNoPassword(error);
		},
		HANG_MS,
	);

	it.each([
		['greeting: the server accepts and never sends its 220', 'explicit'],
		['implicit TLS: the server accepts TCP and never answers the ClientHello', 'implicit'],
	] as const)(
		'%s',
		async (_, security) => {
			const silent = await silentServer();
			try {
				const { error, elapsedMs } = await timedNodeFailure(credentialsOf(silent, security), LIST);
				expect(error.message).toBe(`127.0.0.1:${silent.port} did not answer within ${TIMEOUT_S} s`);
				expect(fixOf(error)).toContain('A firewall may drop the connection');
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
			} finally {
				await silent.close();
			}
		},
		HANG_MS,
	);

	it(
		'AUTH TLS: the command is never answered',
		async () => {
			await withScripted(
				{ tls: certificate, replies: { AUTH: () => undefined } },
				async (server) => {
					const { error, elapsedMs } = await timedNodeFailure(
						credentialsOf(server, 'explicit'),
						LIST,
					);
					expect(error.message).toBe(
						`127.0.0.1:${server.port} did not answer within ${TIMEOUT_S} s`,
					);
					expect(fixOf(error)).toContain('A firewall may drop the connection');
					expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
					expectNoPassword(error);
				},
			);
		},
		HANG_MS,
	);

	it(
		'login: USER is answered, PASS never is',
		async () => {
			await withScripted(
				{ tls: certificate, replies: { PASS: () => undefined } },
				async (server) => {
					const { error, elapsedMs } = await timedNodeFailure(
						credentialsOf(server, 'explicit'),
						LIST,
					);
					expect(error.message).toBe(
						`The server stopped answering within ${TIMEOUT_S} s while trying to run the command`,
					);
					expect(fixOf(error)).toContain('raise the Connection Timeout');
					expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
					expectNoPassword(error);
					expect(server.commands).toContain('PASS ' + PASSWORD);
				},
			);
		},
		HANG_MS,
	);
});

describe('a data connection whose TLS handshake never completes (the server accepts it, replies 150, then is silent)', () => {
	/** Explicit FTPS that works up to the transfer: the data connection is accepted, and never answers TLS. */
	function silentDataConnection(verbs: string[]): FtpScript {
		const replies: FtpScript['replies'] = {
			// The target of the upload is a file, not a folder.
			CWD: (session, folder) =>
				session.reply(
					folder === '/'
						? '250 Directory successfully changed.'
						: '550 Failed to change directory.',
				),
		};
		for (const verb of verbs) {
			replies[verb] = async (session) => {
				await session.dataConnection();
				session.reply('150 Here it comes.');
			};
		}
		return { tls: certificate, replies };
	}

	it(
		'download',
		async () => {
			await withScripted(silentDataConnection(['RETR']), async (server) => {
				const { error, elapsedMs } = await timedNodeFailure(credentialsOf(server, 'explicit'), {
					operation: 'download',
					path: '/report.csv',
					options: { retries: 0 },
				});
				expect(error.message).toBe(
					`The transfer stalled: no data moved for ${TIMEOUT_S} s while trying to download "/report.csv", so the connection was given up (timeout during the transfer)`,
				);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
			});
		},
		HANG_MS,
	);

	it(
		'list',
		async () => {
			await withScripted(silentDataConnection(['LIST', 'MLSD', 'NLST']), async (server) => {
				const { error, elapsedMs } = await timedNodeFailure(
					credentialsOf(server, 'explicit'),
					LIST,
				);
				expect(error.message).toBe(
					`The transfer stalled: no data moved for ${TIMEOUT_S} s while trying to list the folder "/", so the connection was given up (timeout during the transfer)`,
				);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
			});
		},
		HANG_MS,
	);

	it(
		'upload',
		async () => {
			await withScripted(silentDataConnection(['STOR']), async (server) => {
				const { error, elapsedMs } = await timedNodeFailure(
					credentialsOf(server, 'explicit'),
					{ operation: 'upload', path: '/report.csv', options: { retries: 0 } },
					[await binaryItem(Buffer.from('id,amount\n1,2\n'), 'report.csv')],
				);
				// basic-ftp writes once the data connection reports a cipher, which a resumed TLS session may do before its
				// handshake has finished: then its transfer watchdog gives up, else the control connection's timeout does.
				expect(error.message).toMatch(
					new RegExp(
						`^(The transfer stalled: no data moved for ${TIMEOUT_S} s while trying to upload "/report\\.csv", so the connection was given up \\(timeout during the transfer\\)|The server stopped answering within ${TIMEOUT_S} s while trying to upload "/report\\.csv")$`,
					),
				);
				expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
				expectNoPassword(error);
			});
		},
		HANG_MS,
	);
});
