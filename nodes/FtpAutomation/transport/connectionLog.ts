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

/** Many lines are logged within one millisecond (a small file takes a few): format each millisecond once. */
let stampedAt = -1;
let stamp = '';

function timestamp(): string {
	const now = Date.now();
	if (now !== stampedAt) {
		stampedAt = now;
		stamp = new Date(now).toISOString();
	}
	return stamp;
}

/**
 * A bounded, redacted transcript of one connection. Every line passes through `redact` before it is
 * stored, so no later reader (error description, output item, n8n logger) can see a secret.
 */
export class ConnectionLog {
	/** The last KEPT_LINES lines, as a ring: line number n (counted over the log's life) is at n % KEPT_LINES. */
	private readonly lines: string[] = [];
	/** Lines added over the log's life, including those dropped since. */
	private added = 0;

	/** `label` tells apart the lines of the connections of one pool, e.g. "[2]". */
	constructor(
		private readonly secrets: readonly string[] = [],
		private readonly label?: string,
	) {}

	redact(text: string): string {
		// Tested first: most lines hold neither, and the replacements copy the text.
		let result = /pass/i.test(text) ? text.replace(/^(\s*[<>]?\s*PASS\s).*$/gim, '$1***') : text;
		for (const secret of this.secrets) {
			if (secret.length > 0 && result.includes(secret)) result = result.split(secret).join('***');
		}
		return result;
	}

	/** Stores the message's lines with a timestamp; returns them redacted, without it (for loggers that add their own). */
	add(message: string): string[] {
		const redacted = this.redact(message);
		const lines = redacted.includes('\n')
			? this.linesOf(redacted)
			: redacted.trim() === ''
				? []
				: [shortened(redacted, MAX_LOG_LINE_CHARS)];
		const prefix = this.label ? `${timestamp()} ${this.label}` : timestamp();
		for (const line of lines) {
			this.lines[this.added % KEPT_LINES] = `${prefix} ${line}`;
			this.added++;
		}
		return lines;
	}

	private linesOf(message: string): string[] {
		// A reply that arrives in one piece is logged as one message: keep its direction on every line.
		const direction = /^[<>] /.exec(message)?.[0] ?? '';
		return message
			.split(/\r?\n/)
			.filter((line) => line.trim() !== '')
			.map((line, index) => (index > 0 && !/^[<>] /.test(line) ? direction + line : line))
			.map((line) => shortened(line, MAX_LOG_LINE_CHARS));
	}

	/** The lines from line number `from` (counted over the log's life) on, oldest first. */
	private linesFrom(from: number): string[] {
		const result: string[] = [];
		for (let line = Math.max(from, this.added - this.lines.length); line < this.added; line++) {
			result.push(this.lines[line % KEPT_LINES]);
		}
		return result;
	}

	tail(count = LOG_TAIL_LINES): string[] {
		return this.linesFrom(this.added - count);
	}

	/** A position in the log, for `since`. */
	mark(): number {
		return this.added;
	}

	/** The lines added since `mark`, with a note if some of them were already dropped to bound memory. */
	since(mark: number): string[] {
		const firstKept = this.added - this.lines.length;
		const lines = this.linesFrom(mark);
		return mark < firstKept
			? [
					`(${firstKept - mark} earlier lines of this part were dropped; the log keeps ${KEPT_LINES})`,
					...lines,
				]
			: lines;
	}
}
