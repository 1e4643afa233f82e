/**
 * Verify Checksum through the node and the trigger (test/helpers/checksumNodeScenarios.ts) against real servers on
 * loopback: ProFTPD with mod_digest (HASH; explicit TLS) and ProFTPD mod_sftp (check-file) vouch for a file with
 * their own hash; vsftpd and OpenSSH's internal-sftp compute none, so a sidecar beside the file does (NAME.sha256 in
 * sha256sum format, NAME.md5 as bare hex), a wrong one fails the item (moved aside with After Failure, never
 * deleted), and without one the error says the server cannot compute checksums (nothing moved or deleted).
 *
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/checksumNode`.
 */
import * as path from 'path';

import {
	ownHashScenarios,
	sidecarScenarios,
	type ChecksumSource,
	type ChecksumTarget,
} from '../helpers/checksumNodeScenarios';
import {
	onDisk,
	writeAsUser,
	type InteropServer,
	type InteropServerName,
} from '../helpers/interopServers';
import { claimWithSidecarScenarios } from '../helpers/checksumClaimScenarios';
import { useRealServers } from '../helpers/realServers';
import { credentialsFor } from '../helpers/nodeRun';
import {
	sftpCredentialsFor,
	sftpOnDisk,
	writeAsSftpUser,
	type SftpInteropInstanceName,
} from '../helpers/sftpInteropServers';

const servers = useRealServers();

function ftpServer(name: InteropServerName): InteropServer {
	const server = servers.ftp(name);
	return server;
}

function ftpTarget(name: InteropServerName, hashes: ChecksumSource): ChecksumTarget {
	return {
		name,
		protocol: 'ftp',
		credentials: () => credentialsFor(ftpServer(name), 'explicit'),
		remote: (relative) => path.posix.join('/', relative),
		disk: (relative) => onDisk(ftpServer(name), `/${relative}`),
		write: async (relative, content) => {
			await writeAsUser(ftpServer(name), `/${relative}`, content);
		},
		hashes,
	};
}

function sftpTarget(name: SftpInteropInstanceName, hashes: ChecksumSource): ChecksumTarget {
	return {
		name,
		protocol: 'sftp',
		credentials: () => sftpCredentialsFor(servers.sftp(name)),
		remote: (relative) => path.posix.join(servers.sftp(name).homeDirectory, relative),
		disk: (relative) => sftpOnDisk(servers.sftp(name), relative),
		write: async (relative, content) => {
			await writeAsSftpUser(servers.sftp(name), relative, content);
		},
		hashes,
	};
}

/** Servers that hash files themselves (both offer SHA-512, the strongest). */
const HASHING: ChecksumTarget[] = [
	ftpTarget('proftpd-explicit', { source: 'server', algorithm: 'sha512' }),
	sftpTarget('proftpd-sftp', { source: 'server', algorithm: 'sha512' }),
];

/** Servers that hash nothing: a sidecar file vouches for the file, or nothing does. */
const SIDECAR_ONLY: ChecksumTarget[] = [
	ftpTarget('vsftpd-explicit', { source: 'sidecar' }),
	sftpTarget('openssh', { source: 'sidecar' }),
];

describe.each(HASHING)('$name (its own hash)', (target) => ownHashScenarios(target));

describe.each(SIDECAR_ONLY)('$name (sidecar files)', (target) => {
	sidecarScenarios(target);
	claimWithSidecarScenarios(target);
});
