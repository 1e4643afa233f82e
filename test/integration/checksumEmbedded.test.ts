/**
 * Verify Checksum and Preserve Modification Time through the real FTP connection (basic-ftp, sockets) against
 * embedded servers: a scripted server sending the exact HASH/MDTM replies a real or hostile one sends, and the
 * in-process ftp-srv, which computes no hashes and sets no times (the explained failures, nothing left behind).
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';

import { RemoteSession, toConnectionSettings } from '../../nodes/FtpAutomation/transport';
import { startFtpServer, type TestFtpServer } from '../../tools/ftpServer';
import { scriptedFtpServer, type ScriptedFtpServer } from '../helpers/fakeServers';
import { credentialsFor, failingRun } from '../helpers/nodeRun';

const SHA256 = createHash('sha256').update('hello\n').digest('hex');
const FEATURES = '211-Features:\r\n HASH SHA-1*;SHA-256;MD5\r\n MDTM\r\n SIZE\r\n211 End';

let scripted: ScriptedFtpServer | undefined;
const sessions: RemoteSession[] = [];

afterEach(async () => {
	for (const session of sessions.splice(0)) session.close();
	await scripted?.close();
	scripted = undefined;
});

async function scriptedSession(replies: Record<string, string>): Promise<RemoteSession> {
	scripted = await scriptedFtpServer({ replies: { FEAT: FEATURES, ...replies } });
	const credentials = credentialsFor(
		{ host: scripted.host, port: scripted.port, username: 'u', password: 'scripted-Pass-9' },
		'none',
	);
	const session = await RemoteSession.open(toConnectionSettings(credentials));
	sessions.push(session);
	return session;
}

describe('HASH over a real control connection', () => {
	it('reads FEAT, selects SHA-256 with OPTS HASH and takes the hash from a multi-line reply', async () => {
		const session = await scriptedSession({
			OPTS: '200 SHA-256',
			HASH: `213-Computing SHA-256 digest\r\n213 SHA-256 0-5 ${SHA256} /in/a ${SHA256.slice(1)} b.txt`,
		});
		expect(await session.checksumsOffered()).toEqual(['sha256', 'sha1', 'md5']);
		expect(await session.checksum(`/in/a ${SHA256.slice(1)} b.txt`, 'sha256')).toBe(SHA256);
		expect(scripted?.commands.filter((line) => /^(OPTS HASH|HASH)/.test(line))).toEqual([
			'OPTS HASH SHA-256',
			`HASH /in/a ${SHA256.slice(1)} b.txt`,
		]);
	});

	it('explains a hostile reply without quoting all of it, and the connection stays usable', async () => {
		const session = await scriptedSession({
			OPTS: '200 SHA-256',
			HASH: `213 SHA-256 0-5 ${'<script>'.repeat(2000)} /f`,
			SIZE: '213 6',
		});
		const failure = (await session
			.checksum('/f', 'sha256')
			.catch((error: unknown) => error)) as Error;
		expect(failure.message).toContain("The server's reply to HASH is not a sha256 checksum");
		expect(failure.message.length).toBeLessThan(600);
		expect(await session.isFolder('/')).toBe(true);
	});

	it('does not believe an MDTM that took the time for part of a file name', async () => {
		const session = await scriptedSession({
			MDTM: '213 20240101000000',
		});
		const failure = (await session
			.setModifiedAt('/f', '2021-06-07T06:09:10Z')
			.catch((error: unknown) => error)) as Error;
		expect(failure.message).toContain('The server cannot set modification times');
		expect(failure.message).toContain('2024-01-01T00:00:00.000Z afterwards');
	});
});

describe('ftp-srv (no hashes, no settable times)', () => {
	let server: TestFtpServer;
	beforeAll(async () => {
		server = await startFtpServer({ security: 'none' });
	});
	afterAll(async () => {
		await server.close();
	});

	it('fails Verify Checksum on an upload before sending anything', async () => {
		const error = await failingRun(credentialsFor(server, 'none'), {
			operation: 'upload',
			path: '/up/report.csv',
			binaryData: false,
			fileContent: 'never sent',
			options: { verifyChecksum: true },
		});
		expect(error.message).toContain('The server cannot compute checksums');
		expect(await fsp.readdir(server.root)).toEqual([]);
	});

	it('fails Preserve Modification Time with an explanation and leaves no file', async () => {
		await fsp.mkdir(`${server.root}/times`);
		const error = await failingRun(credentialsFor(server, 'none'), {
			operation: 'upload',
			path: '/times/report.csv',
			binaryData: false,
			fileContent: 'a;b\n',
			options: { preserveModifiedAt: true, modifiedAt: '2021-06-07T06:09:10Z' },
		});
		expect(error.message).toContain('The server cannot set modification times');
		expect(await fsp.readdir(`${server.root}/times`)).toEqual([]);
	});
});
