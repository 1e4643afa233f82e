import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

// n8n's node and credential conventions (both n8n plugins), switched off for tests and tools.
const n8nRulesOff = Object.fromEntries(
	configWithoutCloudSupport
		.flatMap((block) => Object.keys(block.rules ?? {}))
		.filter(
			(rule) => rule.startsWith('@n8n/community-nodes/') || rule.startsWith('n8n-nodes-base/'),
		)
		.map((rule) => [rule, 'off']),
);

const node = './nodes/FtpAutomation';
const nodeLayer = ['actions', 'trigger', 'helpers', 'methods', 'descriptions'].map(
	(folder) => `${node}/${folder}/**`,
);

export default [
	...configWithoutCloudSupport,
	// Scripts and benchmarks are type-checked (`npm run typecheck`), not linted.
	{ ignores: ['scripts/**', 'bench/**', 'jest.config.js'] },
	{
		files: ['package.json'],
		rules: {
			// basic-ftp, minimatch and mime-types stay regular runtime dependencies so that their
			// security fixes reach users through npm instead of waiting for a release of this package.
			// n8n Cloud (which forbids runtime dependencies) cannot run FTP anyway: it needs raw sockets.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		settings: {
			// Resolves .ts imports for import-x: no-unresolved, no-restricted-paths, no-cycle.
			'import-x/resolver-next': [
				createTypeScriptImportResolver({ project: './tsconfig.test.json', alwaysTryTypes: true }),
			],
			// Without .ts here import-x reads no imported .ts file (and no-cycle finds nothing); imported files
			// are parsed with the linted file's parser (typescript-eslint's), as import-x/parsers is not set.
			'import-x/extensions': ['.ts', '.js'],
			'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
		},
	},
	{
		files: ['**/*.ts'],
		rules: {
			// TypeScript checks imported names (`npm run typecheck`); off as in import-x's typescript config.
			'import-x/named': 'off',
		},
	},

	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		rules: {
			// Defaults come from one table (transport/defaults.ts) that the engine falls back to as well, so a field
			// and the code cannot disagree; n8n's rule sees only literals. test/unit/publicContract.test.ts fails
			// on any parameter whose default is missing or changed.
			'n8n-nodes-base/node-param-default-missing': 'off',
		},
	},

	// Layers of the FTP Automation nodes.
	{
		files: [`${node}/transport/**/*.ts`],
		rules: {
			// The transport speaks to servers and knows nothing of n8n at run time: its types may come from n8n-workflow.
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					paths: [
						{
							name: 'n8n-workflow',
							allowTypeImports: true,
							message:
								'transport/ may only import types from n8n-workflow (n8n errors belong in helpers/).',
						},
					],
					patterns: [
						{
							group: ['n8n-workflow/*'],
							allowTypeImports: true,
							message: 'transport/ may only import types from n8n-workflow.',
						},
					],
				},
			],
		},
	},
	{
		files: ['nodes/**/*.ts'],
		rules: {
			'import-x/no-restricted-paths': [
				'error',
				{
					basePath: import.meta.dirname,
					zones: [
						{
							target: `${node}/transport/**`,
							from: [...nodeLayer, './nodes/**/*.node.ts', './nodes/**/*.node.json'],
							message:
								'transport/ must not depend on the node layer (actions, trigger, helpers, methods, descriptions, *.node).',
						},
						{
							target: `${node}/trigger/**`,
							from: `${node}/actions`,
							message:
								'The trigger must not import the action node; move what both share to helpers/, methods/, descriptions/ or transport/.',
						},
						{
							target: `${node}/actions/**`,
							from: `${node}/trigger`,
							message:
								'The actions must not import the trigger; move what both share to helpers/, methods/, descriptions/ or transport/.',
						},
					],
				},
			],
		},
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		rules: {
			// Type-only imports are erased at run time and are not counted as cycles (import-x's default).
			'import-x/no-cycle': ['error', { ignoreExternal: true }],
		},
	},

	// Tests and their tools: TypeScript and import rules from the shared config above, not n8n's node rules.
	{
		files: ['test/**/*.ts', 'tools/**/*.ts'],
		languageOptions: {
			globals: { ...globals.node, ...globals.jest },
		},
		rules: {
			...n8nRulesOff,
			// Tests need a module object itself, not esModuleInterop's copy of it: jest.spyOn(tls, 'connect'),
			// patching ftp-srv's internals, loading n8n's own copy of a module from n8n-core's folder.
			'@typescript-eslint/no-require-imports': 'off',
			// no-console keeps node code on n8n's logger; suites may print timings and kept folders.
			'no-console': 'off',
		},
	},
];
