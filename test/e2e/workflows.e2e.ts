/**
 * End-to-end: the packed package inside a real n8n (installed by scripts/n8n-e2e.sh, the version N8N_E2E_VERSION
 * names), its credentials imported and encrypted by n8n, workflows from test/e2e/workflows/ executed headless with
 * `n8n execute --id`, against vsftpd on loopback (scripts/ftp-servers.sh), an in-process SFTP server and PostgreSQL.
 * Needs root; see test/e2e/README.md. Which tests run on which n8n version: versions/profiles.ts.
 */
import { versionProfile } from './versions/profiles';
import { registerFtpTests } from './versions/ftpTests';
import { registerSftpTests } from './versions/sftpTests';
import { setUp, tearDown } from './versions/suite';

const profile = versionProfile();
console.log(`e2e suite: ${profile.summary}`);

beforeAll(async () => await setUp(profile), 35 * 60_000);
afterAll(tearDown);

registerFtpTests(profile.subset);
registerSftpTests(profile.subset);
