import type { ConnectionSettings } from './protocols';
import { RemoteSession, type SessionOptions } from './session';

/**
 * Up to `size` logged-in connections to one server, opened when work is waiting for one and reused for all later
 * work. A connection runs one command at a time, so N connections run N transfers at once; no more
 * than `size` are ever open.
 */
export class SessionPool {
	private readonly sessions: RemoteSession[] = [];
	private readonly idle: RemoteSession[] = [];
	private readonly waiting: Array<{
		take: (session: RemoteSession) => void;
		fail: (error: Error) => void;
	}> = [];
	/** Sessions whose connecting and login lines an item's log has already shown. */
	private readonly introduced = new WeakSet<RemoteSession>();
	private opening = 0;
	/**
	 * The first failed open: from then on the pool makes do with the connections it has (more of them only make
	 * things faster, and a server that limits them still serves those).
	 */
	private refusal: { error: Error; noted: boolean } | undefined;

	private constructor(
		private readonly settings: ConnectionSettings,
		readonly size: number,
		private readonly options: SessionOptions,
	) {}

	/** Opens the first connection at once, so that a wrong host or password fails before any item runs. */
	static async open(
		settings: ConnectionSettings,
		size: number,
		options: SessionOptions = {},
	): Promise<SessionPool> {
		const pool = new SessionPool(settings, Math.max(1, Math.floor(size)), options);
		pool.idle.push(await pool.openSession());
		return pool;
	}

	/** Connections opened so far. */
	get connections(): number {
		return this.sessions.length;
	}

	private async openSession(): Promise<RemoteSession> {
		const ordinal = this.sessions.length + this.opening + 1;
		this.opening++;
		try {
			const session = await RemoteSession.open(this.settings, {
				...this.options,
				label: this.size > 1 ? `[${ordinal}]` : undefined,
			});
			this.sessions.push(session);
			return session;
		} finally {
			this.opening--;
		}
	}

	private async acquire(): Promise<RemoteSession> {
		const idle = this.idle.pop();
		if (idle) return idle;
		if (!this.refusal && this.sessions.length + this.opening < this.size) {
			try {
				return await this.openSession();
			} catch (error) {
				this.refusal ??= { error: error as Error, noted: false };
			}
		}
		// Sessions released while this item's open was in flight sit in `idle` with nobody waiting for them, so
		// the waiter is queued and then served at once, never left for a release that may not come.
		const waited = new Promise<RemoteSession>((take, fail) => this.waiting.push({ take, fail }));
		this.dispatch();
		return await waited;
	}

	private release(session: RemoteSession): void {
		this.idle.push(session);
		this.dispatch();
	}

	/** Hands free sessions to waiting items, and fails them when no session is left to wait for. */
	private dispatch(): void {
		this.noteRefusal();
		while (this.waiting.length > 0 && this.idle.length > 0) {
			const waiter = this.waiting.shift();
			const session = this.idle.pop();
			if (waiter && session) waiter.take(session);
		}
		if (this.waiting.length > 0 && this.sessions.length === 0 && this.opening === 0) {
			const error = this.refusal?.error ?? new Error('No connection to the server could be opened');
			for (const waiter of this.waiting.splice(0)) waiter.fail(error);
		}
	}

	/**
	 * Says once how many connections the server allowed. Only when no open is in flight any more: one that was
	 * slower than the refusal may still succeed, and the count would be wrong.
	 */
	private noteRefusal(): void {
		const refusal = this.refusal;
		if (!refusal || refusal.noted || this.opening > 0 || this.sessions.length === 0) return;
		refusal.noted = true;
		const allowed = this.sessions.length;
		this.sessions[0].note(
			`The server allowed ${allowed} connection${allowed === 1 ? '' : 's'}. Could not open connection ${allowed + 1} of ${this.size}; continuing with ${allowed} (${refusal.error.message})`,
		);
	}

	/**
	 * Runs `work` on a free connection (waiting for one if all are busy). `onLog` receives the log lines of that
	 * connection during the work, preceded by its connecting and login lines the first time it is used.
	 */
	async use<T>(
		work: (session: RemoteSession) => Promise<T>,
		onLog?: (lines: string[]) => void,
	): Promise<T> {
		const session = await this.acquire();
		const mark = this.introduced.has(session) ? session.log.mark() : 0;
		this.introduced.add(session);
		try {
			return await work(session);
		} finally {
			onLog?.(session.log.since(mark));
			this.release(session);
		}
	}

	close(): void {
		for (const session of this.sessions) session.close();
	}
}
