/** Which names from a server's listing can be trusted: every protocol's listings are untrusted input. */

/** Any C0 control character or DEL: no real file name holds one, and a CR or LF in it would cut the line. */
export function hasControlCharacter(text: string): boolean {
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code < 0x20 || code === 0x7f) return true;
	}
	return false;
}

/** A listing line, quoted for a log line: control characters escaped, at most 120 characters. */
export function quoteForLog(text: string, limit = 120): string {
	return JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text);
}

/** Whether a listed name can only mean an entry of the listed folder itself. */
export function isPlainName(name: string): boolean {
	return (
		name !== '' &&
		name !== '.' &&
		name !== '..' &&
		!name.includes('/') &&
		!hasControlCharacter(name)
	);
}
