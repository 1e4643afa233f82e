import { RemoteFailure } from '../../nodes/FtpAutomation/transport';
import { isRetryable, TransientFailure } from '../../nodes/FtpAutomation/transport/failures';
import { isTransientFtpError } from '../../nodes/FtpAutomation/transport/ftp';
import { withRetries } from '../../nodes/FtpAutomation/transport/retry';

/** The engine's judgement of a failure over FTP: its own failures by type, FTP's raw errors by FTP's rules. */
const isTransient = (error: unknown) => isRetryable(error, isTransientFtpError);

const reply = (code: number, message: string) =>
	Object.assign(new Error(`${code} ${message}`), { code });
const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isTransient', () => {
	it.each([
		['421 service not available', reply(421, 'Timeout.')],
		['425 cannot open data connection', reply(425, "Can't open data connection.")],
		['426 transfer aborted', reply(426, 'Failure writing network stream.')],
		['450 file busy', reply(450, 'File unavailable.')],
		['451 local error', reply(451, 'Local error in processing.')],
		["ftp-srv's reset data connection", reply(551, 'write ECONNRESET')],
		['a reset socket', socketError('ECONNRESET', 'read ECONNRESET (data socket)')],
		['a broken pipe', socketError('EPIPE', 'write EPIPE')],
		["basic-ftp's stalled transfer", new Error('Timeout (data socket)')],
		[
			"basic-ftp's dropped control connection",
			new Error('Server sent FIN packet unexpectedly, closing connection.'),
		],
		[
			'a short read found by the node',
			new TransientFailure('the transfer ended after 10 of 20 bytes'),
		],
	])('retries %s', (_, error) => {
		expect(isTransient(error)).toBe(true);
	});

	it.each([
		['530 login incorrect', reply(530, 'Login incorrect.')],
		['550 not found', reply(550, 'Failed to open file.')],
		['553 bad file name', reply(553, 'Could not create file.')],
		['552 quota', reply(552, 'Exceeded storage allocation')],
		[
			'an untrusted certificate',
			socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
		],
		['a refused connection', socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:21')],
		['an unknown host', socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND ftp.invalid')],
		['an explained input error', new RemoteFailure('input', 'no binary field', 'set it')],
	])('does not retry %s', (_, error) => {
		expect(isTransient(error)).toBe(false);
	});

	it('follows the flag of an explained failure', () => {
		const failure = new RemoteFailure('transfer', 'dropped', 'run again', { retryable: true });
		expect(isTransient(failure)).toBe(true);
	});
});

describe('withRetries', () => {
	it('tries transient failures again with doubling waits, up to the number of retries', async () => {
		const retried: Array<[number, number]> = [];
		const attempts: number[] = [];
		const failure = await withRetries(
			{ retries: 3, firstDelayMs: 5 },
			async (attemptNumber) => {
				attempts.push(attemptNumber);
				throw reply(421, 'Too busy');
			},
			(_, attemptNumber, delayMs) => retried.push([attemptNumber, delayMs]),
			isTransient,
		).catch((error: Error) => error);
		expect((failure as Error).message).toBe('421 Too busy');
		expect(attempts).toEqual([1, 2, 3, 4]);
		expect(retried).toEqual([
			[1, 5],
			[2, 10],
			[3, 20],
		]);
	});

	it('stops at once on a permanent failure and returns the failure as it was', async () => {
		const permanent = reply(550, 'No such file');
		let attempts = 0;
		await expect(
			withRetries(
				{ retries: 5, firstDelayMs: 1 },
				async () => {
					attempts++;
					throw permanent;
				},
				() => undefined,
				isTransient,
			),
		).rejects.toBe(permanent);
		expect(attempts).toBe(1);
	});

	it('returns the first success', async () => {
		let attempts = 0;
		const result = await withRetries(
			{ retries: 2, firstDelayMs: 1 },
			async () => {
				attempts++;
				if (attempts < 3) throw socketError('ECONNRESET', 'read ECONNRESET');
				return 'done';
			},
			() => undefined,
			isTransient,
		);
		expect(result).toBe('done');
		expect(attempts).toBe(3);
	});

	it('with no retries, makes one attempt', async () => {
		let attempts = 0;
		await expect(
			withRetries(
				{ retries: 0, firstDelayMs: 1 },
				async () => {
					attempts++;
					throw reply(425, 'no data connection');
				},
				() => undefined,
				isTransient,
			),
		).rejects.toThrow('425');
		expect(attempts).toBe(1);
	});
});
