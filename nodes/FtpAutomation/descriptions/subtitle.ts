import type { INodePropertyOptions } from 'n8n-workflow';

/**
 * A canvas subtitle in words: the name of the chosen option of `choice` (not its stored value), followed by the
 * remote path when one is typed in. A path given as an expression is left out: the editor evaluates subtitles
 * without input data, where `$json` fails, and n8n then shows no subtitle at all. `$rawParameter` reads a field as
 * typed, without evaluating it; the path fields are tried in order (each operation shows only one of them).
 */
export function subtitleInWords(
	choice: string,
	options: INodePropertyOptions[],
	pathFields: string[],
	beforePath = '',
): string {
	const names = JSON.stringify(Object.fromEntries(options.map(({ value, name }) => [value, name])));
	const path = `(${pathFields.map((field) => `$rawParameter[${JSON.stringify(field)}]`).join(' || ')} || "")`;
	const typedPath = `(String(${path}).startsWith("=") ? "" : String(${path}))`;
	const name = `(${names}[$parameter[${JSON.stringify(choice)}]] || "")`;
	return `={{ ${name} + (${typedPath} ? ${JSON.stringify(` ${beforePath}`.trimEnd() + ' ')} + ${typedPath} : "") }}`;
}
