/**
 * The test data (one large file, one 16 KiB file, 2,000 files of 16 KiB, all random bytes, served by vsftpd and sshd
 * from the same folder and hard-linked for n8n's Read/Write Files from Disk), what every transfer must deliver, the
 * checks of what arrived, and the machine state every measurement starts from.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import { outputOf, type RunJson } from '../tools/n8n';
import {
	BIG_BYTES,
	FILES,
	SMALL_BYTES,
	SMALL_COUNT,
	SRV,
	TINY_BYTES,
	log,
	type Protocol,
} from './config';
import { binaryFile } from './n8nRuns';
import { chownToFtpUser, emptyFolder, runOrThrow, sha256, sha256File, sync } from './processes';

/** Paths as the FTP server shows them (its root is SRV); SFTP sees the same files under their absolute paths. */
export const REMOTE = { big: '/big/big.bin', tiny: '/tiny/tiny.bin', many: '/many', up: '/up' };

export function remotePath(protocol: Protocol, ftpPath: string): string {
	return protocol === 'sftp' ? path.join(SRV, ftpPath) : ftpPath;
}

/** Where a path on the server lies on the local disk. */
export function serverFile(ftpPath: string): string {
	return path.join(SRV, ftpPath);
}

export const LOCAL = {
	big: path.join(FILES, 'big.bin'),
	tiny: path.join(FILES, 'tiny.bin'),
	many: path.join(FILES, 'many'),
	/** Where the upload ceiling (Read/Write Files from Disk writing) puts its files, inside N8N_RESTRICT_FILE_ACCESS_TO. */
	out: path.join(FILES, 'out'),
};

export interface Expected {
	bytes: number;
	sha: string;
}
export const expected: Record<'big' | 'tiny', Expected> = {
	big: { bytes: BIG_BYTES, sha: '' },
	tiny: { bytes: TINY_BYTES, sha: '' },
};
/** file name → SHA-256, and back. */
const smallShas = new Map<string, string>();
const smallNames = new Map<string, string>();

export function smallFileNames(): string[] {
	return [...smallShas.keys()].sort();
}

export async function createData(): Promise<void> {
	const started = Date.now();
	for (const folder of ['big', 'tiny', 'many', 'up'])
		await fsp.mkdir(path.join(SRV, folder), { recursive: true });
	const big = serverFile(REMOTE.big);
	await runOrThrow(
		'bash',
		['-c', `head -c ${BIG_BYTES} /dev/urandom > '${big}'`],
		'creating the large file',
	);
	expected.big.sha = await sha256File(big);
	const tiny = randomBytes(TINY_BYTES);
	expected.tiny.sha = sha256(tiny);
	await fsp.writeFile(serverFile(REMOTE.tiny), tiny);
	await fsp.mkdir(LOCAL.many, { recursive: true });
	for (let i = 0; i < SMALL_COUNT; i++) {
		const name = `file-${String(i).padStart(5, '0')}.bin`;
		const data = randomBytes(SMALL_BYTES);
		smallShas.set(name, sha256(data));
		smallNames.set(sha256(data), name);
		await fsp.writeFile(path.join(SRV, 'many', name), data);
		// The same bytes for the clients that read local files (uploads, n8n's ceiling): a hard link.
		await fsp.link(path.join(SRV, 'many', name), path.join(LOCAL.many, name));
	}
	await chownToFtpUser(SRV);
	await fsp.link(big, LOCAL.big);
	await fsp.writeFile(LOCAL.tiny, tiny);
	await fsp.mkdir(LOCAL.out, { recursive: true });
	await settle('big');
	await settle('many');
	log(
		`test data: ${BIG_BYTES} B large file, ${SMALL_COUNT} × ${SMALL_BYTES} B in ${REMOTE.many} (${Date.now() - started} ms)`,
	);
}

/**
 * The state every measurement starts from: no dirty pages (the write-back of the previous run would slow this one
 * down) and the source in the page cache (every client reads it from memory, none from a cold disk).
 */
export async function settle(source: 'big' | 'many'): Promise<void> {
	await sync();
	const files = source === 'big' ? `'${serverFile(REMOTE.big)}'` : `'${SRV}'/many/*`;
	await runOrThrow('bash', ['-c', `cat ${files} > /dev/null`], 'warming the page cache');
}

export async function expectSize(file: string, bytes: number, what: string): Promise<string> {
	const size = (await fsp.stat(file)).size;
	if (size !== bytes) throw new Error(`${what}: ${file} has ${size} bytes, expected ${bytes}`);
	return 'size';
}

export async function expectSha(file: string, want: Expected, what: string): Promise<string> {
	await expectSize(file, want.bytes, what);
	const actual = await sha256File(file);
	if (actual !== want.sha)
		throw new Error(`${what}: SHA-256 of ${file} is ${actual}, expected ${want.sha}`);
	return 'SHA-256';
}

/** The one binary `node` put out is the expected file. */
export async function verifyStored(
	run: RunJson,
	node: string,
	want: Expected,
	what: string,
): Promise<string> {
	const [item] = outputOf(run, node);
	const id = item?.binary?.data?.id;
	if (!id)
		throw new Error(
			`${what}: no binary data id in ${node}'s output (${JSON.stringify(item).slice(0, 500)})`,
		);
	await expectSha(binaryFile(id), want, what);
	return 'SHA-256 of the stored binary';
}

/** `node` put out every one of the small files, each once, byte for byte. */
export async function verifyManyStored(run: RunJson, node: string, what: string): Promise<string> {
	const items = outputOf(run, node);
	if (items.length !== SMALL_COUNT)
		throw new Error(`${what}: ${items.length} items, expected ${SMALL_COUNT}`);
	const seen = new Set<string>();
	for (const item of items) {
		const id = item.binary?.data?.id;
		if (!id)
			throw new Error(
				`${what}: an item without binary data: ${JSON.stringify(item).slice(0, 300)}`,
			);
		const name = smallNames.get(sha256(await fsp.readFile(binaryFile(id))));
		if (!name) throw new Error(`${what}: a stored binary matches no source file (${id})`);
		seen.add(name);
	}
	if (seen.size !== SMALL_COUNT)
		throw new Error(`${what}: ${seen.size} distinct files, expected ${SMALL_COUNT}`);
	return 'SHA-256 of every stored binary';
}

/** `folder` holds exactly the small files, byte for byte. */
export async function verifyManyFolder(folder: string, what: string): Promise<string> {
	const names = await fsp.readdir(folder);
	if (names.length !== SMALL_COUNT)
		throw new Error(`${what}: ${names.length} files in ${folder}, expected ${SMALL_COUNT}`);
	for (const name of names) {
		if (sha256(await fsp.readFile(path.join(folder, name))) !== smallShas.get(name))
			throw new Error(`${what}: ${name} differs`);
	}
	return 'SHA-256 of every file';
}

/** An empty upload folder on the server (owned by the account, so that vsftpd and sshd may write into it). */
export async function freshUploadFolder(folder: string): Promise<void> {
	await emptyFolder(folder);
	await chownToFtpUser(folder);
}
