/** Queue-mode scenario: n8n main + 2 workers, Redis, PostgreSQL, vsftpd (needs root; see test/queue/README.md). */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/queue'],
	// `*.e2e.ts`: neither `npm test` nor the e2e suite (roots test/e2e) picks it up.
	testMatch: ['**/*.e2e.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	maxWorkers: 1,
	testTimeout: 10 * 60000,
};
