/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: '<rootDir>/test/environment.js',
	roots: ['<rootDir>/test'],
	// The interop suite needs root and real servers: it runs with `npm run test:interop`.
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/interop/'],
	testMatch: ['**/*.test.ts'],
	transform: {
		// Type checking is done once by `npm run typecheck`; per-file transpiling keeps the suite fast.
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	testTimeout: 60000,
	// Tests that start servers run one file at a time so that ports and the 2-core CI machine are not oversubscribed.
	maxWorkers: 2,
};
