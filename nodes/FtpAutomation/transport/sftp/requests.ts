import type { Client, SFTPWrapper } from 'ssh2';

/** SFTP status codes (draft-ietf-secsh-filexfer-02, the version every server speaks). */
export const SFTP_STATUS = {
	eof: 1,
	noSuchFile: 2,
	permissionDenied: 3,
	failure: 4,
	badMessage: 5,
	noConnection: 6,
	connectionLost: 7,
	unsupported: 8,
} as const;

/** The status code of an SFTP error, if the error is one. */
export function statusOf(error: unknown): number | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'number' ? code : undefined;
}

/** A request the server did not answer within the timeout: the connection is closed, the work may be retried. */
export class StalledRequest extends Error {
	constructor(
		readonly what: string,
		readonly timeoutMs: number,
	) {
		super(`The server did not answer ${what} within ${Math.round(timeoutMs / 1000)} s`);
		this.name = 'StalledRequest';
	}
}

/**
 * Sends SFTP requests with a deadline each. The library waits for an answer for ever; a server that stops
 * answering would hang the workflow. On a missed deadline the connection is closed, so that nothing answers late.
 */
export class SftpRequests {
	/** Set once the connection ended (or we gave it up): nothing sent after that can be answered. */
	private ended = false;
	/** Fail the requests and transfers still waiting, once the connection is gone. */
	private readonly waiting = new Set<(error: Error) => void>();

	constructor(
		readonly sftp: SFTPWrapper,
		private readonly client: Client,
		readonly timeoutMs: number,
	) {
		// The library fails waiting requests only once the socket is fully closed; a server that half-closes it
		// (or a peer that vanished after its FIN) would leave them waiting.
		const lost = () => this.giveUp(new Error('The connection was closed by the server'));
		client.once('end', lost);
		client.once('close', lost);
	}

	get closed(): boolean {
		return this.ended;
	}

	/** Ends the connection and fails everything still waiting on it with `error`. */
	giveUp(error: Error): void {
		if (!this.ended) {
			this.ended = true;
			this.client.end();
		}
		for (const fail of [...this.waiting]) fail(error);
		this.waiting.clear();
	}

	/** Runs `work` unless the connection is gone; it fails at once when the connection goes meanwhile. */
	async whileConnected<T>(start: () => Promise<T>): Promise<T> {
		if (this.ended) return await Promise.reject(new Error('The connection was closed'));
		const work = start();
		let fail: (error: Error) => void = () => undefined;
		const lost = new Promise<never>((_resolve, reject) => {
			fail = reject;
		});
		this.waiting.add(fail);
		try {
			return await Promise.race([work, lost]);
		} finally {
			this.waiting.delete(fail);
		}
	}

	async send<T>(
		what: string,
		request: (done: (error: unknown, value?: T) => void) => void,
	): Promise<T> {
		return await this.whileConnected(async () => await this.sendNow(what, request));
	}

	private async sendNow<T>(
		what: string,
		request: (done: (error: unknown, value?: T) => void) => void,
	): Promise<T> {
		return await new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => {
				const stalled = new StalledRequest(what, this.timeoutMs);
				reject(stalled);
				this.giveUp(stalled);
			}, this.timeoutMs);
			try {
				request((error, value) => {
					clearTimeout(timer);
					if (error) reject(error instanceof Error ? error : new Error(String(error)));
					else resolve(value as T);
				});
			} catch (error) {
				// The library throws synchronously when the channel is already gone.
				clearTimeout(timer);
				reject(error instanceof Error ? error : new Error(String(error)));
			}
		});
	}

	async open(path: string, flags: 'r' | 'w' | 'a'): Promise<Buffer> {
		return await this.send<Buffer>(`opening "${path}"`, (done) =>
			this.sftp.open(path, flags, (error, handle) => done(error, handle)),
		);
	}

	async close(handle: Buffer, path: string): Promise<void> {
		await this.send<void>(`closing "${path}"`, (done) =>
			this.sftp.close(handle, (error) => done(error)),
		);
	}

	/**
	 * Runs a transfer, which makes many requests, under one watchdog instead of a timer per request: it fails with
	 * StalledRequest (and closes the connection) when `progress` was not called for the timeout.
	 */
	async watched<T>(what: string, transfer: (progress: () => void) => Promise<T>): Promise<T> {
		let last = Date.now();
		let stalled: ((error: Error) => void) | undefined;
		const watchdog = new Promise<never>((_resolve, reject) => {
			stalled = reject;
		});
		const timer = setInterval(
			() => {
				if (Date.now() - last < this.timeoutMs) return;
				const error = new StalledRequest(what, this.timeoutMs);
				stalled?.(error);
				this.giveUp(error);
			},
			Math.max(50, Math.min(1000, this.timeoutMs / 4)),
		);
		try {
			return await this.whileConnected(
				async () => await Promise.race([transfer(() => (last = Date.now())), watchdog]),
			);
		} finally {
			clearInterval(timer);
		}
	}

	/**
	 * Reads up to `length` bytes at `position` into `buffer` from `at`, and answers how many arrived; 0 means the end
	 * of the file. Use within `watched`.
	 */
	async readInto(
		handle: Buffer,
		buffer: Buffer,
		at: number,
		length: number,
		position: number,
	): Promise<number> {
		return await new Promise<number>((resolve, reject) => {
			this.sftp.read(handle, buffer, at, length, position, (error, bytesRead) =>
				error ? reject(error) : resolve(bytesRead),
			);
		});
	}

	/** Use within `watched`. */
	async write(handle: Buffer, data: Buffer, position: number): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.sftp.write(handle, data, 0, data.length, position, (error) =>
				error ? reject(error) : resolve(),
			);
		});
	}
}
