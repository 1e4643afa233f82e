import { FTPError, type FTPContext, type FTPResponse } from 'basic-ftp';
import { createServer, isIP, Socket, type AddressInfo, type Server } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

/**
 * Active-mode data connections for basic-ftp, which has only passive mode: we listen, announce the address with
 * PORT (IPv4) or EPRT (IPv6, or when PORT is refused), and the server connects to us.
 *
 * basic-ftp's transfer functions read `ftp.dataSocket` when the server answers 150/125 to the transfer command.
 * In active mode the server connects only after it has received that command, so the strategy leaves a
 * placeholder socket and holds back the 150/125 reply (and every reply after it, to keep their order) until
 * the server's connection has been accepted and put in the placeholder's place.
 */

export interface ActiveModeOptions {
	/** The address the server should connect to; default: our side of the control connection. */
	address?: string;
	/** Ports to listen on; default: any free port. */
	ports?: PortRange;
}

export interface PortRange {
	low: number;
	high: number;
}

/** Commands whose replies wait for the active data connection. */
const TRANSFER_COMMAND = /^(RETR|STOR|STOU|APPE|LIST|NLST|MLSD|REST)\b/i;

/** IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) as plain IPv4, so they can be compared and sent in PORT. */
export function plainAddress(address: string | undefined): string | undefined {
	return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/** `PORT h1,h2,h3,h4,p1,p2` (RFC 959). */
export function portCommand(address: string, port: number): string {
	return `PORT ${address.split('.').join(',')},${port >> 8},${port & 255}`;
}

/** `EPRT |1|address|port|` or `EPRT |2|address|port|` (RFC 2428). */
export function eprtCommand(address: string, port: number): string {
	return `EPRT |${isIP(address) === 6 ? 2 : 1}|${address}|${port}|`;
}

/** The ports of a range in the order to try them: from a random start, so parallel executions rarely collide. */
export function candidatePorts(range: PortRange | undefined, random = Math.random): number[] {
	if (!range) return [0];
	const size = range.high - range.low + 1;
	const start = Math.floor(random() * size);
	return Array.from({ length: size }, (_, index) => range.low + ((start + index) % size));
}

function listenOn(address: string, port: number): Promise<Server> {
	return new Promise((resolve, reject) => {
		const server = createServer({ pauseOnConnect: false });
		server.once('error', reject);
		server.listen({ host: address, port, exclusive: true, backlog: 1 }, () => {
			server.removeListener('error', reject);
			resolve(server);
		});
	});
}

/** Active mode could not listen, or the server did not connect to where it listens; `code` says which. */
export class ActiveModeFailure extends Error {
	constructor(
		message: string,
		readonly code: string | undefined,
		readonly activeAddress: string,
		readonly activePort?: number,
	) {
		super(message);
		this.name = 'ActiveModeFailure';
	}
}

async function listen(address: string, range: PortRange | undefined): Promise<Server> {
	for (const port of candidatePorts(range)) {
		const listening = await listenOn(address, port).then(
			(server) => ({ server }),
			(error: NodeJS.ErrnoException) => ({ error }),
		);
		if ('server' in listening) return listening.server;
		if (listening.error.code !== 'EADDRINUSE') {
			throw new ActiveModeFailure(
				`Active mode cannot listen on ${address}: ${listening.error.message}`,
				listening.error.code,
				address,
			);
		}
	}
	throw new ActiveModeFailure(
		`Active mode found no free port in ${range!.low}-${range!.high} on ${address}`,
		'ERR_FTP_ACTIVE_NO_PORT',
		address,
	);
}

function ignoreError(): void {}

/** The one connection the server makes to our listener; connections from any other address are refused. */
class IncomingDataConnection {
	private readonly arrival: Promise<Socket>;
	private accepted: Socket | undefined;
	private claimed = false;
	private settle: { resolve: (socket: Socket) => void; reject: (error: Error) => void } | undefined;
	private timer: NodeJS.Timeout | undefined;

	constructor(
		private readonly server: Server,
		private readonly serverAddress: string,
		private readonly log: (message: string) => void,
	) {
		this.arrival = new Promise<Socket>((resolve, reject) => {
			this.settle = { resolve, reject };
		});
		// Nobody may await it (the transfer can fail before the server connects); the transfer reports failures.
		this.arrival.catch(() => undefined);
		server.on('connection', (socket) => this.accept(socket));
		server.on('error', (error) => this.fail(error));
	}

	get listeningOn(): AddressInfo {
		return this.server.address() as AddressInfo;
	}

	/** Fails unless the server connects within `timeoutMs` (0: wait as long as the control connection lives). */
	expectWithin(timeoutMs: number): void {
		if (timeoutMs <= 0 || this.timer) return;
		this.timer = setTimeout(() => {
			const { address, port } = this.listeningOn;
			this.fail(
				new ActiveModeFailure(
					`Timeout: the server did not open the active-mode data connection to ${address}:${port} within ${timeoutMs / 1000} s`,
					'ERR_FTP_ACTIVE_TIMEOUT',
					address,
					port,
				),
			);
		}, timeoutMs);
	}

	/** The server's connection, once it has arrived; from then on the caller owns it. */
	async claim(): Promise<Socket> {
		this.claimed = true;
		const socket = await this.arrival;
		socket.removeListener('error', ignoreError);
		return socket;
	}

	/** Stops listening, and closes the server's connection if it arrived but the transfer will not use it. */
	cancel(): void {
		this.fail(new Error('The transfer ended before the server opened the data connection'));
		if (!this.claimed) this.accepted?.destroy();
	}

	private accept(socket: Socket): void {
		const from = plainAddress(socket.remoteAddress);
		if (!this.settle || from !== this.serverAddress) {
			this.log(
				`Active mode: refused a data connection from ${from}:${socket.remotePort} (expected the server, ${this.serverAddress})`,
			);
			socket.destroy();
			return;
		}
		this.log(`Active mode: the server connected from ${from}:${socket.remotePort}`);
		// Until the transfer claims it, a reset by the server must not crash the process as an unhandled error.
		socket.on('error', ignoreError);
		this.accepted = socket;
		const { resolve } = this.settle;
		this.finish();
		resolve(socket);
	}

	private fail(error: Error): void {
		const settle = this.settle;
		this.finish();
		settle?.reject(error);
	}

	private finish(): void {
		this.settle = undefined;
		if (this.timer) clearTimeout(this.timer);
		this.server.close();
	}
}

/** Our side stays the TLS client on data connections, resuming the control connection's session like passive mode. */
function secured(ftp: FTPContext, socket: Socket): Socket | TLSSocket {
	if (!(ftp.socket instanceof TLSSocket)) return socket;
	const tlsSocket = tlsConnect({
		...ftp.tlsOptions,
		socket,
		session: ftp.tlsSessionStore ?? ftp.socket.getSession(),
	});
	tlsSocket.on('session', (session: Buffer) => {
		ftp.tlsSessionStore = session;
	});
	return tlsSocket;
}

async function announce(ftp: FTPContext, address: string, port: number): Promise<FTPResponse> {
	if (isIP(address) === 6) return await ftp.request(eprtCommand(address, port));
	const refused = (error: unknown) =>
		error instanceof FTPError ? error : Promise.reject(error as Error);
	const answer = await ftp.request(portCommand(address, port)).catch(refused);
	if (!(answer instanceof FTPError)) return answer;
	ftp.log(`PORT was refused (${answer.code}); trying EPRT`);
	return await ftp.request(eprtCommand(address, port));
}

/**
 * Makes the next transfer command wait for `incoming`: its 150/125 reply is delivered only once the server's
 * connection has been accepted and has replaced the placeholder data socket. Applies to one command only.
 */
function deliverRepliesAfterConnection(ftp: FTPContext, incoming: IncomingDataConnection): void {
	const handle = ftp.handle;
	ftp.handle = (command, responseHandler) => {
		ftp.handle = handle;
		if (command === undefined || !TRANSFER_COMMAND.test(command)) {
			incoming.cancel();
			return handle.call(ftp, command, responseHandler);
		}
		incoming.expectWithin(ftp.timeout);
		let replies = Promise.resolve();
		let connected = false;
		return handle.call(ftp, command, (response, task) => {
			if (response instanceof Error) {
				incoming.cancel();
				responseHandler(response, task);
				return;
			}
			replies = replies
				.then(async () => {
					if (!connected && (response.code === 150 || response.code === 125)) {
						ftp.dataSocket = secured(ftp, await incoming.claim());
						connected = true;
					}
					responseHandler(response, task);
				})
				.catch((error: Error) => ftp.closeWithError(error));
		});
	};
}

/** A basic-ftp transfer strategy (`client.prepareTransfer`) for active mode. */
export function activeModeStrategy(options: ActiveModeOptions = {}) {
	return async (ftp: FTPContext): Promise<FTPResponse> => {
		const serverAddress = plainAddress(ftp.socket.remoteAddress);
		const localAddress = plainAddress(ftp.socket.localAddress);
		if (serverAddress === undefined || localAddress === undefined) {
			throw new Error('Control socket is disconnected, cannot open an active-mode data connection');
		}
		const address = options.address ?? localAddress;
		const server = await listen(address, options.ports);
		const incoming = new IncomingDataConnection(server, serverAddress, (message) =>
			ftp.log(message),
		);
		const { port } = incoming.listeningOn;
		ftp.log(`Active mode: listening on ${address}:${port}`);
		let announced = false;
		try {
			const response = await announce(ftp, address, port);
			announced = true;
			// basic-ftp insists on a data socket before it sends the transfer command; the real one replaces it.
			ftp.dataSocket = new Socket();
			deliverRepliesAfterConnection(ftp, incoming);
			return response;
		} finally {
			if (!announced) incoming.cancel();
		}
	};
}
