import { FtpSession, type SessionOptions } from './FtpSession';
import type { ConnectionSettings } from './settings';

/**
 * Up to `size` logged-in connections to one server, opened when work is waiting for one and reused for all later
 * work. basic-ftp runs one command at a time per connection, so N connections run N transfers at once; no more
 * than `size` are ever open.
 */
export class SessionPool {
	private readonly sessions: FtpSession[] = [];
	private readonly idle: FtpSession[] = [];
	private readonly waiting: Array<(session: FtpSession) => void> = [];
	/** Sessions whose connecting and login lines an item's log has already shown. */
	private readonly introduced = new WeakSet<FtpSession>();
	private opening = 0;
	/** Set when the server refused one more connection: the pool then makes do with those it has. */
	private full = false;

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

	private async openSession(): Promise<FtpSession> {
		const ordinal = this.sessions.length + this.opening + 1;
		this.opening++;
		try {
			const session = await FtpSession.open(this.settings, {
				...this.options,
				label: this.size > 1 ? `[${ordinal}]` : undefined,
			});
			this.sessions.push(session);
			return session;
		} finally {
			this.opening--;
		}
	}

	private async acquire(): Promise<FtpSession> {
		const idle = this.idle.pop();
		if (idle) return idle;
		if (!this.full && this.sessions.length + this.opening < this.size) {
			const opened = await this.openSession().catch((error: Error) => {
				// More connections only make things faster; a server that limits them still serves the ones we have.
				this.full = true;
				this.sessions[0]?.note(
					`Could not open connection ${this.sessions.length + 1} of ${this.size}; continuing with ${this.sessions.length} (${error.message})`,
				);
			});
			if (opened) return opened;
		}
		return await new Promise((resolve) => this.waiting.push(resolve));
	}

	private release(session: FtpSession): void {
		const next = this.waiting.shift();
		if (next) next(session);
		else this.idle.push(session);
	}

	/**
	 * Runs `work` on a free connection (waiting for one if all are busy). `onLog` receives the log lines of that
	 * connection during the work, preceded by its connecting and login lines the first time it is used.
	 */
	async use<T>(
		work: (session: FtpSession) => Promise<T>,
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
