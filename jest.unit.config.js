/** Unit suite: test/unit/ only, no FTP server and no n8n (`npm run test:unit`; `npm test` runs it with the rest). */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/unit'],
	testPathIgnorePatterns: ['/node_modules/'],
	// No servers, no shared ports: one worker per core.
	maxWorkers: '100%',
	testTimeout: 10000,
};
