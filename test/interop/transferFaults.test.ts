/**
 * The transfer engine's fault tests (test/helpers/transferFaultScenarios.ts) against Debian's vsftpd 3.0.3 in plain
 * FTP, through a fault-injecting proxy on loopback: resume with REST, retry limits, clean-up of temporary uploads, no
 * partial file under the target name. Needs root (see test/interop/README.md).
 */
import { cleanupBinaryData, initBinaryData } from '../../tools/n8nHarness';
import {
	onDisk,
	startInteropServers,
	writeAsUser,
	type InteropServer,
	type InteropServers,
} from '../helpers/interopServers';
import { describeTransferFaults } from '../helpers/transferFaultScenarios';

let run: InteropServers;
let vsftpd: InteropServer;

beforeAll(async () => {
	await initBinaryData();
	run = await startInteropServers();
	const found = run.servers.find((server) => server.name === 'vsftpd-explicit');
	if (!found?.tlsAllowsPlain)
		throw new Error('vsftpd-explicit (plain FTP allowed) is not in servers.json');
	vsftpd = found;
}, 120_000);

afterAll(async () => {
	await run?.stop();
	await cleanupBinaryData();
}, 60_000);

describeTransferFaults('vsftpd', () => ({
	...vsftpd,
	onDisk: (remotePath) => onDisk(vsftpd, remotePath),
	put: async (remotePath, content) => {
		await writeAsUser(vsftpd, remotePath, content);
	},
}));
