/**
 * The bench's configuration: what bench/run.sh passes in (the scratch folder, vsftpd's port and account), the sizes
 * (BENCH_* variables), the folders inside the scratch folder, and the log.
 */
import * as path from 'path';

import { REPO } from '../tools/n8n';

export { REPO };

function required(name: string): string {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run this through bench/run.sh (npm run bench)`);
	return value;
}

export const WORK = required('BENCH_WORK');
export const PORT = Number(required('BENCH_FTP_PORT'));
export const FTP_USER = required('BENCH_FTP_USER');
export const FTP_PASSWORD = required('BENCH_FTP_PASSWORD');
export const VSFTPD_PID = Number(required('BENCH_VSFTPD_PID'));
/** OpenSSH's sshd for the SFTP rows: same account and password as vsftpd, started by bench/run.sh. */
export const SFTP_PORT = Number(required('BENCH_SFTP_PORT'));
export const SSHD_PID = Number(required('BENCH_SSHD_PID'));
/** The host key's SHA-256 fingerprint (`ssh-keygen -l`), pinned in this node's SFTP credential. */
export const SFTP_FINGERPRINT = required('BENCH_SFTP_FINGERPRINT');

export const MB = 1e6;
export const MiB = 1024 * 1024;

export const BIG_BYTES = Number(process.env.BENCH_BIG_MIB ?? 1024) * 1024 * 1024;
export const TINY_BYTES = 16 * 1024;
export const SMALL_COUNT = Number(process.env.BENCH_SMALL_COUNT ?? 2000);
export const SMALL_BYTES = 16 * 1024;
/**
 * Rounds: every case runs once per round, the cases interleaved (the order reversed every other round), and the
 * report gives the median and the spread. Single runs on this 2-CPU machine swing by 2× (write-back of the previous
 * run, other load), so five rounds are the least that tells noise from a change. BENCH_REPEATS is the old name.
 */
export const ROUNDS = Math.max(
	1,
	Number(
		process.env.BENCH_ROUNDS ?? process.env.BENCH_REPEATS ?? process.env.BENCH_LARGE_REPEATS ?? 5,
	),
);
/** BENCH_PROFILE: case keys (e.g. `manyDown/node/ftp`) to run once each under --cpu-prof instead of the rounds. */
export const PROFILE = (process.env.BENCH_PROFILE ?? '')
	.split(',')
	.map((key) => key.trim())
	.filter(Boolean);
/** Concurrency of this node's List/Download/Upload on the 2,000 files, and the parallelism of the references. */
export const PARALLEL = 8;
/**
 * BENCH_ONLY: a comma-separated subset of `ftp`, `sftp` (the protocols) and `large`, `small` (the workloads), e.g.
 * `sftp` or `sftp,large`; a group left out means all of it (for debugging the harness).
 */
export const ONLY = process.env.BENCH_ONLY ?? '';
const only = new Set(
	ONLY.split(',')
		.map((word) => word.trim())
		.filter(Boolean),
);
for (const word of only) {
	if (!['ftp', 'sftp', 'large', 'small'].includes(word))
		throw new Error(`BENCH_ONLY: unknown part "${word}" (ftp, sftp, large, small)`);
}
const anyOf = (...words: string[]): boolean => !words.some((w) => only.has(w));
export const RUN = {
	ftp: only.has('ftp') || anyOf('ftp', 'sftp'),
	sftp: only.has('sftp') || anyOf('ftp', 'sftp'),
	large: only.has('large') || anyOf('large', 'small'),
	small: only.has('small') || anyOf('large', 'small'),
};
export const RSS_GROWTH_LIMIT_MIB = 64;
export const BIG_LABEL =
	BIG_BYTES % (1024 * MiB) === 0 ? `${BIG_BYTES / 1024 / MiB} GiB` : `${BIG_BYTES / MiB} MiB`;

/** The FTP root (vsftpd's local_root). */
export const SRV = path.join(WORK, 'srv');
/** curl's and lftp's downloads. */
export const DL = path.join(WORK, 'dl');
/** Upload sources, and the only folder n8n's Read/Write Files from Disk may read (N8N_RESTRICT_FILE_ACCESS_TO). */
export const FILES = path.join(WORK, 'files');
/** n8n's user folder, with its binary data store: on the same disk as everything else. */
export const USER_FOLDER = path.join(WORK, 'n8n');
/** n8n's run JSON and stderr of every execution. */
export const LOGS = path.join(WORK, 'logs');
/** TMPDIR of the n8n processes (the built-in FTP node downloads into a temporary file first). */
export const TMP = path.join(WORK, 'tmp');
/** OpenSSH's sftp client: its key (authorized for the account) and a known_hosts file with the host key. */
export const SFTP_CLIENT_KEY = path.join(WORK, 'client_ed25519');
export const SFTP_KNOWN_HOSTS = path.join(WORK, 'known_hosts');
/** vsftpd's self-signed certificate: curl's and lftp's CA file, and the FTPS credential's CA Certificate. */
export const CA = path.join(WORK, 'cert.pem');
export const RESULTS = path.join(REPO, 'bench', 'results');
export const TEMPLATES = path.join(REPO, 'bench', 'workflows');

/** The FTP references' two modes on the one vsftpd (clients.ts). */
export type Security = 'plain' | 'tls';

/** Where the bytes come from or go to: n8n's local disk (the ceiling), or a server over one of the protocols. */
export type Protocol = 'local' | 'ftp' | 'ftps' | 'sftp';
export const PROTOCOL_LABEL: Record<Protocol, string> = {
	local: "n8n's own ceiling (local disk)",
	ftp: 'plain FTP',
	ftps: 'explicit FTPS',
	sftp: 'SFTP',
};

export function log(message: string): void {
	process.stderr.write(`bench: ${message}\n`);
}
