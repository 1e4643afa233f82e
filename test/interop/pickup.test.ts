/**
 * Pickup (Claim Folder, After Failure, Delete Done File, modifiedAt) through n8n's real execution context against
 * real servers on loopback: vsftpd (plain FTP, scripts/ftp-servers.sh) and OpenSSH's sshd (internal-sftp,
 * scripts/sftp-servers.sh). The scenarios are those of test/helpers/pickupScenarios.ts; the servers run as the test
 * user, so the poison file is one the server may not read (mode 000), and also one too large for n8n's store.
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/pickup`.
 */
import * as path from 'path';

import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import {
	onDisk,
	startSpecialServers,
	writeAsUser,
	type SpecialServer,
	type SpecialServers,
} from '../helpers/interopServers';
import { credentialsFor } from '../helpers/nodeRun';
import {
	claimNeverReplaces,
	claimThenAfterDownload,
	concurrentClaims,
	doneFilesDeleted,
	modifiedAtOfServer,
	poisonFileMovedAside,
	type PickupTarget,
} from '../helpers/pickupScenarios';
import {
	sftpCredentialsFor,
	sftpOnDisk,
	startSftpInteropServers,
	writeAsSftpUser,
	type SftpInteropInstance,
	type SftpInteropServers,
} from '../helpers/sftpInteropServers';

let ftpRun: SpecialServers;
let sftpRun: SftpInteropServers;

beforeAll(async () => {
	await initBinaryData();
	ftpRun = await startSpecialServers(['vsftpd-plain-only']);
	sftpRun = await startSftpInteropServers();
}, 240_000);

afterAll(async () => {
	await ftpRun?.stop();
	await sftpRun?.stop();
	await cleanupBinaryData();
}, 60_000);

const vsftpd = (): SpecialServer => ftpRun.get('vsftpd-plain-only');
const openssh = (): SftpInteropInstance => sftpRun.get('openssh');

const vsftpdTarget: PickupTarget = {
	name: 'vsftpd',
	credentials: () => credentialsFor(vsftpd(), 'none'),
	parameters: {},
	remote: (relative) => path.posix.join('/', relative),
	disk: (relative) => onDisk(vsftpd(), `/${relative}`),
	write: async (relative, content) => {
		await writeAsUser(vsftpd(), `/${relative}`, content);
	},
	poison: 'unreadable',
	unreadableCause: /Failed to open file/,
};

const opensshTarget: PickupTarget = {
	name: 'OpenSSH',
	credentials: () => sftpCredentialsFor(openssh()),
	parameters: { protocol: 'sftp' },
	remote: (relative) => path.posix.join(openssh().homeDirectory, relative),
	disk: (relative) => sftpOnDisk(openssh(), relative),
	write: async (relative, content) => {
		await writeAsSftpUser(openssh(), relative, content);
	},
	poison: 'unreadable',
	unreadableCause: /[Pp]ermission denied/,
};

let folderCounter = 0;
const freshFolder = (what: string) => `pickup-${what}-${++folderCounter}`;

describe.each([vsftpdTarget, opensshTarget])('$name', (target) => {
	it('claims, then deletes or moves the claimed file', async () => {
		await claimThenAfterDownload(target, freshFolder('claim'));
	});

	it('never replaces a file of the same name in the claim folder', async () => {
		await claimNeverReplaces(target, freshFolder('same-name'));
	});

	it('two executions at once download each of 24 files exactly once', async () => {
		await concurrentClaims(target, freshFolder('concurrent'));
	});

	it('moves a file the server may not read aside and processes the others', async () => {
		await poisonFileMovedAside(target, freshFolder('unreadable'));
	});

	it('moves a file too large for n8n’s store aside and processes the others', async () => {
		await poisonFileMovedAside({ ...target, poison: 'tooLarge' }, freshFolder('large'));
	});

	it('deletes per-file and folder Done Files', async () => {
		await doneFilesDeleted(target, freshFolder('done'));
	});

	it("outputs the server's modification time", async () => {
		await modifiedAtOfServer(target, freshFolder('time'));
	});
});
