/**
 * Verify Checksum against real FTP servers (scripts/ftp-servers.sh): ProFTPD with mod_digest (HASH with OPTS HASH,
 * the X commands) for downloads and uploads, and a mismatch when the file changes on disk between the transfer and
 * the server's hash; vsftpd, which computes no hashes, with sidecar files and the clear "cannot compute checksums".
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js checksumServers`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, writeFileSync } from 'node:fs';

import { RemoteSession, toConnectionSettings } from '../../nodes/FtpAutomation/transport';
import { downloadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import {
	makeFolderAsUser,
	onDisk,
	startInteropServers,
	writeAsUser,
	type InteropServer,
	type InteropServerName,
	type InteropServers,
} from '../helpers/interopServers';
import { remoteFailureOf } from '../helpers/memoryConnection';
import { recordingStore } from '../helpers/recordingStore';
import { credentialsFor, failingRun, runFtpNode } from '../helpers/nodeRun';

const hashOf = (algorithm: string, data: Buffer | string) =>
	createHash(algorithm).update(data).digest('hex');

let run: InteropServers;
const sessions: RemoteSession[] = [];

beforeAll(async () => {
	await initBinaryData();
	run = await startInteropServers();
}, 120_000);

afterAll(async () => {
	for (const session of sessions) session.close();
	await run?.stop();
	await cleanupBinaryData();
}, 60_000);

function serverNamed(name: InteropServerName): InteropServer {
	const server = run.servers.find((each) => each.name === name);
	if (server === undefined) throw new Error(`${name} did not start`);
	return server;
}

async function sessionOn(server: InteropServer): Promise<RemoteSession> {
	const session = await RemoteSession.open(toConnectionSettings(credentialsFor(server, 'none')));
	sessions.push(session);
	return session;
}

describe('ProFTPD with mod_digest', () => {
	let server: InteropServer;
	beforeAll(() => {
		server = serverNamed('proftpd-explicit');
	});

	it('offers HASH and the X commands, and a download is verified with SHA-512', async () => {
		const content = randomBytes(300_000);
		await writeAsUser(server, '/sums/down.bin', content);
		const session = await sessionOn(server);
		expect(await session.checksumsOffered()).toEqual(['sha512', 'sha256', 'sha1', 'md5', 'crc32']);
		const { consume, state } = recordingStore(content.length);
		const result = await downloadFile(session, '/sums/down.bin', consume, { verifyChecksum: true });
		expect(result.checksum).toEqual({
			algorithm: 'sha512',
			value: hashOf('sha512', content),
			verified: true,
			source: 'server',
		});
		expect(hashOf('sha512', result.result)).toBe(hashOf('sha512', content));
		expect(state.handedOn).toBe(true);
		expect(session.log.tail(50).join('\n')).toContain('OPTS HASH SHA-512');
	});

	it('fails with both values when the file changes on disk before the server hashes it', async () => {
		const content = randomBytes(200_000);
		const changed = randomBytes(200_000);
		const file = await writeAsUser(server, '/sums/changing.bin', content);
		const session = await sessionOn(server);
		const { consume, state } = recordingStore(content.length, () => writeFileSync(file, changed));
		const failure = await remoteFailureOf(
			downloadFile(session, '/sums/changing.bin', consume, { verifyChecksum: true, retries: 2 }),
		);
		expect(failure.message).toContain(`the downloaded bytes hash to ${hashOf('sha512', content)}`);
		expect(failure.message).toContain(`the server computed ${hashOf('sha512', changed)}`);
		expect(failure.retryable).toBe(false);
		expect(state.handedOn).toBe(false);
	});

	it('verifies an upload through the node before renaming it onto the target', async () => {
		await makeFolderAsUser(server, '/sums/up');
		const text = 'id;amount\n1;42\n'.repeat(500);
		const [item] = await runFtpNode(credentialsFor(server, 'explicit'), {
			operation: 'upload',
			path: '/sums/up/report.csv',
			binaryData: false,
			fileContent: text,
			options: { verifyChecksum: true },
		});
		expect(item.json).toEqual({
			path: '/sums/up/report.csv',
			size: Buffer.byteLength(text),
			checksum: hashOf('sha512', text),
			checksumAlgorithm: 'sha512',
			checksumVerified: true,
		});
		expect(await fsp.readFile(onDisk(server, '/sums/up/report.csv'), 'utf8')).toBe(text);
		expect(await fsp.readdir(onDisk(server, '/sums/up'))).toEqual(['report.csv']);
	});
});

describe('vsftpd (no hash commands)', () => {
	let server: InteropServer;
	beforeAll(() => {
		server = serverNamed('vsftpd-explicit');
	});

	it('offers no checksums, and verifies a download with its sidecar file', async () => {
		const content = randomBytes(100_000);
		await writeAsUser(server, '/side/data.bin', content);
		await writeAsUser(server, '/side/data.bin.sha256', `${hashOf('sha256', content)}  data.bin\n`);
		const session = await sessionOn(server);
		expect(await session.checksumsOffered()).toEqual([]);
		const { consume } = recordingStore(content.length);
		const result = await downloadFile(session, '/side/data.bin', consume, { verifyChecksum: true });
		expect(result.checksum).toEqual({
			algorithm: 'sha256',
			value: hashOf('sha256', content),
			verified: true,
			source: 'sidecar',
		});
	});

	it('fails when the sidecar holds another hash, naming both values', async () => {
		const content = randomBytes(50_000);
		const wrong = hashOf('md5', 'an older version');
		await writeAsUser(server, '/side/old.bin', content);
		await writeAsUser(server, '/side/old.bin.md5', `${wrong} *old.bin\n`);
		const session = await sessionOn(server);
		const { consume, state } = recordingStore(content.length);
		const failure = await remoteFailureOf(
			downloadFile(session, '/side/old.bin', consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain(`the downloaded bytes hash to ${hashOf('md5', content)}`);
		expect(failure.message).toContain(`its sidecar file says ${wrong}`);
		expect(state.handedOn).toBe(false);
	});

	it('says it cannot compute checksums for a download without a sidecar, downloading nothing', async () => {
		await writeAsUser(server, '/side/plain.bin', randomBytes(10_000));
		const session = await sessionOn(server);
		const { consume, state } = recordingStore(10_000);
		const failure = await remoteFailureOf(
			downloadFile(session, '/side/plain.bin', consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain('The server cannot compute checksums');
		expect(failure.hint).toContain('sidecar');
		expect(state.handedOn).toBe(false);
		expect(session.log.tail(100).join('\n')).not.toContain('Downloaded "/side/plain.bin"');
	});

	it('says it cannot compute checksums for an upload, sending nothing and leaving no file', async () => {
		await makeFolderAsUser(server, '/side/up');
		const error = await failingRun(credentialsFor(server, 'explicit'), {
			operation: 'upload',
			path: '/side/up/report.csv',
			binaryData: false,
			fileContent: 'never sent',
			options: { verifyChecksum: true },
		});
		expect(error.message).toContain('The server cannot compute checksums');
		expect(error.message).toContain('nothing was uploaded');
		expect(await fsp.readdir(onDisk(server, '/side/up'))).toEqual([]);
	});
});
