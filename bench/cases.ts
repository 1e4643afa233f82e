/**
 * What one measurement is, and the measurements inside n8n: n8n's own ceiling (Read/Write Files from Disk moving the
 * same bytes between the local disk and n8n's binary store), this node and n8n's built-in FTP node, for each workload
 * and protocol. Each is one `n8n execute` process; its time is the node's `executionTime` from n8n's run data.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import type { RunJson } from '../tools/n8n';
import { PARALLEL, log, type Protocol } from './config';
import {
	LOCAL,
	REMOTE,
	expected,
	expectSha,
	freshUploadFolder,
	remotePath,
	serverFile,
	verifyManyFolder,
	verifyManyStored,
	verifyStored,
	type Expected,
} from './data';
import {
	clearBinaryStore,
	credentialRef,
	execute,
	nodeMs,
	peakPhase,
	rssRiseKiB,
	workflowId,
	type WorkflowSpec,
} from './n8nRuns';
import { emptyFolder } from './processes';
import { fmt, kib2mib } from './results';

export type Workload = 'bigDown' | 'bigUp' | 'manyDown' | 'manyUp';
export const WORKLOADS: Workload[] = ['bigDown', 'bigUp', 'manyDown', 'manyUp'];
export type Role = 'ceiling' | 'node' | 'builtin' | 'reference' | 'information';

/** One measurement of one case. */
export interface Sample {
	seconds: number;
	/** n8n rows: the whole `n8n execute` process (start-up, the other nodes). */
	wallSeconds?: number;
	/** List → Download rows: the List node's share. */
	listSeconds?: number;
	/** n8n rows: the process's peak RSS, and that of the same workflow on the 16 KiB file right after (1 GiB rows). */
	peakRssMiB?: number;
	baselineRssMiB?: number;
	/** The VmRSS rise while the measured node ran (a cross-check of the baseline comparison). */
	riseMiB?: number;
	peakAt?: string;
	verified: string;
}

export interface Case {
	key: string;
	workload: Workload;
	protocol: Protocol;
	role: Role;
	client: string;
	/** Why it runs in the first round only (a reference that takes minutes), if it does. */
	firstRoundOnly?: string;
	run(): Promise<Sample>;
}

const CREDENTIAL = {
	node: { ftp: 'plain', ftps: 'tls', sftp: 'sftp' },
	builtin: { ftp: 'builtin', sftp: 'builtinSftp' },
} as const;
const CODE: Record<Protocol, string> = { local: 'L', ftp: 'P', ftps: 'T', sftp: 'S' };

/** The workflows the cases run; imported into n8n by setUpN8n. */
export const workflowSpecs: WorkflowSpec[] = [];

function workflow(name: string, template: string, placeholders: Record<string, unknown>): string {
	const id = workflowId(name);
	workflowSpecs.push({ id, template, placeholders });
	return id;
}

/** One measured `n8n execute`: its time is the sum of `timed` nodes' executionTime; `check` verifies what arrived. */
async function measure(
	id: string,
	timed: string[],
	check: (run: RunJson) => Promise<string>,
): Promise<Sample> {
	const result = await execute(id);
	const verified = await check(result.run);
	await clearBinaryStore();
	const rise = rssRiseKiB(result, timed.at(-1)!);
	return {
		seconds: nodeMs(result.run, ...timed) / 1000,
		wallSeconds: result.wallMs / 1000,
		listSeconds: timed.includes('List') ? nodeMs(result.run, 'List') / 1000 : undefined,
		peakRssMiB: kib2mib(result.peakRssKiB),
		riseMiB: rise === undefined ? undefined : kib2mib(rise),
		peakAt: peakPhase(result),
		verified,
	};
}

/** The same workflow on the 16 KiB file, right after: the peak RSS a 1 GiB run is compared with. */
async function withBaseline(sample: Sample, tinyRun: () => Promise<Sample>): Promise<Sample> {
	const tiny = await tinyRun();
	return { ...sample, baselineRssMiB: tiny.peakRssMiB };
}

function downloadOne(
	id: string,
	node: string,
	want: Expected,
	what: string,
): () => Promise<Sample> {
	return async () =>
		await measure(id, [node], async (run) => await verifyStored(run, node, want, what));
}

/** An upload of one file that lands in `landed` (a local path); removed afterwards so every round starts alike. */
function uploadOne(id: string, node: string, landed: string, want: Expected, what: string) {
	return async (): Promise<Sample> => {
		await fsp.rm(landed, { force: true });
		const sample = await measure(id, [node], async () => await expectSha(landed, want, what));
		await fsp.rm(landed, { force: true });
		return { ...sample, verified: `${sample.verified} of the file written` };
	};
}

function manyUp(id: string, node: string, folder: string, what: string) {
	return async (): Promise<Sample> => {
		await freshUploadFolder(folder);
		const sample = await measure(id, [node], async () => await verifyManyFolder(folder, what));
		await emptyFolder(folder);
		return sample;
	};
}

function ceilingCases(): Case[] {
	const base = { protocol: 'local' as const, role: 'ceiling' as const };
	const manyOut = path.join(LOCAL.out, 'many');
	const manyDownId = workflow('CDmL', 'ceiling-read.json', {
		__LOCAL_FILE__: path.join(LOCAL.many, '*.bin'),
	});
	const manyUpId = workflow('CUmL', 'ceiling-write.json', {
		__LOCAL_FILE__: path.join(LOCAL.many, '*.bin'),
		__OUTPUT_FILE__: `={{ ${JSON.stringify(manyOut + '/')} + $binary.data.fileName }}`,
	});
	return [
		{
			...base,
			key: 'bigDown/ceiling',
			workload: 'bigDown',
			client: "n8n's ceiling: Read/Write Files from Disk reads the same file into the binary store",
			run: downloadOne(
				workflow('CDbL', 'ceiling-read.json', { __LOCAL_FILE__: LOCAL.big }),
				'Read File',
				expected.big,
				'ceiling read',
			),
		},
		{
			...base,
			key: 'bigUp/ceiling',
			workload: 'bigUp',
			client:
				"n8n's ceiling: Read/Write Files from Disk writes it from the binary store to a local file",
			run: uploadOne(
				workflow('CUbL', 'ceiling-write.json', {
					__LOCAL_FILE__: LOCAL.big,
					__OUTPUT_FILE__: path.join(LOCAL.out, 'big.bin'),
				}),
				'Write File',
				path.join(LOCAL.out, 'big.bin'),
				expected.big,
				'ceiling write',
			),
		},
		{
			...base,
			key: 'manyDown/ceiling',
			workload: 'manyDown',
			client:
				"n8n's ceiling: Read/Write Files from Disk reads the same files into the binary store",
			run: async () =>
				await measure(
					manyDownId,
					['Read File'],
					async (run) => await verifyManyStored(run, 'Read File', 'ceiling read, many'),
				),
		},
		{
			...base,
			key: 'manyUp/ceiling',
			workload: 'manyUp',
			client:
				"n8n's ceiling: Read/Write Files from Disk writes them from the binary store to local files",
			run: async () => {
				await emptyFolder(manyOut);
				const sample = await measure(
					manyUpId,
					['Write File'],
					async () => await verifyManyFolder(manyOut, 'ceiling write, many'),
				);
				await emptyFolder(manyOut);
				return sample;
			},
		},
	];
}

/** This node (`role` node) or n8n's built-in FTP node (`builtin`: plain FTP and SFTP only) over `protocol`. */
function n8nNodeCases(role: 'node' | 'builtin', protocol: 'ftp' | 'ftps' | 'sftp'): Case[] {
	if (role === 'builtin' && protocol === 'ftps') return [];
	const credentials =
		role === 'node'
			? credentialRef(CREDENTIAL.node[protocol])
			: credentialRef(CREDENTIAL.builtin[protocol as 'ftp' | 'sftp']);
	const common = {
		__CREDENTIALS__: credentials,
		__PROTOCOL__: protocol === 'sftp' ? 'sftp' : 'ftp',
	};
	const prefix = role === 'node' ? 'N' : 'B';
	const template = (name: string) => (role === 'node' ? name : `builtin-${name}`);
	const who = role === 'node' ? 'this node' : "n8n's built-in FTP node";
	const name = (workload: string) => `${prefix}${workload}${CODE[protocol]}`;
	const upFile = (size: 'big' | 'tiny') => `${REMOTE.up}/${role}-${protocol}-${size}.bin`;
	const upMany = `${REMOTE.up}/many-${role}-${protocol}`;
	// n8n's built-in node in SFTP mode needs 70 s for a 1 GiB download and 10 minutes for the upload (one 64 KiB write
	// at a time): a reference, not a target, so once is enough.
	const slow =
		role === 'builtin' && protocol === 'sftp'
			? 'the built-in SFTP mode needs minutes per 1 GiB'
			: undefined;

	const download = (size: 'big' | 'tiny') =>
		downloadOne(
			workflow(name(size === 'big' ? 'Db' : 'Dt'), template('download.json'), {
				...common,
				__REMOTE_PATH__: remotePath(protocol, REMOTE[size]),
			}),
			'Download',
			expected[size],
			`${who}, ${protocol} download (${size})`,
		);
	const upload = (size: 'big' | 'tiny') =>
		uploadOne(
			workflow(name(size === 'big' ? 'Ub' : 'Ut'), template('upload.json'), {
				...common,
				__REMOTE_PATH__: remotePath(protocol, upFile(size)),
				__LOCAL_FILE__: LOCAL[size],
				__CONCURRENCY__: 1,
			}),
			'Upload',
			serverFile(upFile(size)),
			expected[size],
			`${who}, ${protocol} upload (${size})`,
		);
	const bigDown = download('big');
	const tinyDown = download('tiny');
	const bigUp = upload('big');
	const tinyUp = upload('tiny');
	const manyDownId = workflow(name('Dm'), template('list-download.json'), {
		...common,
		__REMOTE_PATH__: remotePath(protocol, REMOTE.many),
		__CONCURRENCY__: PARALLEL,
	});
	const manyUpId = workflow(name('Um'), template('upload.json'), {
		...common,
		__REMOTE_PATH__: `=${remotePath(protocol, upMany)}/{{ $binary.data.fileName }}`,
		__LOCAL_FILE__: path.join(LOCAL.many, '*.bin'),
		__CONCURRENCY__: PARALLEL,
	});
	const label = role === 'node' ? 'this node in n8n' : "n8n's built-in FTP node";
	const base = { protocol, role };
	return [
		{
			...base,
			key: `bigDown/${role}/${protocol}`,
			workload: 'bigDown',
			client: `${label}, Download`,
			firstRoundOnly: slow,
			run: async () => await withBaseline(await bigDown(), tinyDown),
		},
		// BENCH_SFTP_BUILTIN_UPLOAD=off leaves out the built-in node's 10-minute SFTP upload.
		...(slow && process.env.BENCH_SFTP_BUILTIN_UPLOAD === 'off'
			? []
			: [
					{
						...base,
						key: `bigUp/${role}/${protocol}`,
						workload: 'bigUp' as const,
						client: `${label}, Upload`,
						firstRoundOnly: slow,
						run: async () => await withBaseline(await bigUp(), tinyUp),
					},
				]),
		{
			...base,
			key: `manyDown/${role}/${protocol}`,
			workload: 'manyDown',
			client: `${label}, List → Download${role === 'node' ? `, Concurrency ${PARALLEL}` : ''}`,
			run: async () =>
				await measure(
					manyDownId,
					['List', 'Download'],
					async (run) => await verifyManyStored(run, 'Download', `${who}, ${protocol} many`),
				),
		},
		{
			...base,
			key: `manyUp/${role}/${protocol}`,
			workload: 'manyUp',
			client: `${label}, Upload${role === 'node' ? `, Concurrency ${PARALLEL}` : ''}`,
			run: manyUp(manyUpId, 'Upload', serverFile(upMany), `${who}, ${protocol} many upload`),
		},
	];
}

/** Every n8n case for the protocols asked for. */
export function n8nCases(protocols: Array<'ftp' | 'ftps' | 'sftp'>): Case[] {
	return [
		...ceilingCases(),
		...protocols.flatMap((protocol) => n8nNodeCases('node', protocol)),
		...protocols.flatMap((protocol) => n8nNodeCases('builtin', protocol)),
	];
}

/** Whether n8n loads the packed node: this node downloads the 16 KiB file over `protocol` (see setUpN8n). */
export async function smokeTest(protocol: 'ftp' | 'ftps' | 'sftp'): Promise<void> {
	const id = workflowId(`NDt${CODE[protocol]}`);
	const sample = await measure(id, ['Download'], async (run) =>
		verifyStored(run, 'Download', expected.tiny, 'smoke test: this node downloads 16 KiB in n8n'),
	);
	log(`smoke test: 16 KiB in ${fmt(sample.seconds, 3)} s`);
}
