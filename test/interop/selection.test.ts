/**
 * List's selection options against real servers: vsftpd (no MLSD: times from MDTM) and ProFTPD (MLSD) over explicit
 * FTPS, OpenSSH's internal-sftp and ProFTPD mod_sftp. Exclude, Min/Max Age, Min/Max Size, Done File (file and folder
 * markers, hidden or shown), Sort By and Return All / Limit, on the tree of test/helpers/selectionScenario.ts written
 * on disk with its sizes and modification times.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/selection`.
 */
import * as path from 'path';
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { writeAsUser, type InteropServerName } from '../helpers/interopServers';
import { useRealServers } from '../helpers/realServers';
import { credentialsFor, runWithLog } from '../helpers/nodeRun';
import {
	listOn,
	putSelectionTree,
	relativeOutput,
	SELECTED,
	SELECTED_WITH_MARKERS,
	SELECTION_OPTIONS,
	type WriteOnServer,
} from '../helpers/selectionScenario';
import {
	sftpCredentialsFor,
	writeAsSftpUser,
	type SftpInteropInstanceName,
} from '../helpers/sftpInteropServers';

const servers = useRealServers();

interface Target {
	credentials: ICredentialDataDecryptedObject;
	protocol: 'ftp' | 'sftp';
	/** The scenario's folder as the client sees it. */
	folder: string;
	write: WriteOnServer;
}

function ftpTarget(name: InteropServerName): Target {
	const server = servers.ftp(name);
	return {
		credentials: credentialsFor(server, 'explicit'),
		protocol: 'ftp',
		folder: '/sel',
		write: async (remotePath, content) => await writeAsUser(server, remotePath, content),
	};
}

function sftpTarget(name: SftpInteropInstanceName): Target {
	const instance = servers.sftp(name);
	return {
		credentials: sftpCredentialsFor(instance),
		protocol: 'sftp',
		folder: path.posix.join(instance.homeDirectory, 'sel'),
		write: async (remotePath, content) => await writeAsSftpUser(instance, remotePath, content),
	};
}

/** The files whose time List may ask with MDTM under SELECTION_OPTIONS: those the rules can select. */
const TIMES_OF_SELECTABLE = [
	'big.csv',
	'empty.csv',
	'new.csv',
	'nomarker.csv',
	'old.csv',
	'stale.csv',
	'sub/a.csv',
	'sub/sub.csv',
];

describe.each([
	// No MLSD: every time comes from MDTM, asked only for files the rules can select.
	{ name: 'vsftpd', target: () => ftpTarget('vsftpd-explicit'), mdtm: TIMES_OF_SELECTABLE },
	// MLSD gives every time in the listing: no MDTM at all.
	{ name: 'ProFTPD', target: () => ftpTarget('proftpd-explicit'), mdtm: [] },
	{ name: 'OpenSSH', target: () => sftpTarget('openssh'), mdtm: undefined },
	{ name: 'ProFTPD mod_sftp', target: () => sftpTarget('proftpd-sftp'), mdtm: undefined },
])('$name', ({ target: targetOf, mdtm }) => {
	let target: Target;

	let list: ReturnType<typeof listOn>;
	const relative = (output: INodeExecutionData[]) => relativeOutput(output, target.folder);
	const sortedPaths = (output: INodeExecutionData[]) =>
		relative(output)
			.map((entry) => entry.path)
			.sort();

	beforeAll(async () => {
		target = targetOf();
		list = listOn(target.credentials, target.protocol);
		await putSelectionTree(target.folder, target.write);
	});

	it('Exclude, age, size and Done File select exactly the released files, each naming its marker', async () => {
		const output = await list({ path: target.folder, options: SELECTION_OPTIONS });
		expect(sortedPaths(output)).toEqual(SELECTED);
		expect(
			relative(output)
				.map(({ path: file, doneFile }) => [file, doneFile])
				.sort(),
		).toEqual([
			['big.csv', 'big.csv.done'],
			['old.csv', 'old.csv.done'],
			['sub/a.csv', 'sub/a.csv.done'],
		]);
		// The server's modification times were read (an unknown one would have been left out by Min Age).
		for (const item of output) expect(typeof item.json.modifiedAt).toBe('string');
	});

	if (mdtm !== undefined) {
		it('asks no time of hidden markers nor of what Exclude leaves out', async () => {
			const { output, log } = await runWithLog(target.credentials, {
				operation: 'list',
				path: target.folder,
				options: SELECTION_OPTIONS,
			});
			expect(sortedPaths(output)).toEqual(SELECTED);
			const asked = [...log.matchAll(/MDTM (\/\S+)/g)].map((match) =>
				path.posix.relative(target.folder, match[1]),
			);
			expect(asked.sort()).toEqual(mdtm);
		});
	}

	it('Hide Done Files off shows every marker, released or not', async () => {
		const output = await list({
			path: target.folder,
			options: { ...SELECTION_OPTIONS, hideDoneFiles: false },
		});
		expect(sortedPaths(output)).toEqual(SELECTED_WITH_MARKERS);
	});

	it('a folder marker releases its folder only; Filter does not hide the marker from the rule', async () => {
		const output = await list({
			path: target.folder,
			options: { recursive: true, include: 'files', filter: '*/*.csv', doneFile: '_SUCCESS' },
		});
		expect(relative(output).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
			{ path: 'batch/x.csv', doneFile: 'batch/_SUCCESS', size: 10 },
			{ path: 'batch/y.csv', doneFile: 'batch/_SUCCESS', size: 20 },
		]);
	});

	it('Sort By and Limit: the largest two, the oldest first, by name in version 2', async () => {
		const largest = await list({
			path: target.folder,
			returnAll: false,
			limit: 2,
			options: { ...SELECTION_OPTIONS, sortBy: 'size', sortDirection: 'descending' },
		});
		expect(relative(largest).map((entry) => [entry.path, entry.size])).toEqual([
			['big.csv', 5000],
			['old.csv', 200],
		]);

		const oldestFirst = await list({
			path: target.folder,
			options: { ...SELECTION_OPTIONS, sortBy: 'modifiedAt' },
		});
		expect(relative(oldestFirst).map((entry) => entry.path)).toEqual([
			'big.csv',
			'old.csv',
			'sub/a.csv',
		]);

		const byName = await list(
			{
				folder: target.folder,
				returnAll: false,
				limit: 1,
				options: { ...SELECTION_OPTIONS, sortBy: 'name', sortDirection: 'descending' },
			},
			2,
		);
		expect(relative(byName).map((entry) => entry.path)).toEqual(['old.csv']);
	});

	it('without the new options, every entry is listed as before', async () => {
		const output = await list({ path: target.folder, options: { recursive: true } });
		expect(output).toHaveLength(25);
		expect(output.every((item) => !('doneFile' in item.json))).toBe(true);
	});
});
