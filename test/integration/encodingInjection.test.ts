/**
 * File Name Encoding Latin-1 keeps only the low byte of each character on the wire: `č` (U+010D) becomes CR and `Ċ`
 * (U+010A) LF, so a path could end its command early and run the rest as another command, and `Ł` (U+0141) becomes
 * `A` and names another file. Every path parameter of both nodes, the username and the password are refused with an
 * explained error before anything is sent; and the bytes of every command are checked as they would be written.
 * Against a scripted server that records the raw bytes it receives.
 */
import type { Client } from 'basic-ftp';
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { RemoteSession, toConnectionSettings } from '../../nodes/FtpAutomation/transport';
import { FtpAutomationTrigger } from '../../nodes/FtpAutomation/FtpAutomationTrigger.node';
import type { ScriptedFtpServer } from '../helpers/fakeServers';
import { cleanupBinaryData, initBinaryData, pollNode } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';
import { changingCommands, scriptedListingServer } from '../helpers/scriptedListings';

const PASSWORD = 'latin1-Pass-1';
/** Written in Latin-1: `/report.csv` CR LF `RMD /important`. */
const INJECTION = '/report.csv\u010d\u010aRMD /important';
const REFUSED = 'contains "č" (U+010D), which File Name Encoding Latin-1 cannot carry';

let server: ScriptedFtpServer;
let credentials: ICredentialDataDecryptedObject;

beforeAll(async () => {
	await initBinaryData();
	server = await scriptedListingServer({
		listing: (path) =>
			path === '/' || path === '/in'
				? path === '/in'
					? '-rw-r--r-- 1 u u 3 Nov 24 10:00 a.csv'
					: ''
				: undefined,
		files: { '/in/a.csv': 'a,b', '/ok.csv': 'ok' },
	});
	credentials = credentialsFor(
		{ host: server.host, port: server.port, username: 'partner', password: PASSWORD },
		'none',
		{ encoding: 'latin1' },
	);
});

afterAll(async () => {
	await server.close();
	await cleanupBinaryData();
});

beforeEach(() => {
	server.commands.length = 0;
	server.rawCommands.length = 0;
});

/** Nothing but logging in and looking around reached the server, and no byte of the injected text did. */
function expectNothingInjected(): void {
	expect(changingCommands(server)).toEqual([]);
	expect(
		server.commands.filter((command) =>
			/^(RETR|STOR|LIST|MLSD|SIZE|RNFR|RNTO|MKD|RMD|DELE)\b/.test(command),
		),
	).toEqual([]);
	expect(
		server.rawCommands.filter((raw) => raw.includes('report.csv') || raw.includes('important')),
	).toEqual([]);
}

describe('every path parameter of the FTP Automation node, in Latin-1 mode', () => {
	it.each<[string, INodeParameters, string]>([
		['List: Path', { operation: 'list', path: INJECTION }, 'Path'],
		['Download: Path', { operation: 'download', path: INJECTION }, 'Path'],
		[
			'Download: Move to Folder',
			{
				operation: 'download',
				path: '/ok.csv',
				options: { afterDownload: 'moveTo', moveToFolder: INJECTION },
			},
			'Move to Folder',
		],
		[
			'Upload: Path',
			{ operation: 'upload', path: INJECTION, binaryData: false, fileContent: 'x' },
			'Path',
		],
		['Delete: Path', { operation: 'delete', path: INJECTION }, 'Path'],
		[
			'Delete: Path of a folder',
			{ operation: 'delete', path: INJECTION, options: { folder: true, recursive: true } },
			'Path',
		],
		[
			'Rename: Old Path',
			{ operation: 'rename', oldPath: INJECTION, newPath: '/new.csv' },
			'Old Path',
		],
		[
			'Rename: New Path',
			{ operation: 'rename', oldPath: '/ok.csv', newPath: INJECTION },
			'New Path',
		],
		['Create Folder: Path', { operation: 'createFolder', path: INJECTION }, 'Path'],
	])('%s is refused before anything is sent', async (_, parameters, label) => {
		const error = await failingRun(credentials, parameters);
		expect(error.message).toBe(`${label} ${REFUSED}: ${JSON.stringify(INJECTION)}`);
		expect(error.description).toContain('Nothing was sent to the server');
		expectNothingInjected();
	});

	it('refuses a character that would silently name another file (Ł would go out as A)', async () => {
		const error = await failingRun(credentials, { operation: 'download', path: '/Ł.txt' });
		expect(error.message).toBe(
			'Path contains "Ł" (U+0141), which File Name Encoding Latin-1 cannot carry: "/Ł.txt"',
		);
		expect(server.commands.filter((command) => command.includes('A.txt'))).toEqual([]);
	});

	it('still sends Latin-1 letters (ä, ß, ½) as themselves', async () => {
		await runFtpNode(credentials, { operation: 'delete', path: '/Größe ½ März.txt' });
		expect(server.rawCommands.map((raw) => raw.toString('latin1'))).toContain(
			'DELE /Größe ½ März.txt',
		);
	});
});

describe('the path parameters of the FTP Automation Trigger, in Latin-1 mode', () => {
	const poll = async (parameters: INodeParameters) =>
		await pollNode({
			nodeType: new FtpAutomationTrigger(),
			parameters,
			credentials: { ftpAutomationApi: credentials },
			staticData: {},
		});

	it('Folder is refused before anything is sent', async () => {
		await expect(poll({ path: INJECTION })).rejects.toThrow(`Path ${REFUSED}`);
		expectNothingInjected();
	});

	it('Move to Folder is refused before the file is downloaded or moved', async () => {
		await expect(
			poll({
				path: '/in',
				options: {
					emitExisting: true,
					download: true,
					afterDownload: 'moveTo',
					moveToFolder: INJECTION,
				},
			}),
		).rejects.toThrow(`Move to Folder ${REFUSED}`);
		expect(
			server.commands.filter((command) => /^(RETR|RNFR|RNTO|DELE|RMD)\b/.test(command)),
		).toEqual([]);
	});
});

describe('the credential, in Latin-1 mode', () => {
	it('refuses a username Latin-1 cannot carry, without connecting', async () => {
		const connectionsBefore = server.connections;
		const error = await failingRun(
			{ ...credentials, username: 'Łukasz' },
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toBe(
			'The username contains "Ł" (U+0141), which File Name Encoding Latin-1 cannot carry: "Łukasz"',
		);
		expect(server.connections).toBe(connectionsBefore);
	});

	it('refuses a password Latin-1 cannot carry without showing it, and without connecting', async () => {
		const connectionsBefore = server.connections;
		const password = 'p\u010d\u010aSITE EXEC rm';
		const error = await failingRun({ ...credentials, password }, { operation: 'list', path: '/' });
		expect(error.message).toBe(
			'The password contains a character, which File Name Encoding Latin-1 cannot carry',
		);
		expect(`${error.message}${error.description ?? ''}`).not.toContain('SITE');
		expect(server.connections).toBe(connectionsBefore);
	});

	it('refuses a line break in the username in either encoding', async () => {
		const error = await failingRun(
			{ ...credentials, encoding: 'utf8', username: 'partner\r\nDELE /x' },
			{ operation: 'list', path: '/' },
		);
		expect(error.message).toBe(
			'The username contains a line break or NUL character, which FTP cannot carry',
		);
	});
});

describe('the bytes of every command, as written', () => {
	it('are checked below every other check: a command Latin-1 would turn into two is not sent', async () => {
		const session = await RemoteSession.open(toConnectionSettings(credentials));
		try {
			const client = (session as unknown as { connection: { client: Client } }).connection.client;
			await expect(client.send(`DELE ${INJECTION}`)).rejects.toThrow(
				'Refused to send the command "DELE /report.csv',
			);
			await expect(client.send('DELE /\u0141.txt')).rejects.toThrow('Refused to send the command');
			expectNothingInjected();
			// The connection is still usable: nothing was written.
			await expect(client.sendIgnoringError('NOOP')).resolves.toMatchObject({ code: 500 });
		} finally {
			session.close();
		}
	});

	it('refuses an unpaired surrogate in UTF-8 mode (it would go out as U+FFFD, another name)', async () => {
		const error = await failingRun(
			{ ...credentials, encoding: 'utf8' },
			{ operation: 'delete', path: '/a\ud800.txt' },
		);
		expect(error.message).toBe(
			'Path contains (U+D800), which File Name Encoding UTF-8 cannot carry: "/a\\ud800.txt"',
		);
		expect(changingCommands(server)).toEqual([]);
	});
});
