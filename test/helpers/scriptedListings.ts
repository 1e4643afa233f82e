/**
 * A scripted FTP server that serves folder listings exactly as written (LIST or MLSD text), for the replies of broken
 * and hostile servers that no real server sends on demand: names that are paths, control characters, bad MLSD facts,
 * endless trees, links shown as folders. Folders, files and what PWD says are given by the test; every command is
 * recorded (`server.commands`), and DELE/RMD/RNFR/STOR are answered as successes without touching anything.
 */
import { posix } from 'path';

import {
	scriptedFtpServer,
	type FtpScript,
	type ScriptedFtpServer,
	type ScriptedReply,
	type ScriptedSession,
} from './fakeServers';

export interface ScriptedTree {
	/** The listing text of a folder, or undefined if there is no such folder (CWD and LIST answer 550). */
	listing(path: string): string | undefined;
	/** Answer FEAT with MLST (the node then lists with MLSD, and `listing` must return MLSD lines). */
	mlsd?: boolean;
	/** What PWD says after CWD to a folder; default the path itself (as ftp-srv and IIS do, even for links). */
	pwd?(path: string): string | undefined;
	/** File contents for SIZE and RETR. */
	files?: Record<string, Buffer | string>;
	/** Replies that replace the ones of this helper. */
	replies?: Record<string, ScriptedReply>;
	greeting?: FtpScript['greeting'];
}

/** Sends `data` over the data connection of the last EPSV/PASV, between a 150 and a 226 reply. */
export async function sendOverDataConnection(
	session: ScriptedSession,
	data: string | Buffer,
): Promise<void> {
	const socket = await session.dataConnection();
	session.reply('150 Here comes the data.');
	await new Promise<void>((resolve) => socket.end(data, () => resolve()));
	session.reply('226 Transfer complete.');
}

/** `LIST -a /in` → `/in`; relative paths start at the session's working folder. */
function pathArgument(argument: string, cwd: string): string {
	const path = argument.replace(/^-a\s*/, '').trim();
	return posix.resolve(cwd, path === '' ? '.' : path);
}

export async function scriptedListingServer(tree: ScriptedTree): Promise<ScriptedFtpServer> {
	const cwds = new WeakMap<ScriptedSession, string>();
	const cwdOf = (session: ScriptedSession) => cwds.get(session) ?? '/';
	const files = new Map(
		Object.entries(tree.files ?? {}).map(([path, content]) => [path, Buffer.from(content)]),
	);
	const list = async (session: ScriptedSession, argument: string) => {
		const text = tree.listing(pathArgument(argument, cwdOf(session)));
		if (text === undefined) session.reply('550 Failed to open directory.');
		else await sendOverDataConnection(session, text);
	};
	const done =
		(reply: string): ScriptedReply =>
		(session) =>
			session.reply(reply);
	return await scriptedFtpServer({
		greeting: tree.greeting,
		replies: {
			FEAT: (session) =>
				session.write(
					tree.mlsd
						? '211-Features:\r\n MLST type*;size*;modify*;unique*;\r\n SIZE\r\n211 End\r\n'
						: '211-Features:\r\n SIZE\r\n211 End\r\n',
				),
			CWD: (session, argument) => {
				const path = pathArgument(argument, cwdOf(session));
				if (tree.listing(path) === undefined)
					return session.reply('550 Failed to change directory.');
				cwds.set(session, path);
				session.reply('250 Directory successfully changed.');
			},
			PWD: (session) => {
				const shown = tree.pwd ? tree.pwd(cwdOf(session)) : cwdOf(session);
				session.reply(
					shown === undefined
						? '550 PWD not possible here.'
						: `257 "${shown}" is the current directory`,
				);
			},
			LIST: list,
			MLSD: list,
			SIZE: (session, argument) => {
				const content = files.get(pathArgument(argument, cwdOf(session)));
				session.reply(content ? `213 ${content.length}` : '550 Could not get file size.');
			},
			MDTM: (session, argument) =>
				session.reply(
					files.has(pathArgument(argument, cwdOf(session)))
						? '213 20261101100000'
						: '550 Could not get file modification time.',
				),
			RETR: async (session, argument) => {
				const content = files.get(pathArgument(argument, cwdOf(session)));
				if (!content) return session.reply('550 Failed to open file.');
				await sendOverDataConnection(session, content);
			},
			DELE: done('250 Delete operation successful.'),
			RMD: done('250 Remove directory operation successful.'),
			MKD: (session, argument) =>
				session.reply(`257 "${pathArgument(argument, cwdOf(session))}" created`),
			RNFR: done('350 Ready for RNTO.'),
			RNTO: done('250 Rename successful.'),
			...tree.replies,
		},
	});
}

/** The commands that change something on a server, as they arrived. */
export function changingCommands(server: ScriptedFtpServer): string[] {
	return server.commands.filter((command) =>
		/^(DELE|RMD|MKD|RNFR|RNTO|STOR|APPE|SITE)\b/i.test(command),
	);
}
