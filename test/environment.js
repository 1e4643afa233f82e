/**
 * Jest's node environment runs tests in a vm context with its own `Error`. Errors made by Node itself (a TLS
 * alert, a refused socket) then fail `error instanceof Error` inside code loaded in that context — basic-ftp
 * relies on that check to tell errors from server replies and silently drops such errors, so a failed transfer
 * would hang in tests while it fails properly in n8n. Sharing Node's own `Error` keeps the two alike.
 */
const { TestEnvironment } = require('jest-environment-node');

class SharedErrorEnvironment extends TestEnvironment {
	constructor(config, context) {
		super(config, context);
		this.global.Error = Error;
	}
}

module.exports = SharedErrorEnvironment;
