const KEPT_LINES = 2000;
export const LOG_TAIL_LINES = 20;
/** What one log line may quote of the server: a hostile reply line can be megabytes long. */
export const MAX_LOG_LINE_CHARS = 1000;
/** What an error message may quote; n8n shows it in the execution view and stores it with the execution. */
export const MAX_ERROR_MESSAGE_CHARS = 1500;

/** `text` cut to `limit` characters, saying how much was left out. */
export function shortened(text: string, limit: number): string {
	return text.length <= limit
		? text
		: `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

/**
 * A bounded, redacted transcript of one connection. Every line passes through `redact` before it is
 * stored, so no later reader (error description, output item, n8n logger) can see a secret.
 */
export class ConnectionLog {
	private readonly lines: string[] = [];
	/** Lines added over the log's life, including those dropped since. */
	private added = 0;

	/** `label` tells apart the lines of the connections of one pool, e.g. "[2]". */
	constructor(
		private readonly secrets: readonly string[] = [],
		private readonly label?: string,
	) {}

	redact(text: string): string {
		let result = text.replace(/^(\s*[<>]?\s*PASS\s).*$/gim, '$1***');
		for (const secret of this.secrets) {
			if (secret.length > 0) result = result.split(secret).join('***');
		}
		return result;
	}

	/** Stores the message's lines with a timestamp; returns them redacted, without it (for loggers that add their own). */
	add(message: string): string[] {
		const time = new Date().toISOString();
		// A reply that arrives in one piece is logged as one message: keep its direction on every line.
		const direction = /^[<>] /.exec(message)?.[0] ?? '';
		const lines = this.redact(message)
			.split(/\r?\n/)
			.filter((line) => line.trim() !== '')
			.map((line, index) => (index > 0 && !/^[<>] /.test(line) ? direction + line : line))
			.map((line) => shortened(line, MAX_LOG_LINE_CHARS));
		const prefix = this.label ? `${time} ${this.label}` : time;
		for (const line of lines) this.lines.push(`${prefix} ${line}`);
		this.added += lines.length;
		if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
		return lines;
	}

	tail(count = LOG_TAIL_LINES): string[] {
		return this.lines.slice(-count);
	}

	/** A position in the log, for `since`. */
	mark(): number {
		return this.added;
	}

	/** The lines added since `mark`, with a note if some of them were already dropped to bound memory. */
	since(mark: number): string[] {
		const firstKept = this.added - this.lines.length;
		const lines = this.lines.slice(Math.max(0, mark - firstKept));
		return mark < firstKept
			? [
					`(${firstKept - mark} earlier lines of this part were dropped; the log keeps ${KEPT_LINES})`,
					...lines,
				]
			: lines;
	}
}
