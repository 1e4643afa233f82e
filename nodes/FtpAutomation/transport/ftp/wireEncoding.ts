import type { FTPContext } from 'basic-ftp';

import { RemoteFailure } from '../failures';

/** How names and commands are written on the control connection (File Name Encoding). */
export type ControlEncoding = 'utf8' | 'latin1';

/** The first character of `text` that `encoding` cannot carry as itself, e.g. `č` in Latin-1. */
export function firstUnencodable(text: string, encoding: ControlEncoding): string | undefined {
	for (const character of text) {
		if (Buffer.from(character, encoding).toString(encoding) !== character) return character;
	}
	return undefined;
}

/** `č` (U+010D), for messages that must show exactly which character was refused. */
export function describeCharacter(character: string): string {
	const codePoint = character.codePointAt(0) ?? 0;
	const invisible =
		codePoint < 0x20 || codePoint === 0x7f || (codePoint >= 0xd800 && codePoint <= 0xdfff);
	const shown = invisible ? '' : `"${character}" `;
	return `${shown}(U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`;
}

const ENCODING_NAMES: Record<ControlEncoding, string> = {
	utf8: 'UTF-8',
	latin1: 'Latin-1',
};

/**
 * Fails unless every character of a user-given value reaches the server as itself. In Latin-1 the socket keeps
 * only the low byte of each character: `č` (U+010D) would become CR and `Ċ` (U+010A) LF, ending the command early
 * and running the rest as a second one; `Ł` (U+0141) would become `A` and name another file.
 */
export function checkEncodable(
	value: string,
	encoding: ControlEncoding,
	label: string,
	step: 'input' | 'settings' = 'input',
	secret = false,
): void {
	const bad = firstUnencodable(value, encoding);
	if (bad === undefined) return;
	const which = secret ? 'a character' : describeCharacter(bad);
	throw new RemoteFailure(
		step,
		`${label} contains ${which}, which File Name Encoding ${ENCODING_NAMES[encoding]} cannot carry${secret ? '' : `: ${JSON.stringify(value)}`}`,
		encoding === 'latin1'
			? 'Latin-1 (ISO 8859-1) has only Western European letters. Replace the character, or set File Name Encoding in the credential to UTF-8 if the server supports it. Nothing was sent to the server.'
			: 'Remove the character (an unpaired surrogate cannot be written as UTF-8). Nothing was sent to the server.',
	);
}

/** CR, LF and NUL end or cut an FTP command; they are checked in the bytes that would be written. */
const COMMAND_BREAKING_BYTES = [0x0d, 0x0a, 0x00];

/**
 * The last line of defence, below every check on user input: no command leaves unless its bytes, as the socket
 * will encode them, are exactly the command (nothing lost or replaced) and hold no CR, LF or NUL.
 */
export function guardCommandBytes(ftp: FTPContext): void {
	const send = ftp.send.bind(ftp);
	ftp.send = (command: string): void => {
		const encoding = ftp.encoding as ControlEncoding;
		const bytes = Buffer.from(command, encoding);
		const verb = /^\S*/.exec(command)?.[0] ?? '';
		const shown = verb.toUpperCase() === 'PASS' ? 'PASS ***' : command;
		if (
			bytes.toString(encoding) !== command ||
			COMMAND_BREAKING_BYTES.some((byte) => bytes.includes(byte))
		) {
			throw new RemoteFailure(
				'input',
				`Refused to send the command ${JSON.stringify(shown.slice(0, 200))}: written as ${ENCODING_NAMES[encoding] ?? encoding} it would not reach the server as itself (a character would be lost or turn into a line break)`,
				'Remove the characters that File Name Encoding cannot carry, or choose the encoding the server uses. Nothing was sent.',
			);
		}
		send(command);
	};
}
