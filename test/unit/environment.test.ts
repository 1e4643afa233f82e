import { connect } from 'net';

describe('test environment', () => {
	it("shares Node's Error, so errors made by Node itself pass `instanceof Error`", async () => {
		const error = await new Promise<unknown>((resolve) =>
			connect({ host: '127.0.0.1', port: 1 }).once('error', resolve),
		);
		expect(error instanceof Error).toBe(true);
	});
});
