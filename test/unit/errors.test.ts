import { explainFailure, ConnectionLog } from '../../nodes/FtpAutomation/transport';

function ftpError(code: number, message: string): Error {
	return Object.assign(new Error(message), { code });
}

function nodeError(code: string, message = code): Error {
	return Object.assign(new Error(message), { code });
}

const at = { host: 'ftp.example.com', port: 21, timeoutMs: 30000 };

describe('explainFailure', () => {
	it.each([
		[nodeError('ENOTFOUND'), 'connect', 'could not be resolved'],
		[nodeError('ECONNREFUSED'), 'connect', 'was refused'],
		[new Error('Timeout (control socket)'), 'connect', 'did not answer within 30 s'],
		[nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'tls', 'not trusted'],
		[nodeError('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls', 'has expired'],
		[
			nodeError(
				'ERR_TLS_CERT_ALTNAME_INVALID',
				"Hostname/IP does not match certificate's altnames",
			),
			'tls',
			'different name',
		],
		[nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'tls', 'TLS handshake'],
	])('explains %p', (error, step, phrase) => {
		const failure = explainFailure(error, { ...at, step: 'connect' });
		expect(failure.step).toBe(step);
		expect(failure.message).toContain(phrase);
		expect(failure.hint.length).toBeGreaterThan(20);
	});

	it("explains ProFTPD's 530 for a full server as a connection limit, not as a wrong password", () => {
		const reply =
			'530 Sorry, the maximum number of clients (2) from your host are already connected.';
		const failure = explainFailure(ftpError(530, reply), { ...at, step: 'login' });
		expect(failure.message).toBe(
			`The server accepts no more connections right now (server replied: ${reply})`,
		);
		expect(failure.hint).toContain('Lower Concurrency');
	});

	it('explains a 530 at login as wrong credentials', () => {
		const failure = explainFailure(ftpError(530, '530 Login incorrect.'), { ...at, step: 'login' });
		expect(failure.message).toBe(
			'Wrong username or password (server replied: 530 Login incorrect.)',
		);
		expect(failure.message).toContain('530 Login incorrect.');
		expect(failure.replyCode).toBe(530);
	});

	it('explains a server that wants TLS before login', () => {
		const failure = explainFailure(
			ftpError(530, '530 Non-anonymous sessions must use encryption.'),
			{ ...at, step: 'login' },
		);
		expect(failure.message).toContain('requires TLS');
		expect(failure.hint).toContain('Explicit FTPS');
	});

	it('explains a refused AUTH TLS', () => {
		const failure = explainFailure(ftpError(502, '502 Command not implemented'), {
			...at,
			step: 'tls',
		});
		expect(failure.message).toContain('refused to start TLS');
	});

	it('explains 550 with the action and the path', () => {
		const failure = explainFailure(ftpError(550, '550 Failed to open file.'), {
			...at,
			step: 'transfer',
			action: 'download',
			path: '/in/x.csv',
		});
		expect(failure.message).toBe(
			'Cannot download "/in/x.csv": it does not exist or permission is denied (server replied: 550 Failed to open file.)',
		);
	});

	it.each([
		['550 No such file or directory.', 'it does not exist (server replied'],
		["551 ENOENT: no such file or directory, open '/srv/x'", 'it does not exist (server replied'],
		['550 Permission denied.', 'permission is denied (server replied'],
		['550 /x: Operation not permitted', 'permission is denied (server replied'],
		['553 Could not create file.', 'does not accept the name'],
	])('tells a missing path from a denied one when the reply says which: %s', (reply, phrase) => {
		const failure = explainFailure(ftpError(Number(reply.slice(0, 3)), reply), {
			...at,
			step: 'command',
			action: 'delete the file',
			path: '/x',
		});
		expect(failure.message).toContain(phrase);
	});

	it.each([
		[
			'421 There are too many connected users, please try later.',
			'it accepts no more connections right now',
			'raise the limit',
		],
		[
			'421 Too many connections (10) from this IP',
			'it accepts no more connections right now',
			'raise the limit',
		],
		['421 Timeout.', 'after a time limit', 'idle'],
		[
			'421 Service not available, closing control connection.',
			'The server closed the connection (server replied',
			'retry later',
		],
	])('explains %s', (reply, phrase, fix) => {
		const failure = explainFailure(ftpError(421, reply), { ...at, step: 'connect' });
		expect(failure.message).toContain(phrase);
		expect(failure.hint).toContain(fix);
	});

	it.each([
		['530 Non-anonymous sessions must use encryption.', 'login'], // vsftpd force_local_logins_ssl
		['550 SSL/TLS required on the control channel', 'login'], // ProFTPD TLSRequired
		['421 Sorry, cleartext sessions and weak ciphers are not accepted on this server.', 'connect'], // pure-ftpd -Y 2
	] as const)('explains a plain login refused for want of TLS: %s', (reply, step) => {
		const failure = explainFailure(ftpError(Number(reply.slice(0, 3)), reply), {
			...at,
			step,
			security: 'none',
		});
		expect(failure.message).toBe(`The server requires TLS before login (server replied: ${reply})`);
		expect(failure.hint).toContain('Explicit FTPS');
	});

	it('does not read a refused AUTH TLS that mentions TLS as a TLS requirement', () => {
		const failure = explainFailure(ftpError(530, '530 TLS not available'), {
			...at,
			step: 'tls',
			security: 'explicit',
		});
		expect(failure.message).toContain('refused to start TLS');
	});

	it('explains 522 session reuse required, and other data-connection TLS refusals', () => {
		const reuse = explainFailure(
			ftpError(522, '522 SSL connection failed: session reuse required'),
			{ ...at, step: 'transfer', action: 'download', path: '/x' },
		);
		expect(reuse.message).toContain(
			"requires the data connection to resume the control connection's TLS session",
		);
		expect(reuse.hint).toContain('require_ssl_reuse=NO');
		const other = explainFailure(ftpError(534, '534 Policy requires SSL.'), {
			...at,
			step: 'transfer',
		});
		expect(other.message).toContain('refused TLS on the data connection');
	});

	it('tells a data connection that was never opened, dropped mid-transfer, or stalled apart', () => {
		const context = {
			...at,
			step: 'transfer',
			action: 'download',
			path: '/big.bin',
			timeoutMs: 5000,
		} as const;
		const notOpened = explainFailure(
			new Error('Timeout when trying to open data connection to 10.0.0.5:50000'),
			context,
		);
		expect(notOpened.message).toMatch(
			/^The data connection to 10\.0\.0\.5:50000 could not be opened/,
		);
		expect(notOpened.hint).toContain('Passive Address');
		const active = explainFailure(
			new Error('Timeout when trying to open data connection to 10.0.0.5:50000'),
			{ ...context, dataConnection: 'active' },
		);
		expect(active.hint).toContain('Set Data Connection to Passive');

		const dropped = explainFailure(
			nodeError('ECONNRESET', 'read ECONNRESET (data socket)'),
			context,
		);
		expect(dropped.message).toBe(
			'The data connection was dropped in the middle of the transfer while trying to download "/big.bin" (read ECONNRESET (data socket))',
		);
		expect(
			explainFailure(new Error('Socket closed due to transmission error (data socket)'), context)
				.message,
		).toContain('dropped in the middle of the transfer');
		expect(
			explainFailure(ftpError(426, '426 Connection closed; transfer aborted.'), context).message,
		).toContain('closed in the middle of the transfer');
		// A refusal after data has flowed is an interruption, not a missing file.
		const refusedLate = explainFailure(ftpError(551, '551 write ECONNRESET'), {
			...context,
			bytesTransferred: 262_144,
		});
		expect(refusedLate.message).toBe(
			'The data connection was dropped in the middle of the transfer while trying to download "/big.bin" after 262144 bytes (server replied: 551 write ECONNRESET)',
		);
		expect(explainFailure(ftpError(551, '551 write ECONNRESET'), context).message).toContain(
			'does not exist',
		);

		const stalled = explainFailure(new Error('Timeout (data socket)'), context);
		expect(stalled.message).toBe(
			'The transfer stalled: no data moved for 5 s while trying to download "/big.bin", so the connection was given up (timeout during the transfer)',
		);
		expect(stalled.hint).toContain('raise Connection Timeout');
	});

	it('keeps a pin mismatch on a data connection a pin mismatch', () => {
		const error = nodeError(
			'ERR_FTP_CERTIFICATE_PIN_MISMATCH',
			"The server's TLS certificate does not match the pinned fingerprint: expected A, the server presented B (data socket)",
		);
		expect(explainFailure(error, { ...at, step: 'transfer' }).message).toContain(
			'does not match the pinned fingerprint: expected A',
		);
	});

	it('names the expected name and the names on the certificate', () => {
		const fromNode = Object.assign(
			nodeError(
				'ERR_TLS_CERT_ALTNAME_INVALID',
				"Hostname/IP does not match certificate's altnames: Host: ftp.example.com. is not in the cert's altnames: DNS:files.example.net",
			),
			{
				host: 'ftp.example.com',
				cert: {
					subjectaltname: 'DNS:files.example.net, DNS:www.example.net',
					subject: { CN: 'files.example.net' },
				},
			},
		);
		const failure = explainFailure(fromNode, { ...at, step: 'tls' });
		expect(failure.message).toBe(
			'The server\'s TLS certificate is for a different name: the node expected "ftp.example.com", the certificate is for DNS:files.example.net, DNS:www.example.net',
		);
		expect(failure.hint).toContain('(e.g. files.example.net)');

		const cnOnly = Object.assign(
			nodeError(
				'ERR_TLS_CERT_ALTNAME_INVALID',
				"Hostname/IP does not match certificate's altnames: Host: a.example. is not cert's CN: b.example",
			),
			{
				host: 'a.example',
				cert: { subject: { CN: 'b.example' } },
			},
		);
		expect(explainFailure(cnOnly, { ...at, step: 'tls' }).message).toContain(
			'expected "a.example", the certificate is for CN=b.example',
		);

		const textOnly = nodeError(
			'ERR_TLS_CERT_ALTNAME_INVALID',
			"Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
		);
		expect(explainFailure(textOnly, { ...at, step: 'tls' }).message).toContain(
			'expected "127.0.0.1"',
		);
	});

	it('suggests pinning or CA Certificate, not Ignore SSL Issues, for untrusted and expired certificates', () => {
		for (const error of [
			nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
			nodeError('CERT_HAS_EXPIRED', 'certificate has expired'),
		]) {
			const hint = explainFailure(error, { ...at, step: 'tls' }).hint;
			expect(hint).toContain('Certificate Fingerprint');
			expect(hint).toContain('Avoid Ignore SSL Issues');
		}
		expect(
			explainFailure(nodeError('CERT_NOT_YET_VALID', 'certificate is not yet valid'), {
				...at,
				step: 'tls',
			}).message,
		).toContain('not valid yet');
	});

	it('suggests the other Security mode', () => {
		const implicitAtPlainPort = explainFailure(
			nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'),
			{ ...at, step: 'connect', security: 'implicit' },
		);
		expect(implicitAtPlainPort.hint).toContain('Set Security to Explicit FTPS');
		const plainAtImplicitPort = explainFailure(new Error('Timeout (control socket)'), {
			...at,
			step: 'connect',
			security: 'explicit',
		});
		expect(plainAtImplicitPort.hint).toContain('set Security to Implicit FTPS');
		expect(plainAtImplicitPort.hint).toContain('firewall');
		const implicitTimeout = explainFailure(new Error('Timeout (control socket)'), {
			...at,
			step: 'connect',
			security: 'implicit',
		});
		expect(implicitTimeout.hint).not.toContain('set Security to Implicit FTPS');
		expect(implicitTimeout.hint).toContain('firewall');
	});

	it.each([
		[421, 'closed the connection'],
		[425, 'data connection'],
		[522, 'TLS on the data connection'],
		[553, 'does not accept the name'],
		[552, 'no space'],
	])('explains reply %i', (code, phrase) => {
		expect(
			explainFailure(ftpError(code, `${code} nope`), { ...at, step: 'command' }).message,
		).toContain(phrase);
	});
});

describe('ConnectionLog', () => {
	it('redacts PASS commands and every secret, and keeps a bounded tail', () => {
		const log = new ConnectionLog(['hunter2']);
		log.add('> PASS hunter2');
		log.add('< 530 user alice with password hunter2 rejected');
		expect(log.tail(2)).toEqual([
			expect.stringMatching(/> PASS \*\*\*$/),
			expect.stringMatching(/password \*\*\* rejected$/),
		]);
		for (let index = 0; index < 5000; index++) log.add(`line ${index}`);
		log.add('> USER alice');
		const everything = log.tail(100000).join('\n');
		expect(everything).not.toContain('hunter2');
		expect(log.tail(100000).length).toBeLessThan(5000);
		expect(log.tail(1)[0]).toMatch(/^\d{4}-\d\d-\d\dT.* > USER alice$/);
		expect(log.redact('> PASS hunter2')).toBe('> PASS ***');
	});
});
