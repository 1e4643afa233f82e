import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	// n8n's rules are for node code; tests, scripts and benchmarks are type-checked by `npm run typecheck`.
	{ ignores: ['test/**', 'scripts/**', 'bench/**', 'jest.config.js'] },
	{
		files: ['package.json'],
		rules: {
			// basic-ftp, minimatch and mime-types stay regular runtime dependencies so that their
			// security fixes reach users through npm instead of waiting for a release of this package.
			// n8n Cloud (which forbids runtime dependencies) cannot run FTP anyway: it needs raw sockets.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
