/**
 * The reference clients: curl and lftp against the bench's vsftpd (plain FTP, or explicit FTPS verified against its
 * certificate), and curl's SFTP (libssh2) and OpenSSH's `sftp -b` against its sshd.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import {
	CA,
	FTP_PASSWORD,
	FTP_USER,
	PORT,
	SFTP_CLIENT_KEY,
	SFTP_KNOWN_HOSTS,
	SFTP_PORT,
	WORK,
	type Security,
} from './config';
import { runOrThrow, type Finished } from './processes';

export function ftpUrl(remotePath: string): string {
	return `ftp://127.0.0.1:${PORT}${remotePath}`;
}

export function curlArgs(security: Security): string[] {
	// Passive mode (curl's default: EPSV, then PASV); curl 7.88 hangs on active mode over TLS.
	const args = ['-sS', '--fail', '--user', `${FTP_USER}:${FTP_PASSWORD}`];
	if (security === 'tls') args.push('--ssl-reqd', '--cacert', CA);
	return args;
}

function lftpSettings(security: Security): string {
	const common =
		'set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 60; set ftp:passive-mode yes; set xfer:clobber yes; set ftp:sync-mode no;';
	if (security === 'plain') return `${common} set ftp:ssl-allow no;`;
	return `${common} set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ftp:ssl-protect-list yes; set ssl:verify-certificate yes; set ssl:ca-file ${CA};`;
}

export async function lftp(security: Security, commands: string, what: string): Promise<Finished> {
	return await runOrThrow(
		'lftp',
		[
			'-u',
			`${FTP_USER},${FTP_PASSWORD}`,
			'-p',
			String(PORT),
			'-e',
			`${lftpSettings(security)} ${commands}; quit`,
			'127.0.0.1',
		],
		what,
	);
}

/** SFTP paths are absolute (internal-sftp runs without a chroot): the server's files are bench/.work/srv/…. */
export function sftpUrl(remotePath: string): string {
	return `sftp://127.0.0.1:${SFTP_PORT}${remotePath}`;
}

/** curl (libssh2): password login, host key not checked (-k). */
export const CURL_SFTP = ['-sS', '--fail', '-k', '-u', `${FTP_USER}:${FTP_PASSWORD}`];

/** OpenSSH's sftp in batch mode: key login, the host key checked against the bench's known_hosts; its defaults. */
export async function sftpBatch(commands: string[], what: string): Promise<Finished> {
	const batch = path.join(WORK, `sftp-batch-${Math.random().toString(36).slice(2)}.txt`);
	await fsp.writeFile(batch, commands.join('\n') + '\n');
	try {
		return await runOrThrow(
			'sftp',
			[
				'-q',
				'-i',
				SFTP_CLIENT_KEY,
				'-o',
				'IdentitiesOnly=yes',
				'-o',
				`UserKnownHostsFile=${SFTP_KNOWN_HOSTS}`,
				'-o',
				'StrictHostKeyChecking=yes',
				'-P',
				String(SFTP_PORT),
				'-b',
				batch,
				`${FTP_USER}@127.0.0.1`,
			],
			what,
		);
	} finally {
		await fsp.rm(batch, { force: true });
	}
}

/** Runs `jobs` at once; the time is from the first start to the last end, ms. */
export async function allAtOnce(jobs: Array<() => Promise<unknown>>): Promise<number> {
	const started = process.hrtime.bigint();
	await Promise.all(jobs.map(async (job) => await job()));
	return Number(process.hrtime.bigint() - started) / 1e6;
}

/** `names` split into `parts` lists of (nearly) equal length. */
export function shares<T>(names: T[], parts: number): T[][] {
	const lists: T[][] = Array.from({ length: parts }, () => []);
	names.forEach((name, i) => lists[i % parts].push(name));
	return lists;
}
