/**
 * What a user reads of a failure, where n8n shows it: the message first (the cause in words), the description (the
 * fix; n8n's error panel renders it as HTML), the connection log in `messages` (one block per line in the panel), the
 * credential test's one line. And log lines that say what is true.
 */
import { NodeOperationError, type INode } from 'n8n-workflow';

import {
	CONNECTION_LOG_HEADING,
	failureDescription,
	toNodeError,
} from '../../nodes/FtpAutomation/helpers/nodeError';
import { describeFailure } from '../../nodes/FtpAutomation/methods/connectionSteps';
import {
	explainFailure,
	explainSftpFailure,
	RemoteFailure,
} from '../../nodes/FtpAutomation/transport';
import { hasNonAscii, plainWords } from '../../nodes/FtpAutomation/transport/ftp/logLines';
import {
	OpenFailure,
	type HandshakeFacts,
} from '../../nodes/FtpAutomation/transport/sftp/handshake';

const NODE: INode = {
	id: 'node',
	name: 'FTP Automation',
	type: 'n8n-nodes-ftp-automation.ftpAutomation',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const at = { host: 'ftp.example.com', port: 21, timeoutMs: 30000 };

/** What Node 20/24 (OpenSSL 3) throws when implicit FTPS meets a port that answers in plain text. */
const OPENSSL_STACK =
	'808C3CC0B07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';

function tlsError(): Error {
	return Object.assign(new Error(OPENSSL_STACK), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
}

describe("OpenSSL's error stack comes after the explanation", () => {
	it('the message quotes only its reason; the whole stack is the detail', () => {
		const failure = explainFailure(tlsError(), { ...at, step: 'connect', security: 'implicit' });
		expect(failure.message).toBe(
			'The TLS handshake with ftp.example.com:21 failed (OpenSSL: wrong version number)',
		);
		expect(failure.detail).toBe(
			'OpenSSL reported: 808C3CC0B07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:',
		);
		expect(failure.hint).toContain('Set Security to Explicit FTPS');
	});

	it('the node error: cause in the message, then the fix, then the stack', () => {
		const failure = explainFailure(tlsError(), { ...at, step: 'connect', security: 'implicit' });
		const error = toNodeError(NODE, failure);
		expect(error.message).not.toContain(':error:');
		const description = error.description ?? '';
		expect(
			description.startsWith(
				`${failure.hint}\n\nOpenSSL reported: 808C3CC0B07F0000:error:0A00010B`,
			),
		).toBe(true);
	});

	it("the credential test's line: step, cause, fix, and the stack last", () => {
		const failure = explainFailure(tlsError(), { ...at, step: 'connect', security: 'implicit' });
		const line = describeFailure(3, failure);
		expect(line).toMatch(
			/^Step 3 of 6, TLS handshake: The TLS handshake with ftp\.example\.com:21 failed \(OpenSSL: wrong version number\) — Implicit FTPS was chosen, .*\(OpenSSL reported: 808C3CC0B07F0000:error:0A00010B:.*ssl3_record\.c:350:\)$/,
		);
		expect(line).not.toContain('\n');
	});

	it('leaves messages without an OpenSSL stack as they are', () => {
		const error = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
		const failure = explainFailure(error, { ...at, step: 'tls' });
		expect(failure.message).toBe(
			"The server's TLS certificate has expired (certificate has expired)",
		);
		expect(failure.detail).toBeUndefined();
	});
});

describe("the node error as n8n's panel, n8n execute and the API show it", () => {
	const log = [
		'2026-11-29T20:00:00.000Z > USER bob',
		'2026-11-29T20:00:00.010Z < 331 Please specify the password.',
		'2026-11-29T20:00:00.020Z > PASS ***',
		'2026-11-29T20:00:03.030Z < 530 Login incorrect.',
	];
	const failure = new RemoteFailure(
		'login',
		'Wrong username or password (server replied: 530 Login incorrect.)',
		'Check the username and password in the credential.',
		{ connectionLog: log },
	);

	it('the description is the fix and a pointer to the log; the log lines are the messages, one per line', () => {
		const error = toNodeError(NODE, failure);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(failure.message);
		expect(error.description).toBe(
			'Check the username and password in the credential.\n\nThe last lines of the connection log are in the error details.',
		);
		expect(error.messages).toEqual([CONNECTION_LOG_HEADING, ...log]);
	});

	it('n8n keeps the messages when it stores the error (it spreads the error object), and the JSON lists them', () => {
		const error = toNodeError(NODE, failure);
		// n8n-core's WorkflowExecute stores `{ ...error, message, stack }` as the execution's error.
		const stored = JSON.parse(JSON.stringify({ ...error, message: error.message })) as {
			messages: string[];
			description: string;
		};
		expect(stored.messages).toEqual([CONNECTION_LOG_HEADING, ...log]);
		expect(stored.description).not.toContain('> USER');
	});

	it('a failure without a log has no messages and no pointer', () => {
		const error = toNodeError(NODE, failure.with({ connectionLog: [] }));
		expect(error.description).toBe('Check the username and password in the credential.');
		expect(error.messages).toEqual([]);
	});

	it('writes "<" as an entity: the panel would drop everything between < and > as a tag', () => {
		const quoting = failure.with({
			hint: 'Set Server Name (TLS) to a name the certificate is for (e.g. <a href="https://evil.example">x</a>).',
		});
		const description = failureDescription(quoting);
		expect(description).not.toContain('<');
		expect(description).toContain('&lt;a href="https://evil.example">x&lt;/a>');
	});
});

describe('hints follow the credential', () => {
	const refused = Object.assign(new Error('530 Login incorrect.'), { code: 530 });

	it('FTP, Anonymous Login off: the username and password, no word of anonymous access', () => {
		const failure = explainFailure(refused, { ...at, step: 'login', anonymous: false });
		expect(failure.message).toBe(
			'Wrong username or password (server replied: 530 Login incorrect.)',
		);
		expect(failure.hint).toBe('Check the username and password in the credential.');
		expect(failure.hint).not.toMatch(/anonymous/i);
	});

	it('FTP, Anonymous Login on: the anonymous login was refused, and what to do instead', () => {
		const failure = explainFailure(refused, { ...at, step: 'login', anonymous: true });
		expect(failure.message).toBe(
			'The server refused the anonymous login (server replied: 530 Login incorrect.)',
		);
		expect(failure.hint).toContain('Anonymous Login is on in the credential');
		expect(failure.hint).toContain('Turn Anonymous Login off and enter a username and password');
	});

	function sftpLoginFailure(methodsTried: string[], methodsOffered: string[]): RemoteFailure {
		const facts: HandshakeFacts = {
			identification: 'SSH-2.0-OpenSSH_9.2p1',
			offer: {},
			methodsOffered,
			methodsTried: ['none', ...methodsTried],
			stage: 'login',
			legacyAlgorithms: false,
		} as HandshakeFacts;
		const cause = Object.assign(new Error('All configured authentication methods failed'), {
			level: 'client-authentication',
		});
		return explainSftpFailure(new OpenFailure(cause, facts), {
			step: 'connect',
			host: 'sftp.example.com',
			port: 22,
		});
	}

	it('SFTP with a password only: the username and password, and that the server also takes a key', () => {
		const failure = sftpLoginFailure(['password'], ['publickey', 'password']);
		expect(failure.hint).toBe(
			'Check the username and password in the credential. The server also accepts publickey: a key may work where the password does not.',
		);
	});

	it('SFTP with a key only: the username and the key, nothing about a password it does not have', () => {
		const failure = sftpLoginFailure(['publickey'], ['publickey']);
		expect(failure.hint).toMatch(
			/^Check the username and the private key in the credential\. The key was refused/,
		);
		expect(failure.hint).not.toMatch(/password/);
	});

	it('SFTP with both: names both, and no "also accepts" for what was tried', () => {
		const failure = sftpLoginFailure(['publickey', 'password'], ['publickey', 'password']);
		expect(failure.hint).toMatch(
			/^Check the username, the password and the private key in the credential\. The key was refused/,
		);
		expect(failure.hint).not.toContain('also accepts');
	});
});

describe("basic-ftp's log lines, as true for the connection", () => {
	it('"No encryption" on an explicit FTPS connection is plain text until AUTH TLS', () => {
		expect(plainWords('Connected to 127.0.0.1:21 (No encryption)', 'explicit')).toBe(
			'Connected to 127.0.0.1:21 (plain text until AUTH TLS)',
		);
		expect(plainWords('Connected to 127.0.0.1:21 (No encryption)', 'none')).toBe(
			'Connected to 127.0.0.1:21 (not encrypted: plain FTP)',
		);
		expect(plainWords('Connected to 127.0.0.1:990 (TLSv1.3)', 'implicit')).toBe(
			'Connected to 127.0.0.1:990 (TLSv1.3)',
		);
	});

	it("drops basic-ftp's guess of a data connection's TLS version (the negotiated one is logged later)", () => {
		expect(plainWords('Downloading from 127.0.0.1:40001 (TLSv1.3)', 'explicit')).toBe(
			'Downloading from 127.0.0.1:40001',
		);
		expect(plainWords('< 226 Transfer complete (No encryption)', 'explicit')).toBe(
			'< 226 Transfer complete (No encryption)',
		);
	});

	it('asks for UTF-8 before login only for a non-ASCII user name or password', () => {
		expect(hasNonAscii('bob' + 'secret')).toBe(false);
		expect(hasNonAscii('jürgen' + 'secret')).toBe(true);
		expect(hasNonAscii('bob' + 'pässword')).toBe(true);
	});
});
