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
		[nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'tls', 'different name'],
		[nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'tls', 'TLS handshake'],
	])('explains %p', (error, step, phrase) => {
		const failure = explainFailure(error, { ...at, step: 'connect' });
		expect(failure.step).toBe(step);
		expect(failure.message).toContain(phrase);
		expect(failure.hint.length).toBeGreaterThan(20);
	});

	it('explains a 530 at login as wrong credentials', () => {
		const failure = explainFailure(ftpError(530, '530 Login incorrect.'), { ...at, step: 'login' });
		expect(failure.message).toBe('Wrong username or password (server replied: 530 Login incorrect.)');
		expect(failure.message).toContain('530 Login incorrect.');
		expect(failure.replyCode).toBe(530);
	});

	it('explains a server that wants TLS before login', () => {
		const failure = explainFailure(ftpError(530, '530 Non-anonymous sessions must use encryption.'), { ...at, step: 'login' });
		expect(failure.message).toContain('requires TLS');
		expect(failure.hint).toContain('Explicit FTPS');
	});

	it('explains a refused AUTH TLS', () => {
		const failure = explainFailure(ftpError(502, '502 Command not implemented'), { ...at, step: 'tls' });
		expect(failure.message).toContain('refused to start TLS');
	});

	it('explains 550 with the action and the path', () => {
		const failure = explainFailure(ftpError(550, '550 No such file'), { ...at, step: 'transfer', action: 'download', path: '/in/x.csv' });
		expect(failure.message).toBe('Cannot download "/in/x.csv": it does not exist or permission is denied (server replied: 550 No such file)');
	});

	it.each([
		[421, 'closed the connection'],
		[425, 'data connection'],
		[522, 'TLS on the data connection'],
		[553, 'does not accept the name'],
		[552, 'no space'],
	])('explains reply %i', (code, phrase) => {
		expect(explainFailure(ftpError(code, `${code} nope`), { ...at, step: 'command' }).message).toContain(phrase);
	});
});

describe('ConnectionLog', () => {
	it('redacts PASS commands and every secret, and keeps a bounded tail', () => {
		const log = new ConnectionLog(['hunter2']);
		log.add('> PASS hunter2');
		log.add('< 530 user alice with password hunter2 rejected');
		for (let index = 0; index < 300; index++) log.add(`line ${index}`);
		log.add('> USER alice');
		const everything = log.tail(1000).join('\n');
		expect(everything).not.toContain('hunter2');
		expect(log.tail(1000).length).toBeLessThanOrEqual(200);
		expect(log.tail(1)[0]).toMatch(/^\d{4}-\d\d-\d\dT.* > USER alice$/);
		expect(log.redact('> PASS hunter2')).toBe('> PASS ***');
	});
});
