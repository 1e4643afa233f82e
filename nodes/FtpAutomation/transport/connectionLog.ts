const KEPT_LINES = 200;
export const LOG_TAIL_LINES = 20;

/**
 * A bounded, redacted transcript of one connection. Every line passes through `redact` before it is
 * stored, so no later reader (error description, output item, n8n logger) can see a secret.
 */
export class ConnectionLog {
	private readonly lines: string[] = [];

	constructor(private readonly secrets: readonly string[] = []) {}

	redact(text: string): string {
		let result = text.replace(/^(\s*[<>]?\s*PASS\s).*$/gim, '$1***');
		for (const secret of this.secrets) {
			if (secret.length > 0) result = result.split(secret).join('***');
		}
		return result;
	}

	add(message: string): void {
		const time = new Date().toISOString();
		for (const line of this.redact(message).split(/\r?\n/)) {
			if (line.trim() === '') continue;
			this.lines.push(`${time} ${line}`);
		}
		if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
	}

	tail(count = LOG_TAIL_LINES): string[] {
		return this.lines.slice(-count);
	}
}
