/** The editor in a real browser: n8n's editor driven by playwright-core in Debian's Chromium (test/browser/README.md). */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/browser'],
	// `*.browser.ts`, not `*.test.ts`: `npm test` (jest.config.js, roots test/) must not pick it up.
	testMatch: ['**/*.browser.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	// One n8n, one browser, one page: the steps build on each other.
	maxWorkers: 1,
	// A step waits at most 90 s (a workflow run); the first install of n8n has beforeAll's own timeout.
	testTimeout: 2 * 60000,
};
