import pRetry from 'p-retry';

export interface RetryPolicy {
	/** Further attempts after the first one. */
	retries: number;
	/** The wait before the first retry; every further wait doubles. */
	firstDelayMs: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Runs `attempt` until it succeeds, a failure is not `retryable`, or the retries are used up; then throws the last
 * failure as it was. `onRetry` hears of each failed attempt that will be retried, and after how long.
 */
export async function withRetries<T>(
	policy: RetryPolicy,
	attempt: (attemptNumber: number) => Promise<T>,
	onRetry: (failure: unknown, attemptNumber: number, delayMs: number) => void,
	retryable: (failure: unknown) => boolean,
): Promise<T> {
	return await pRetry(
		async (attemptNumber) =>
			await attempt(attemptNumber).catch(async (failure: unknown) => {
				const error = failure instanceof Error ? failure : new Error(String(failure));
				return await Promise.reject(retryable(failure) ? error : new pRetry.AbortError(error));
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
