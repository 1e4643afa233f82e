/**
 * The references outside n8n, measured in the same rounds as the n8n cases: curl and lftp against vsftpd (plain FTP
 * and explicit FTPS), curl's SFTP (libssh2) and OpenSSH's `sftp -b` against sshd. Their time is the wall time of the
 * client processes (start, connect, log in, transfer); every result is checked (sizes for 1 GiB, SHA-256 of every
 * small file) and removed so that the next case starts from the same disk.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { type Case, type Sample } from './cases';
import {
	CURL_SFTP,
	allAtOnce,
	curlArgs,
	ftpUrl,
	lftp,
	sftpBatch,
	sftpUrl,
	shares,
} from './clients';
import { DL, PARALLEL, WORK, type Protocol, type Security } from './config';
import {
	LOCAL,
	REMOTE,
	expectSize,
	expected,
	freshUploadFolder,
	serverFile,
	smallFileNames,
	verifyManyFolder,
} from './data';
import { emptyFolder, runOrThrow } from './processes';

/** A timed transfer of the large file that writes `written`, checked by size and removed. */
function bigTransfer(written: string, transfer: () => Promise<{ ms: number }>) {
	return async (): Promise<Sample> => {
		await fsp.rm(written, { force: true });
		const { ms } = await transfer();
		const verified = await expectSize(written, expected.big.bytes, path.basename(written));
		await fsp.rm(written, { force: true });
		return { seconds: ms / 1000, verified };
	};
}

/** A timed transfer of the small files into `folder` (local or on the server), checked file by file. */
function manyTransfer(folder: string, transfer: () => Promise<number>, what: string) {
	return async (): Promise<Sample> => {
		await freshUploadFolder(folder);
		const ms = await transfer();
		const verified = await verifyManyFolder(folder, what);
		await emptyFolder(folder);
		return { seconds: ms / 1000, verified };
	};
}

function ftpReferences(protocol: 'ftp' | 'ftps'): Case[] {
	const security: Security = protocol === 'ftp' ? 'plain' : 'tls';
	const curl = curlArgs(security);
	const base = { protocol, role: 'reference' as const };
	const dlFile = (who: string) => path.join(DL, `${who}-${protocol}.bin`);
	const upRemote = (who: string) => `${REMOTE.up}/${who}-${protocol}.bin`;
	const manyLocal = path.join(DL, `lftp-many-${protocol}`);
	const manyRemote = `${REMOTE.up}/many-lftp-${protocol}`;
	return [
		{
			...base,
			key: `bigDown/curl-null/${protocol}`,
			role: 'information',
			workload: 'bigDown',
			client: 'curl → /dev/null (what the network path alone does)',
			run: async () => {
				const t = await runOrThrow(
					'curl',
					[...curl, '-o', '/dev/null', ftpUrl(REMOTE.big)],
					'curl',
				);
				return { seconds: t.ms / 1000, verified: '–' };
			},
		},
		{
			...base,
			key: `bigDown/curl/${protocol}`,
			workload: 'bigDown',
			client: 'curl → disk',
			run: bigTransfer(dlFile('curl'), () =>
				runOrThrow('curl', [...curl, '-o', dlFile('curl'), ftpUrl(REMOTE.big)], 'curl download'),
			),
		},
		{
			...base,
			key: `bigDown/lftp/${protocol}`,
			workload: 'bigDown',
			client: 'lftp get → disk',
			run: bigTransfer(dlFile('lftp'), () =>
				lftp(security, `get ${REMOTE.big} -o ${dlFile('lftp')}`, 'lftp get'),
			),
		},
		{
			...base,
			key: `bigUp/curl/${protocol}`,
			workload: 'bigUp',
			client: 'curl -T',
			run: bigTransfer(serverFile(upRemote('curl')), () =>
				runOrThrow('curl', [...curl, '-T', LOCAL.big, ftpUrl(upRemote('curl'))], 'curl upload'),
			),
		},
		{
			...base,
			key: `bigUp/lftp/${protocol}`,
			workload: 'bigUp',
			client: 'lftp put',
			run: bigTransfer(serverFile(upRemote('lftp')), () =>
				lftp(security, `put ${LOCAL.big} -o ${upRemote('lftp')}`, 'lftp put'),
			),
		},
		{
			...base,
			key: `manyDown/lftp/${protocol}`,
			workload: 'manyDown',
			client: `lftp mirror --parallel=${PARALLEL}`,
			run: manyTransfer(
				manyLocal,
				async () =>
					(
						await lftp(
							security,
							`mirror --parallel=${PARALLEL} ${REMOTE.many} ${manyLocal}`,
							'lftp mirror',
						)
					).ms,
				'lftp mirror',
			),
		},
		{
			...base,
			key: `manyUp/lftp/${protocol}`,
			workload: 'manyUp',
			client: `lftp mirror -R --parallel=${PARALLEL}`,
			run: manyTransfer(
				serverFile(manyRemote),
				async () =>
					(
						await lftp(
							security,
							`mirror -R --parallel=${PARALLEL} ${LOCAL.many} ${manyRemote}`,
							'lftp mirror -R',
						)
					).ms,
				'lftp mirror -R',
			),
		},
	];
}

/** OpenSSH's sftp -b as PARALLEL processes at once, each with its share of the small files: the time, ms. */
function sftpBatches(command: (name: string) => string): () => Promise<number> {
	return async () =>
		await allAtOnce(
			shares(smallFileNames(), PARALLEL).map(
				(names) => () => sftpBatch(names.map(command), 'sftp -b, many files'),
			),
		);
}

function sftpReferences(): Case[] {
	const base = { protocol: 'sftp' as const, role: 'reference' as const };
	const big = serverFile(REMOTE.big);
	const many = serverFile(REMOTE.many);
	const dlFile = (who: string) => path.join(DL, `${who}-sftp.bin`);
	const upFile = (who: string) => serverFile(`${REMOTE.up}/${who}-sftp.bin`);
	const lists = () => shares(smallFileNames(), PARALLEL);
	const curlMany = path.join(DL, 'curl-many-sftp');
	const sftpMany = path.join(DL, 'sftp-many-sftp');
	const sftpManyUp = serverFile(`${REMOTE.up}/many-sftp-b`);
	return [
		{
			...base,
			key: 'bigDown/curl-null/sftp',
			role: 'information',
			workload: 'bigDown',
			client: 'curl (libssh2) → /dev/null (what the network path alone does)',
			run: async () => {
				const t = await runOrThrow('curl', [...CURL_SFTP, '-o', '/dev/null', sftpUrl(big)], 'curl');
				return { seconds: t.ms / 1000, verified: '–' };
			},
		},
		{
			...base,
			key: 'bigDown/curl/sftp',
			workload: 'bigDown',
			client: 'curl (libssh2) → disk',
			run: bigTransfer(dlFile('curl'), () =>
				runOrThrow('curl', [...CURL_SFTP, '-o', dlFile('curl'), sftpUrl(big)], 'curl sftp'),
			),
		},
		{
			...base,
			key: 'bigDown/sftp/sftp',
			workload: 'bigDown',
			client: 'OpenSSH sftp -b get → disk',
			run: bigTransfer(dlFile('sftp'), () =>
				sftpBatch([`get ${big} ${dlFile('sftp')}`], 'sftp get'),
			),
		},
		{
			...base,
			key: 'bigUp/curl/sftp',
			workload: 'bigUp',
			client: 'curl (libssh2) -T',
			run: bigTransfer(upFile('curl'), () =>
				runOrThrow(
					'curl',
					[...CURL_SFTP, '-T', LOCAL.big, sftpUrl(upFile('curl'))],
					'curl sftp -T',
				),
			),
		},
		{
			...base,
			key: 'bigUp/sftp/sftp',
			workload: 'bigUp',
			client: 'OpenSSH sftp -b put',
			run: bigTransfer(upFile('sftp'), () =>
				sftpBatch([`put ${LOCAL.big} ${upFile('sftp')}`], 'sftp put'),
			),
		},
		{
			...base,
			key: 'manyDown/curl/sftp',
			workload: 'manyDown',
			client: `curl (libssh2), ${PARALLEL} processes at once (one connection each)`,
			run: manyTransfer(
				curlMany,
				async () => {
					const configs = await Promise.all(
						lists().map(async (names, i) => {
							const config = path.join(WORK, `curl-sftp-${i}.cfg`);
							const entries = names.map(
								(name) =>
									`url = "${sftpUrl(path.join(many, name))}"\noutput = "${path.join(curlMany, name)}"`,
							);
							await fsp.writeFile(config, entries.join('\n') + '\n');
							return config;
						}),
					);
					return await allAtOnce(
						configs.map(
							(config) => () => runOrThrow('curl', [...CURL_SFTP, '-K', config], 'curl sftp'),
						),
					);
				},
				'curl sftp, many',
			),
		},
		{
			...base,
			key: 'manyDown/sftp/sftp',
			workload: 'manyDown',
			client: `OpenSSH sftp -b, ${PARALLEL} processes at once`,
			run: manyTransfer(
				sftpMany,
				sftpBatches((name) => `get ${path.join(many, name)} ${path.join(sftpMany, name)}`),
				'sftp -b get, many',
			),
		},
		{
			...base,
			key: 'manyUp/sftp/sftp',
			workload: 'manyUp',
			client: `OpenSSH sftp -b, ${PARALLEL} processes at once`,
			run: manyTransfer(
				sftpManyUp,
				sftpBatches((name) => `put ${path.join(LOCAL.many, name)} ${path.join(sftpManyUp, name)}`),
				'sftp -b put, many',
			),
		},
	];
}

/** The references for the protocols asked for. */
export function referenceCases(protocols: Protocol[]): Case[] {
	return [
		...(protocols.includes('ftp') ? ftpReferences('ftp') : []),
		...(protocols.includes('ftps') ? ftpReferences('ftps') : []),
		...(protocols.includes('sftp') ? sftpReferences() : []),
	];
}
