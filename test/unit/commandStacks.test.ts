import { FTPContext } from 'basic-ftp';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

import { withoutCommandStacks } from '../../nodes/FtpAutomation/transport/ftp/dataConnection';

/** The stack basic-ftp recorded for the command in flight (a private field, read for this check only). */
function taskStack(ftp: FTPContext): string {
	return (ftp as unknown as { _task?: { stack: string } })._task?.stack ?? '';
}

describe('basic-ftp commands without recorded call stacks', () => {
	let server: Server;
	let port: number;
	const accepted: Socket[] = [];
	let received = '';

	beforeAll(async () => {
		// A server that reads and never answers: the command stays in flight for the check.
		server = createServer((socket) => {
			accepted.push(socket);
			socket.on('data', (data: Buffer) => (received += data.toString()));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		port = (server.address() as AddressInfo).port;
	});
	afterAll(async () => {
		for (const socket of accepted) socket.destroy();
		await new Promise((resolve) => server.close(resolve));
	});

	async function connectedContext(): Promise<FTPContext> {
		received = '';
		const ftp = new FTPContext(5000);
		const socket = new Socket();
		await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
		ftp.socket = socket;
		return ftp;
	}

	it('records a stack with no frames, restores the limit, and still sends the command', async () => {
		const ftp = await connectedContext();
		const before = Error.stackTraceLimit;
		withoutCommandStacks(ftp);
		const reply = ftp.request('NOOP').catch((error: Error) => error);
		expect(taskStack(ftp)).not.toMatch(/\n\s+at /);
		expect(Error.stackTraceLimit).toBe(before);
		for (let waited = 0; !received.includes('NOOP\r\n') && waited < 2000; waited += 10)
			await new Promise((resolve) => setTimeout(resolve, 10));
		expect(received).toBe('NOOP\r\n');
		ftp.close();
		expect(await reply).toBeInstanceOf(Error);
	});

	it('without it, basic-ftp records the caller (what the wrapper saves)', async () => {
		const ftp = await connectedContext();
		const reply = ftp.request('NOOP').catch((error: Error) => error);
		expect(taskStack(ftp)).toMatch(/\n\s+at /);
		ftp.close();
		expect(await reply).toBeInstanceOf(Error);
	});
});
