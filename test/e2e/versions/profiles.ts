/**
 * Which tests of the e2e suite run on which n8n version (N8N_E2E_VERSION, default the newest tested, see
 * scripts/n8n-e2e.sh). The newest 2.x, the version new users get, runs everything; the older versions run the core:
 * the package loads, list → download → Extract From File, upload, a wrong password, the trigger (loaded and activated)
 * and SFTP, which is where n8n versions differ for a node (binary data, credentials, polling). A version the suite does
 * not know runs everything. Tests outside a version's subset are not registered at all, and the suite says which
 * subset it runs: nothing is skipped silently.
 */
import { n8nInstall, type N8nInstall } from '../../../tools/n8n';

export type Subset = 'full' | 'core';

export interface VersionProfile {
	install: N8nInstall;
	subset: Subset;
	/** Environment the suite gives every n8n command of this version. */
	environment: Record<string, string>;
	/** Printed at the start of the run. */
	summary: string;
}

/** The versions tested with less than the whole suite (scripts/n8n-e2e.sh installs each from its lock file). */
const CORE_ONLY = new Set(['2.8.4', '1.123.81']);

/**
 * n8n 1.x keeps binary data in memory (base64 in the run data) unless told otherwise; 2.x has no memory mode and stores
 * files by default. The suite asserts that downloads are streamed into files, as in 2.x, so 1.x gets the filesystem
 * mode, as its documentation recommends for files of any size.
 */
function environmentOf(install: N8nInstall): Record<string, string> {
	return install.major < 2 ? { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' } : {};
}

export function versionProfile(): VersionProfile {
	const install = n8nInstall();
	const subset: Subset = CORE_ONLY.has(install.version) ? 'core' : 'full';
	const environment = environmentOf(install);
	const settings = Object.entries(environment).map(([name, value]) => ` ${name}=${value}`);
	return {
		install,
		subset,
		environment,
		summary:
			`n8n ${install.version} on the Node in ${install.nodeBin}${settings.join('')}: ` +
			(subset === 'full'
				? 'the whole suite'
				: 'the core subset (package loaded, trigger loaded and activated, FTP list → download → Extract, ' +
					'upload, wrong password, SFTP list → download → Extract); the whole suite runs on the newest version'),
	};
}
