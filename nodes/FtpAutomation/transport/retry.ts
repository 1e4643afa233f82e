import pRetry from 'p-retry';

import { FtpFailure, isCertificateRejection } from './errors';

/** Replies that say "not now" rather than "never": service unavailable, data connection failed or aborted, busy. */
const TRANSIENT_REPLIES = new Set([421, 425, 426, 450, 451]);

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/** How basic-ftp and Node describe a connection that broke or went quiet, whatever code they attach. */
const DROPPED_OR_STALLED =
	/ECONNRESET|EPIPE|ECONNABORTED|timeout|closed|FIN packet|socket hang up|disconnected|transmission error/i;

/**
 * Whether trying again may succeed: the connection dropped or stalled, or the server answered with a temporary
 * refusal. Never for a refusal that will not change by itself (530 login, 550 not found or denied, 553 bad name),
 * nor for a certificate the node does not trust.
 */
export function isTransient(error: unknown): boolean {
	if (error instanceof TransientFailure) return true;
	if (error instanceof FtpFailure) return error.transient;
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	const text = typeof message === 'string' ? message : '';
	if (typeof code === 'number') {
		// ftp-srv answers a data connection reset under it with "551 write ECONNRESET".
		return TRANSIENT_REPLIES.has(code) || /ECONNRESET|EPIPE/.test(text);
	}
	if (isCertificateRejection(error)) return false;
	if (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) return true;
	return DROPPED_OR_STALLED.test(text);
}

/** A failure the node detected itself (e.g. fewer bytes than SIZE announced) that a new attempt may cure. */
export class TransientFailure extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TransientFailure';
	}
}

export interface RetryPolicy {
	/** Further attempts after the first one. */
	retries: number;
	/** The wait before the first retry; every further wait doubles. */
	firstDelayMs: number;
}

export const DEFAULT_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Runs `attempt` until it succeeds, a failure is not transient, or the retries are used up; then throws the
 * last failure as it was. `onRetry` hears of each failed attempt that will be retried, and after how long.
 */
export async function withRetries<T>(
	policy: RetryPolicy,
	attempt: (attemptNumber: number) => Promise<T>,
	onRetry: (failure: unknown, attemptNumber: number, delayMs: number) => void,
): Promise<T> {
	return await pRetry(
		async (attemptNumber) =>
			await attempt(attemptNumber).catch(async (failure: unknown) => {
				const error = failure instanceof Error ? failure : new Error(String(failure));
				return await Promise.reject(isTransient(failure) ? error : new pRetry.AbortError(error));
			}),
		{
			retries: policy.retries,
			factor: 2,
			minTimeout: policy.firstDelayMs,
			maxTimeout: MAX_RETRY_DELAY_MS,
			onFailedAttempt: (failure) => {
				if (failure.retriesLeft <= 0) return;
				const delayMs = Math.min(
					policy.firstDelayMs * 2 ** (failure.attemptNumber - 1),
					MAX_RETRY_DELAY_MS,
				);
				onRetry(failure, failure.attemptNumber, delayMs);
			},
		},
	);
}
