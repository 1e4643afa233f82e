/**
 * The workloads: the test data on the server, the workflows each case runs, and the cases themselves — one large
 * file down and up, and many small files down — for curl, lftp, this node and n8n's built-in FTP node, each result
 * verified (sizes, SHA-256) before it counts.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

import { outputOf, type RunJson } from '../tools/n8n';
import { curlArgs, ftpUrl, lftp } from './clients';
import {
	BIG_BYTES,
	BIG_LABEL,
	DL,
	FILES,
	REPEATS,
	SECURITIES,
	SECURITY_LABEL,
	SMALL_BYTES,
	SMALL_COUNT,
	SRV,
	TINY_BYTES,
	log,
	type Security,
} from './config';
import {
	binaryFile,
	clearBinaryStore,
	credentialRef,
	execute,
	nodeMs,
	peakPhase,
	rssRiseKiB,
	workflowId,
	type WorkflowRun,
	type WorkflowSpec,
} from './n8nRuns';
import { chownToFtpUser, emptyFolder, runOrThrow, sha256, sha256File, sync } from './processes';
import { kib2mib, largeRuns, smallRows, type SmallRow } from './results';

const BIG_REMOTE = '/big/big.bin';
const TINY_REMOTE = '/tiny/tiny.bin';
const MANY_REMOTE = '/many';
let bigSha = '';
let tinySha = '';
/** file name → SHA-256, and back. */
const smallShas = new Map<string, string>();
const smallNames = new Map<string, string>();

/** What a transfer of the large and the tiny file must deliver (known once createData ran). */
export function expected(): Record<'big' | 'tiny', { bytes: number; sha: string }> {
	return { big: { bytes: BIG_BYTES, sha: bigSha }, tiny: { bytes: TINY_BYTES, sha: tinySha } };
}

export async function createData(): Promise<void> {
	const started = Date.now();
	await fsp.mkdir(path.join(SRV, 'big'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'tiny'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'many'), { recursive: true });
	await fsp.mkdir(path.join(SRV, 'up'), { recursive: true });
	const big = path.join(SRV, 'big', 'big.bin');
	await runOrThrow(
		'bash',
		['-c', `head -c ${BIG_BYTES} /dev/urandom > '${big}'`],
		'creating the large file',
	);
	bigSha = await sha256File(big);
	const tiny = randomBytes(TINY_BYTES);
	tinySha = sha256(tiny);
	await fsp.writeFile(path.join(SRV, 'tiny', 'tiny.bin'), tiny);
	for (let i = 0; i < SMALL_COUNT; i++) {
		const name = `file-${String(i).padStart(5, '0')}.bin`;
		const data = randomBytes(SMALL_BYTES);
		smallShas.set(name, sha256(data));
		smallNames.set(sha256(data), name);
		await fsp.writeFile(path.join(SRV, 'many', name), data);
	}
	await chownToFtpUser(SRV);
	// The upload source for curl, lftp and n8n's Read/Write Files from Disk: the same bytes, a hard link.
	await fsp.link(big, path.join(FILES, 'big.bin'));
	await fsp.writeFile(path.join(FILES, 'tiny.bin'), tiny);
	// Warm the page cache: every client then reads the source from memory, none from a cold disk.
	await runOrThrow(
		'bash',
		['-c', `cat '${big}' > /dev/null; cat '${SRV}'/many/* > /dev/null`],
		'warming the page cache',
	);
	await sync();
	log(
		`test data: ${BIG_BYTES} B large file, ${SMALL_COUNT} × ${SMALL_BYTES} B in ${MANY_REMOTE} (${Date.now() - started} ms)`,
	);
}

export function workflowSpecs(): WorkflowSpec[] {
	const specs: WorkflowSpec[] = [];
	for (const security of SECURITIES) {
		const credentials = credentialRef(security);
		const s = security === 'plain' ? 'P' : 'T';
		for (const [size, remote, local] of [
			['Big', BIG_REMOTE, 'big.bin'],
			['Tiny', TINY_REMOTE, 'tiny.bin'],
		] as const) {
			specs.push({
				id: workflowId(`Dl${size}${s}`),
				template: 'download.json',
				placeholders: {
					__CREDENTIALS__: credentials,
					__REMOTE_PATH__: remote,
					__PROTOCOL__: 'ftp',
				},
			});
			specs.push({
				id: workflowId(`Up${size}${s}`),
				template: 'upload.json',
				placeholders: {
					__CREDENTIALS__: credentials,
					__PROTOCOL__: 'ftp',
					__REMOTE_PATH__: `/up/node-${security}-${local}`,
					__LOCAL_FILE__: path.join(FILES, local),
				},
			});
		}
		for (const concurrency of [1, 8]) {
			specs.push({
				id: workflowId(`Many${s}C${concurrency}`),
				template: 'list-download.json',
				placeholders: {
					__CREDENTIALS__: credentials,
					__PROTOCOL__: 'ftp',
					__REMOTE_PATH__: MANY_REMOTE,
					__CONCURRENCY__: concurrency,
				},
			});
		}
	}
	const builtin = credentialRef('builtin');
	for (const [size, remote, local] of [
		['Big', BIG_REMOTE, 'big.bin'],
		['Tiny', TINY_REMOTE, 'tiny.bin'],
	] as const) {
		specs.push({
			id: workflowId(`BiDl${size}`),
			template: 'builtin-download.json',
			placeholders: { __CREDENTIALS__: builtin, __REMOTE_PATH__: remote, __PROTOCOL__: 'ftp' },
		});
		specs.push({
			id: workflowId(`BiUp${size}`),
			template: 'builtin-upload.json',
			placeholders: {
				__CREDENTIALS__: builtin,
				__PROTOCOL__: 'ftp',
				__REMOTE_PATH__: `/up/builtin-${local}`,
				__LOCAL_FILE__: path.join(FILES, local),
			},
		});
	}
	specs.push({
		id: workflowId('BiMany'),
		template: 'builtin-list-download.json',
		placeholders: { __CREDENTIALS__: builtin, __REMOTE_PATH__: MANY_REMOTE, __PROTOCOL__: 'ftp' },
	});
	return specs;
}

export async function expectSize(file: string, bytes: number, what: string): Promise<string> {
	const size = (await fsp.stat(file)).size;
	if (size !== bytes) throw new Error(`${what}: ${file} has ${size} bytes, expected ${bytes}`);
	return 'size';
}

export async function expectSha(file: string, sha: string, what: string): Promise<string> {
	const actual = await sha256File(file);
	if (actual !== sha) throw new Error(`${what}: SHA-256 of ${file} is ${actual}, expected ${sha}`);
	return 'SHA-256';
}

/**
 * One n8n download of the large (or tiny) file: node time, peak RSS, SHA-256 of the stored binary. `node` is the
 * node whose output holds the file and whose time counts (Read File for n8n's own ceiling).
 */
export async function n8nDownload(
	id: string,
	expected: { bytes: number; sha: string },
	what: string,
	node = 'Download',
): Promise<WorkflowRun & { ms: number }> {
	await sync();
	const result = await execute(id);
	const [item] = outputOf(result.run, node);
	const binaryId = item?.binary?.data?.id;
	if (!binaryId)
		throw new Error(
			`${what}: no binary data id in the output (${JSON.stringify(item).slice(0, 500)})`,
		);
	const file = binaryFile(binaryId);
	await expectSize(file, expected.bytes, what);
	await expectSha(file, expected.sha, what);
	await clearBinaryStore();
	return { ...result, ms: nodeMs(result.run, node) };
}

/** One n8n upload: `remoteFile` is where the file lands on disk; `node` the node whose time counts. */
export async function n8nUpload(
	id: string,
	remoteFile: string,
	expected: { bytes: number; sha: string },
	what: string,
	node = 'Upload',
): Promise<WorkflowRun & { ms: number }> {
	await fsp.rm(remoteFile, { force: true });
	await sync();
	const result = await execute(id);
	await expectSize(remoteFile, expected.bytes, what);
	await expectSha(remoteFile, expected.sha, what);
	await fsp.rm(remoteFile, { force: true });
	await clearBinaryStore();
	return { ...result, ms: nodeMs(result.run, node) };
}

/** Whether n8n loads the packed node: this node downloads the 16 KiB file over plain FTP (see setUpN8n). */
export async function smokeTest(): Promise<void> {
	await n8nDownload(
		workflowId('DlTinyP'),
		{ bytes: TINY_BYTES, sha: tinySha },
		'smoke test: this node downloads 16 KiB in n8n',
	);
}

export const rise = (result: WorkflowRun, node: string): number | undefined => {
	const kib = rssRiseKiB(result, node);
	return kib === undefined ? undefined : kib2mib(kib);
};

/** What every n8n row reports of a run: the node's time, the process's wall time, its memory and when it peaked. */
export function n8nMeasured(run: WorkflowRun & { ms: number }, node: string, tiny?: WorkflowRun) {
	return {
		seconds: run.ms / 1000,
		wallSeconds: run.wallMs / 1000,
		peakRssMiB: kib2mib(run.peakRssKiB),
		tinyPeakRssMiB: tiny ? kib2mib(tiny.peakRssKiB) : undefined,
		riseMiB: rise(run, node),
		peakAt: peakPhase(run),
	};
}

export async function largeFile(): Promise<void> {
	const bigLocal = path.join(FILES, 'big.bin');
	const big = { bytes: BIG_BYTES, sha: bigSha };
	const tiny = { bytes: TINY_BYTES, sha: tinySha };
	for (const security of SECURITIES) {
		const s = security === 'plain' ? 'P' : 'T';
		const label = SECURITY_LABEL[security];

		// ---- download
		log(`${BIG_LABEL} download, ${label}`);
		await sync();
		let t = await runOrThrow(
			'curl',
			[...curlArgs(security), '-o', '/dev/null', ftpUrl(BIG_REMOTE)],
			'curl download to /dev/null',
		);
		largeRuns.push({
			direction: 'download',
			security,
			client: 'curl → /dev/null (information)',
			kind: 'curl-null',
			seconds: t.ms / 1000,
			verified: '–',
		});

		const curlFile = path.join(DL, 'curl.bin');
		await sync();
		t = await runOrThrow(
			'curl',
			[...curlArgs(security), '-o', curlFile, ftpUrl(BIG_REMOTE)],
			'curl download to disk',
		);
		largeRuns.push({
			direction: 'download',
			security,
			client: 'curl → disk (reference)',
			kind: 'curl-disk',
			seconds: t.ms / 1000,
			verified: await expectSize(curlFile, BIG_BYTES, 'curl download'),
		});
		await fsp.rm(curlFile, { force: true });

		const lftpFile = path.join(DL, 'lftp.bin');
		await sync();
		t = await lftp(security, `get ${BIG_REMOTE} -o ${lftpFile}`, 'lftp get');
		largeRuns.push({
			direction: 'download',
			security,
			client: 'lftp get → disk',
			kind: 'lftp',
			seconds: t.ms / 1000,
			verified: await expectSize(lftpFile, BIG_BYTES, 'lftp get'),
		});
		await fsp.rm(lftpFile, { force: true });

		const node = await n8nDownload(workflowId(`DlBig${s}`), big, `this node, download ${label}`);
		const nodeTiny = await n8nDownload(
			workflowId(`DlTiny${s}`),
			tiny,
			`this node, tiny download ${label}`,
		);
		largeRuns.push({
			direction: 'download',
			security,
			client: 'this node in n8n (Download node time)',
			kind: 'node',
			...n8nMeasured(node, 'Download', nodeTiny),
			verified: 'SHA-256 of the stored binary',
		});

		if (security === 'plain') {
			const builtin = await n8nDownload(workflowId('BiDlBig'), big, 'built-in FTP node, download');
			const builtinTiny = await n8nDownload(
				workflowId('BiDlTiny'),
				tiny,
				'built-in FTP node, tiny download',
			);
			largeRuns.push({
				direction: 'download',
				security,
				client: "n8n's built-in FTP node (node time)",
				kind: 'builtin',
				...n8nMeasured(builtin, 'Download', builtinTiny),
				verified: 'SHA-256 of the stored binary',
			});
		}

		// ---- upload
		log(`${BIG_LABEL} upload, ${label}`);
		const curlRemote = path.join(SRV, 'up', 'curl.bin');
		await sync();
		t = await runOrThrow(
			'curl',
			[...curlArgs(security), '-T', bigLocal, ftpUrl('/up/curl.bin')],
			'curl upload',
		);
		largeRuns.push({
			direction: 'upload',
			security,
			client: 'curl -T (reference)',
			kind: 'curl-disk',
			seconds: t.ms / 1000,
			verified: await expectSize(curlRemote, BIG_BYTES, 'curl upload'),
		});
		await fsp.rm(curlRemote, { force: true });

		const lftpRemote = path.join(SRV, 'up', 'lftp.bin');
		await sync();
		t = await lftp(security, `put ${bigLocal} -o /up/lftp.bin`, 'lftp put');
		largeRuns.push({
			direction: 'upload',
			security,
			client: 'lftp put',
			kind: 'lftp',
			seconds: t.ms / 1000,
			verified: await expectSize(lftpRemote, BIG_BYTES, 'lftp put'),
		});
		await fsp.rm(lftpRemote, { force: true });

		const up = await n8nUpload(
			workflowId(`UpBig${s}`),
			path.join(SRV, 'up', `node-${security}-big.bin`),
			big,
			`this node, upload ${label}`,
		);
		const upTiny = await n8nUpload(
			workflowId(`UpTiny${s}`),
			path.join(SRV, 'up', `node-${security}-tiny.bin`),
			tiny,
			`this node, tiny upload ${label}`,
		);
		largeRuns.push({
			direction: 'upload',
			security,
			client: 'this node in n8n (Upload node time)',
			kind: 'node',
			...n8nMeasured(up, 'Upload', upTiny),
			verified: 'SHA-256 of the file on the server',
		});

		if (security === 'plain') {
			const builtin = await n8nUpload(
				workflowId('BiUpBig'),
				path.join(SRV, 'up', 'builtin-big.bin'),
				big,
				'built-in FTP node, upload',
			);
			const builtinTiny = await n8nUpload(
				workflowId('BiUpTiny'),
				path.join(SRV, 'up', 'builtin-tiny.bin'),
				tiny,
				'built-in FTP node, tiny upload',
			);
			largeRuns.push({
				direction: 'upload',
				security,
				client: "n8n's built-in FTP node (node time)",
				kind: 'builtin',
				...n8nMeasured(builtin, 'Upload', builtinTiny),
				verified: 'SHA-256 of the file on the server',
			});
		}
	}
}

export async function verifyManyDownloads(
	run: RunJson,
	what: string,
	node = 'Download',
): Promise<string> {
	const items = outputOf(run, node);
	if (items.length !== SMALL_COUNT)
		throw new Error(`${what}: ${items.length} items, expected ${SMALL_COUNT}`);
	const seen = new Set<string>();
	for (const item of items) {
		const binary = item.binary?.data;
		if (!binary?.id)
			throw new Error(
				`${what}: an item without binary data: ${JSON.stringify(item).slice(0, 300)}`,
			);
		const data = await fsp.readFile(binaryFile(binary.id));
		const digest = sha256(data);
		const name = smallNames.get(digest);
		if (!name) throw new Error(`${what}: a stored binary matches no source file (${binary.id})`);
		seen.add(name);
	}
	if (seen.size !== SMALL_COUNT)
		throw new Error(`${what}: ${seen.size} distinct files, expected ${SMALL_COUNT}`);
	return 'SHA-256 of every stored binary';
}

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

/**
 * The many-small-files cases in interleaved rounds: the FTP cases (when `ftp`), then `afterRound` (the SFTP cases of
 * the same round, sftp.ts), so that every protocol's clients see the same machine state.
 */
export async function manySmallFiles(
	ftp: boolean,
	afterRound?: (round: number) => Promise<void>,
): Promise<void> {
	const rows = new Map<string, SmallRow>();
	const row = (security: Security, kind: SmallRow['kind'], client: string): SmallRow => {
		const key = `${security}/${kind}`;
		if (!rows.has(key)) {
			const created: SmallRow = {
				security,
				kind,
				client,
				runs: [],
				listRuns: [],
				wallRuns: [],
				peakRssMiB: [],
				verified: '',
			};
			rows.set(key, created);
			smallRows.push(created);
		}
		return rows.get(key)!;
	};
	// Interleaved rounds: every client sees the same machine state (page cache, background writeback).
	for (let round = 1; round <= REPEATS; round++) {
		for (const security of ftp ? SECURITIES : []) {
			const s = security === 'plain' ? 'P' : 'T';
			const label = SECURITY_LABEL[security];
			log(`${SMALL_COUNT} files, ${label}, round ${round} of ${REPEATS}`);
			for (const parallel of [8, 1]) {
				// lftp --parallel=1 is for information only; over FTPS it takes ~90 s, so it runs in the first round only.
				if (parallel === 1 && security === 'tls' && round > 1) continue;
				const target = path.join(DL, `lftp-many-${parallel}`);
				await emptyFolder(target);
				await sync();
				const t = await lftp(
					security,
					`mirror --parallel=${parallel} ${MANY_REMOTE} ${target}`,
					`lftp mirror --parallel=${parallel}`,
				);
				const r = row(
					security,
					parallel === 8 ? 'lftp8' : 'lftp1',
					`lftp mirror --parallel=${parallel}${parallel === 1 ? (security === 'tls' ? ' (information; first round only)' : ' (information)') : ''}`,
				);
				r.runs.push(t.ms / 1000);
				r.verified = await verifyManyFolder(target, `lftp mirror --parallel=${parallel}`);
				await fsp.rm(target, { recursive: true, force: true });
			}
			for (const concurrency of [1, 8]) {
				await sync();
				const result = await execute(workflowId(`Many${s}C${concurrency}`));
				const r = row(
					security,
					concurrency === 1 ? 'node1' : 'node8',
					`this node, List → Download, concurrency ${concurrency}`,
				);
				r.runs.push(nodeMs(result.run, 'List', 'Download') / 1000);
				r.listRuns!.push(nodeMs(result.run, 'List') / 1000);
				r.wallRuns!.push(result.wallMs / 1000);
				r.peakRssMiB!.push(kib2mib(result.peakRssKiB));
				r.verified = await verifyManyDownloads(
					result.run,
					`this node, concurrency ${concurrency}, ${label}`,
				);
				await clearBinaryStore();
			}
			if (security === 'plain') {
				await sync();
				const result = await execute(workflowId('BiMany'));
				const r = row(security, 'builtin', "n8n's built-in FTP node, List → Download");
				r.runs.push(nodeMs(result.run, 'List', 'Download') / 1000);
				r.listRuns!.push(nodeMs(result.run, 'List') / 1000);
				r.wallRuns!.push(result.wallMs / 1000);
				r.peakRssMiB!.push(kib2mib(result.peakRssKiB));
				r.verified = await verifyManyDownloads(result.run, "n8n's built-in FTP node");
				await clearBinaryStore();
			}
		}
		await afterRound?.(round);
	}
}
