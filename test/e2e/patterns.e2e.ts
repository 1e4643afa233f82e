/**
 * The issue-17 patterns executed by a real n8n: the workflows test/e2e/workflows/pattern-*.json run headless
 * (`n8n execute --id`) against vsftpd (explicit FTPS) and the suite's in-process SFTP server, so that n8n's own
 * parameter resolution (options collections, expressions), its binary data store and its error outputs carry the new
 * options. Asserted on the servers' disks (bytes, markers, folders, modification times) and in the run output.
 * The servers, the user folder and the credentials are the e2e suite's (versions/suite.ts); PostgreSQL is not needed.
 * Runs on every tested n8n version (the workflows use node version 3, which the packed package brings along).
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { onDisk, writeAsUser } from '../helpers/interopServers';
import { outputOf, type ItemJson } from '../../tools/n8n';
import { versionProfile } from './versions/profiles';
import { e2e, execute, setUp, sha256, sha256OfFile, tearDown } from './versions/suite';

const profile = versionProfile();

/** A file on the SFTP server's disk (the folder it serves as "/"). */
const onSftpDisk = (remote: string) => path.join(e2e.sftp.root, ...remote.split('/'));
const writeOnSftp = async (remote: string, content: string | Buffer) => {
	await fsp.mkdir(path.dirname(onSftpDisk(remote)), { recursive: true });
	await fsp.writeFile(onSftpDisk(remote), content);
};
const byPath = (items: ItemJson[]) =>
	[...items].sort((x, y) => String(x.json.path).localeCompare(String(y.json.path)));
/** Whole seconds since the epoch of a file's modification time on disk. */
const mtimeSeconds = async (file: string) => Math.floor((await fsp.stat(file)).mtimeMs / 1000);

console.log(`patterns e2e: ${profile.summary}`);
// The patterns need vsftpd and the SFTP server; the core subset's set-up is exactly that (no PostgreSQL).
beforeAll(async () => await setUp({ ...profile, subset: 'core' }), 35 * 60_000);
afterAll(tearDown);

describe('Done File + Exclude (List) → Claim Folder, After Download move, Delete Done File (Download) over FTPS', () => {
	it('emits the rows of the released files only; they end in /archive with their bytes, markers gone, the rest untouched', async () => {
		const released: Record<string, string> = {
			'/pickup/a.csv': 'id,item\n1,apple\n2,apricot\n',
			'/pickup/c.csv': 'id,item\n3,cherry\n',
		};
		const untouched: Record<string, string> = {
			'/pickup/b.csv': 'id,item\n9,no marker yet\n',
			'/pickup/x.tmp': 'a partial upload\n',
			// Released by its marker but left out by Exclude (`~*`), with its marker.
			'/pickup/~d.csv': 'id,item\n8,excluded\n',
			'/pickup/~d.csv.done': '',
		};
		for (const [remote, content] of Object.entries({ ...released, ...untouched }))
			await writeAsUser(e2e.explicit, remote, content);
		for (const remote of Object.keys(released))
			await writeAsUser(e2e.explicit, `${remote}.done`, '');

		const { run } = await execute('e2ePatternDone01');

		const listed = byPath(outputOf(run!, 'List Released Files')).map((item) => item.json);
		expect(listed.map((entry) => [entry.path, entry.doneFile])).toEqual([
			['/pickup/a.csv', '/pickup/a.csv.done'],
			['/pickup/c.csv', '/pickup/c.csv.done'],
		]);
		const downloads = byPath(outputOf(run!, 'Claim, Download and Archive'));
		expect(downloads.map((item) => item.json)).toEqual(
			Object.entries(released).map(([remote, content]) => ({
				path: remote,
				claimed: true,
				claimedPath: `/pickup/.processing/${path.posix.basename(remote)}`,
				size: Buffer.byteLength(content),
				modifiedAt: expect.any(String),
				movedTo: `/archive/${path.posix.basename(remote)}`,
				doneFileDeleted: `${remote}.done`,
			})),
		);
		for (const item of downloads)
			expect(await sha256OfFile(e2e.n8n.binaryFile(item.binary!.data.id!))).toBe(
				sha256(released[item.json.path as string]),
			);
		const rows = outputOf(run!, 'Extract CSV').map((item) => item.json);
		expect(rows.sort((x, y) => String(x.id).localeCompare(String(y.id)))).toEqual([
			{ id: '1', item: 'apple' },
			{ id: '2', item: 'apricot' },
			{ id: '3', item: 'cherry' },
		]);

		for (const [remote, content] of Object.entries(released)) {
			const name = path.posix.basename(remote);
			expect(await sha256OfFile(onDisk(e2e.explicit, `/archive/${name}`))).toBe(sha256(content));
			await expect(fsp.stat(onDisk(e2e.explicit, remote))).rejects.toThrow();
			await expect(fsp.stat(onDisk(e2e.explicit, `${remote}.done`))).rejects.toThrow();
		}
		for (const [remote, content] of Object.entries(untouched))
			expect(await fsp.readFile(onDisk(e2e.explicit, remote), 'utf8')).toBe(content);
		expect((await fsp.readdir(onDisk(e2e.explicit, '/pickup/.processing'))).sort()).toEqual([]);
		expect((await fsp.readdir(onDisk(e2e.explicit, '/pickup'))).sort()).toEqual(
			[
				'.processing',
				...Object.keys(untouched).map((remote) => path.posix.basename(remote)),
			].sort(),
		);
	});
});

describe('Verify Checksum over SFTP with a sidecar (the in-process server, like OpenSSH, has no check-file)', () => {
	it('a verified file carries the SHA-256 of its bytes; a wrong sidecar fails its item naming both hashes and moves it to the failed folder', async () => {
		const good = 'id,item\n1,verified\n';
		const bad = 'id,item\n2,corrupted on the way\n';
		const claimed = sha256('id,item\n2,what the sender hashed\n');
		await writeOnSftp('/checked/good.csv', good);
		await writeOnSftp('/checked/good.csv.sha256', `${sha256(good)}  good.csv\n`);
		await writeOnSftp('/checked/bad.csv', bad);
		await writeOnSftp('/checked/bad.csv.sha256', `${claimed}\n`);

		const { run } = await execute('e2ePatternSum001');

		const verified = outputOf(run!, 'Verified Download', 0);
		expect(verified.map((item) => item.json)).toEqual([
			{
				path: '/checked/good.csv',
				size: Buffer.byteLength(good),
				checksum: sha256(good),
				checksumAlgorithm: 'sha256',
				checksumVerified: true,
				modifiedAt: expect.any(String),
			},
		]);
		expect(await sha256OfFile(e2e.n8n.binaryFile(verified[0].binary!.data.id!))).toBe(sha256(good));
		expect(outputOf(run!, 'Extract CSV').map((item) => item.json)).toEqual([
			{ id: '1', item: 'verified' },
		]);

		const failed = outputOf(run!, 'Failed Downloads');
		expect(failed).toHaveLength(1);
		expect(failed[0].binary).toBeUndefined();
		// Both hashes, where the expected one came from, and where the file went.
		expect(String(failed[0].json.error)).toBe(
			`The SHA256 checksum of "/checked/bad.csv" does not match: the downloaded bytes hash to ${sha256(bad)}, ` +
				`its sidecar file says ${claimed}. The file was moved to "/checked/failed/bad.csv" (After Failure), ` +
				'so that it does not block later runs',
		);
		expect(outputOf(run!, 'Verified Download', 1).map((item) => item.json.error)).toEqual([
			failed[0].json.error,
		]);

		await expect(fsp.stat(onSftpDisk('/checked/bad.csv'))).rejects.toThrow();
		expect(await fsp.readFile(onSftpDisk('/checked/failed/bad.csv'), 'utf8')).toBe(bad);
		expect(await fsp.readFile(onSftpDisk('/checked/good.csv'), 'utf8')).toBe(good);
	});
});

describe('Upload with Preserve Modification Time, fed by an FTPS Download', () => {
	it("the SFTP copy gets the original's time (the item's modifiedAt), the FTPS copy the time of an expression", async () => {
		const content = 'day,total\n2024-03-15,42\n';
		const original = await writeAsUser(e2e.explicit, '/times/report.csv', content);
		const kept = Date.parse('2024-03-15T10:20:30Z') / 1000;
		await fsp.utimes(original, kept, kept);

		const { run } = await execute('e2ePatternTime01');

		const [download] = outputOf(run!, 'Download Report');
		expect(Date.parse(String(download.json.modifiedAt)) / 1000).toBe(kept);
		const toSftp = outputOf(run!, 'Upload To SFTP (Time Kept)').map((item) => item.json);
		expect(toSftp).toEqual([
			{
				path: '/kept/report.csv',
				size: Buffer.byteLength(content),
				modifiedAt: expect.any(String),
			},
		]);
		expect(Date.parse(String(toSftp[0].modifiedAt)) / 1000).toBe(kept);
		expect(await sha256OfFile(onSftpDisk('/kept/report.csv'))).toBe(sha256(content));
		expect(await mtimeSeconds(onSftpDisk('/kept/report.csv'))).toBe(await mtimeSeconds(original));

		const dayEarlier = kept - 24 * 3600;
		const toFtps = outputOf(run!, 'Upload To FTPS (A Day Earlier)').map((item) => item.json);
		expect(toFtps).toHaveLength(1);
		expect(Date.parse(String(toFtps[0].modifiedAt)) / 1000).toBe(dayEarlier);
		expect(await sha256OfFile(onDisk(e2e.explicit, '/kept/report.csv'))).toBe(sha256(content));
		expect(await mtimeSeconds(onDisk(e2e.explicit, '/kept/report.csv'))).toBe(dayEarlier);
		// The original keeps its time (the download changed nothing).
		expect(await mtimeSeconds(original)).toBe(kept);
	});
});
