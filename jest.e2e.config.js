/** End-to-end suite: the packed package inside a real n8n against vsftpd (needs root; see test/e2e/README.md). */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/e2e'],
	// `*.e2e.ts`, not `*.test.ts`: `npm test` (jest.config.js, roots test/) must not pick the suite up.
	testMatch: ['**/*.e2e.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	// One n8n user folder and one set of servers per file; n8n commands are heavy (≈ 1 core, 300 MB each).
	maxWorkers: 1,
	// One `n8n execute` takes 4–6 s; the first install of n8n about 6 min (beforeAll has its own timeout).
	testTimeout: 5 * 60000,
};
