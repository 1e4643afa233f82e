/**
 * Verify Checksum against real SFTP servers (scripts/sftp-servers.sh): ProFTPD mod_sftp computes hashes with the
 * check-file extension (downloads and uploads verified, a mismatch when the file changes on disk before the server
 * hashes it); OpenSSH offers no such extension: sidecar files, and the clear "cannot compute checksums".
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js checksumSftp`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { RemoteSession, toSftpSettings } from '../../nodes/FtpAutomation/transport';
import { downloadFile } from '../../nodes/FtpAutomation/transport/remoteFiles';
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import { remoteFailureOf } from '../helpers/memoryConnection';
import { recordingStore } from '../helpers/recordingStore';
import { failingRun, runFtpNode } from '../helpers/nodeRun';
import {
	makeFolderAsSftpUser,
	sftpCredentialsFor,
	startSftpInteropServers,
	writeAsSftpUser,
	type SftpInteropInstance,
	type SftpInteropServers,
} from '../helpers/sftpInteropServers';

const hashOf = (algorithm: string, data: Buffer | string) =>
	createHash(algorithm).update(data).digest('hex');

let run: SftpInteropServers;
const sessions: RemoteSession[] = [];

beforeAll(async () => {
	await initBinaryData();
	run = await startSftpInteropServers();
}, 120_000);

afterAll(async () => {
	for (const session of sessions) session.close();
	await run?.stop();
	await cleanupBinaryData();
}, 60_000);

/** A remote path as the client sees it (sshd: the data folder's absolute path; ProFTPD: `/`, jailed). */
const remoteOf = (server: SftpInteropInstance, relative: string) =>
	path.posix.join(server.homeDirectory, relative);

async function sessionOn(server: SftpInteropInstance): Promise<RemoteSession> {
	const session = await RemoteSession.open(toSftpSettings(sftpCredentialsFor(server)));
	sessions.push(session);
	return session;
}

describe('ProFTPD mod_sftp (check-file)', () => {
	let server: SftpInteropInstance;
	beforeAll(() => {
		server = run.get('proftpd-sftp');
	});

	it('offers check-file, and a download is verified with SHA-512', async () => {
		const content = randomBytes(300_000);
		await writeAsSftpUser(server, remoteOf(server, 'sums/down.bin'), content);
		const session = await sessionOn(server);
		expect(await session.checksumsOffered()).toEqual(['sha512', 'sha256', 'sha1', 'md5']);
		const { consume, state } = recordingStore(content.length);
		const result = await downloadFile(session, remoteOf(server, 'sums/down.bin'), consume, {
			verifyChecksum: true,
		});
		expect(result.checksum).toEqual({
			algorithm: 'sha512',
			value: hashOf('sha512', content),
			verified: true,
			source: 'server',
		});
		expect(state.handedOn).toBe(true);
	});

	it('fails with both values when the file changes on disk before the server hashes it', async () => {
		const content = randomBytes(200_000);
		const changed = randomBytes(200_000);
		const file = await writeAsSftpUser(server, remoteOf(server, 'sums/changing.bin'), content);
		const session = await sessionOn(server);
		const { consume, state } = recordingStore(content.length, () => writeFileSync(file, changed));
		const failure = await remoteFailureOf(
			downloadFile(session, remoteOf(server, 'sums/changing.bin'), consume, {
				verifyChecksum: true,
				retries: 2,
			}),
		);
		expect(failure.message).toContain(`the downloaded bytes hash to ${hashOf('sha512', content)}`);
		expect(failure.message).toContain(`the server computed ${hashOf('sha512', changed)}`);
		expect(state.handedOn).toBe(false);
	});

	it('verifies an upload through the node before renaming it onto the target', async () => {
		await makeFolderAsSftpUser(server, remoteOf(server, 'sums/up'));
		const text = 'id;amount\n1;42\n'.repeat(500);
		const target = remoteOf(server, 'sums/up/report.csv');
		const [item] = await runFtpNode(sftpCredentialsFor(server), {
			protocol: 'sftp',
			operation: 'upload',
			path: target,
			binaryData: false,
			fileContent: text,
			options: { verifyChecksum: true },
		});
		expect(item.json).toEqual({
			path: target,
			size: Buffer.byteLength(text),
			checksum: hashOf('sha512', text),
			checksumAlgorithm: 'sha512',
			checksumVerified: true,
		});
		const onDisk = path.join(server.dataDir, 'sums/up');
		expect(await fsp.readdir(onDisk)).toEqual(['report.csv']);
		expect(await fsp.readFile(path.join(onDisk, 'report.csv'), 'utf8')).toBe(text);
	});
});

describe('OpenSSH (no check-file)', () => {
	let server: SftpInteropInstance;
	beforeAll(() => {
		server = run.get('openssh');
	});

	it('offers no checksums, and verifies a download with its sidecar file', async () => {
		const content = randomBytes(100_000);
		await writeAsSftpUser(server, remoteOf(server, 'side/data.bin'), content);
		await writeAsSftpUser(
			server,
			remoteOf(server, 'side/data.bin.sha1'),
			`${hashOf('sha1', content)}  data.bin\n`,
		);
		const session = await sessionOn(server);
		expect(await session.checksumsOffered()).toEqual([]);
		const { consume } = recordingStore(content.length);
		const result = await downloadFile(session, remoteOf(server, 'side/data.bin'), consume, {
			verifyChecksum: true,
		});
		expect(result.checksum).toEqual({
			algorithm: 'sha1',
			value: hashOf('sha1', content),
			verified: true,
			source: 'sidecar',
		});
	});

	it('says it cannot compute checksums for a download without a sidecar', async () => {
		await writeAsSftpUser(server, remoteOf(server, 'side/plain.bin'), randomBytes(10_000));
		const session = await sessionOn(server);
		const { consume, state } = recordingStore(10_000);
		const failure = await remoteFailureOf(
			downloadFile(session, remoteOf(server, 'side/plain.bin'), consume, { verifyChecksum: true }),
		);
		expect(failure.message).toContain('The server cannot compute checksums');
		expect(state.handedOn).toBe(false);
	});

	it('says it cannot compute checksums for an upload, sending nothing and leaving no file', async () => {
		await makeFolderAsSftpUser(server, remoteOf(server, 'side/up'));
		const error = await failingRun(sftpCredentialsFor(server), {
			protocol: 'sftp',
			operation: 'upload',
			path: remoteOf(server, 'side/up/report.csv'),
			binaryData: false,
			fileContent: 'never sent',
			options: { verifyChecksum: true },
		});
		expect(error.message).toContain('The server cannot compute checksums');
		expect(await fsp.readdir(path.join(server.dataDir, 'side/up'))).toEqual([]);
	});
});
