/** Interop suite: the node against real vsftpd, ProFTPD and pure-ftpd (needs root; see test/interop/README.md). */
const base = require('./jest.config.js');

module.exports = {
	...base,
	roots: ['<rootDir>/test/interop'],
	testPathIgnorePatterns: ['/node_modules/'],
	// The servers are started once per file and share ports; keep the files one after another.
	maxWorkers: 1,
	testTimeout: 120000,
};
