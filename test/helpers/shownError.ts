import type { IDataObject } from 'n8n-workflow';

import { CONNECTION_LOG_HEADING } from '../../nodes/FtpAutomation/helpers/nodeError';

/** An error as n8n shows it: message, description (the fix), messages (the connection log's last lines). */
export type ShownError = Error & {
	description?: string;
	messages?: string[];
	context?: IDataObject;
};

/** The fix: the description's first paragraph (a library's own words and the pointer to the log follow it). */
export function fixOf(error: { description?: string }): string {
	return (error.description ?? '').split('\n\n')[0];
}

/** The connection log's last lines that the error carries, one per line ('' if it carries none). */
export function logOf(error: { messages?: string[] }): string {
	const messages = error.messages ?? [];
	const start = messages.indexOf(CONNECTION_LOG_HEADING);
	return start === -1 ? '' : messages.slice(start + 1).join('\n');
}
