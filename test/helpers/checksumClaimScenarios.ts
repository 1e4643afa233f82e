/**
 * Verify Checksum together with Claim Folder on servers that vouch for a file only with a sidecar beside it: the
 * sidecar stays in the folder the file was listed in while the claim moves the file, so the node must read it before
 * claiming; and a server that cannot verify must fail before the claim moves anything.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';

import { hashOf, type ChecksumTarget } from './checksumNodeScenarios';
import { runFtpNode } from './nodeRun';

let folderCounter = 0;
const freshFolder = (what: string) => `checksum-claim-${process.pid}-${what}-${++folderCounter}`;

const namesIn = async (folder: string): Promise<string[]> =>
	(await fsp.readdir(folder).catch(() => [] as string[])).sort();

async function claimAndVerify(target: ChecksumTarget, folder: string, name: string) {
	return await runFtpNode(
		target.credentials(),
		{
			...(target.protocol === 'sftp' ? { protocol: 'sftp' } : {}),
			operation: 'download',
			path: target.remote(`${folder}/${name}`),
			binaryPropertyName: 'data',
			options: { verifyChecksum: true, claimFolder: target.remote(`${folder}/.processing`) },
		},
		{ typeVersion: 2, continueOnFail: true },
	);
}

/** Registers, in the calling describe block, the claim tests of a server that hashes nothing. */
export function claimWithSidecarScenarios(target: ChecksumTarget): void {
	it('Claim Folder + Verify Checksum: the sidecar beside the listed file verifies the claimed file', async () => {
		const folder = freshFolder('claimed');
		const bytes = randomBytes(50_000);
		await target.write(`${folder}/orders.bin`, bytes);
		await target.write(`${folder}/orders.bin.sha256`, `${hashOf('sha256', bytes)}  orders.bin\n`);

		const [item] = await claimAndVerify(target, folder, 'orders.bin');

		expect(item.json).toMatchObject({
			claimed: true,
			claimedPath: target.remote(`${folder}/.processing/orders.bin`),
			checksum: hashOf('sha256', bytes),
			checksumAlgorithm: 'sha256',
			checksumVerified: true,
		});
		expect(await namesIn(target.disk(`${folder}/.processing`))).toEqual(['orders.bin']);
		expect(await namesIn(target.disk(folder))).toEqual(['.processing', 'orders.bin.sha256']);
	});

	it('Claim Folder + Verify Checksum without a sidecar: "cannot compute checksums" before anything is claimed', async () => {
		const folder = freshFolder('unclaimed');
		await target.write(`${folder}/plain.bin`, randomBytes(1_000));

		const [item] = await claimAndVerify(target, folder, 'plain.bin');

		expect(String(item.json.error)).toContain('The server cannot compute checksums');
		expect(item.binary).toBeUndefined();
		expect(await namesIn(target.disk(folder))).toEqual(['plain.bin']);
	});
}
