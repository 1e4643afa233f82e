#!/usr/bin/env node
/**
 * Run after any `npm install` that changes package-lock.json on this project's machines (optionally with the path of
 * another lock file, e.g. scripts/n8n-e2e-lock/2.8.4/package-lock.json).
 *
 * The registry these machines reach serves no platform packages for other systems (macOS, Windows, ...).
 * npm then leaves those optional platform bindings out of the lock file but keeps them in their parent's
 * `optionalDependencies`, and `npm ci` refuses such a lock file as "not in sync". This drops the
 * optional dependencies that have no entry in the lock file, which is what `npm ci` needs.
 */
const fs = require('fs');
const path = require('path');

// Default: this project's lock file; scripts/n8n-e2e-lock/<version>/package-lock.json is pruned the same way.
const lockPath = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json'));
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));

/** Where Node's resolution would find `name` from the package at `location`, if the lock has it. */
function resolves(location, name) {
	for (let base = location; ; ) {
		if (lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
		if (!base) return false;
		const parent = base.lastIndexOf('/node_modules/');
		base = parent >= 0 ? base.slice(0, parent) : '';
	}
}

let dropped = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
	for (const name of Object.keys(entry.optionalDependencies ?? {})) {
		if (!resolves(location, name)) {
			delete entry.optionalDependencies[name];
			dropped++;
		}
	}
}
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(
	`${path.relative(process.cwd(), lockPath)}: dropped ${dropped} optional dependencies the registry does not serve\n`,
);
