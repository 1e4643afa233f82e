/**
 * A fault-injecting TCP proxy for plain FTP on loopback, to put between an FTP client and a server (ftp-srv or a real
 * vsftpd) when a test needs a connection to break at an exact point: reset, stall, close (FIN) or refuse the control
 * connection or a passive data connection, after exactly N bytes, on the nth connection of its kind.
 *
 * How it works: the control connection is relayed line by line so that the server's `227` (PASV) and `229` (EPSV)
 * replies can be rewritten to point at a port of the proxy; that port relays one data connection to the port the
 * server announced. Everything listens on 127.0.0.1 only, on ports the operating system picks, so a client that ignores
 * the PASV address and connects to the control host (the node's default) lands on the proxy as well.
 *
 * Limits, by design:
 * - Plain FTP only: under TLS the replies to rewrite are encrypted, and data connections would bypass the proxy.
 * - Passive mode only: PORT/EPRT pass through unchanged, so active-mode data connections go around the proxy.
 * - The data port relays to `target.host` and ignores the address in a 227 reply, as the node does by default; a
 *   server that announces an unreachable (NAT) address therefore works through the proxy.
 * - Byte counts on the control connection are of the bytes as the receiving side sees them, i.e. after rewriting.
 */
import { once } from 'events';
import * as net from 'net';

export type FaultAction = 'reset' | 'stall' | 'refuse' | 'close';
export type FaultChannel = 'control' | 'data';
export type FaultDirection = 'toClient' | 'toServer' | 'both';

export interface Fault {
	channel: FaultChannel;
	/**
	 * reset: RST both ends; stall: stop forwarding and keep both ends open; close: FIN both ends;
	 * refuse: accept the connection and reset it at once, before any byte (the server never sees it).
	 */
	action: FaultAction;
	/** For reset/stall/close: bytes forwarded on that connection before the fault (default 0). */
	afterBytes?: number;
	/** Which bytes count toward `afterBytes` (default 'both'): downloads flow toClient, uploads toServer. */
	direction?: FaultDirection;
	/** 1-based ordinals of the connections on that channel it applies to, counted over the proxy's life (default: all). */
	connections?: number[];
}

/** One fault as it fired. */
export interface TriggeredFault {
	channel: FaultChannel;
	/** The ordinal of the connection on its channel (1-based, over the proxy's life). */
	connection: number;
	action: FaultAction;
}

export interface FaultProxyStats {
	/** Connections accepted on each channel, refused ones included. */
	controlConnections: number;
	dataConnections: number;
	faultsTriggered: number;
	/** Every fault that fired, in order. */
	triggered: readonly TriggeredFault[];
}

export interface FaultProxy {
	/** Point the FTP client here. */
	host: string;
	port: number;
	/** Replaces the plan; applies to connections accepted afterwards. The first fault that matches a connection wins. */
	setFaults(faults: Fault[]): void;
	readonly stats: Readonly<FaultProxyStats>;
	/** Ends every socket and closes every port of the proxy; idempotent. */
	close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/** How long a reset waits for bytes already forwarded to leave the proxy; a receiver that reads nothing loses them. */
const FLUSH_LIMIT_MS = 500;
/** How long a reset waits after that, for the peers to read those bytes (on loopback they arrive at once). */
const RESET_DELAY_MS = 20;

type Flow = 'toClient' | 'toServer';

const PASV_ADDRESS = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/;
const EPSV_PORT = /\((.)\1\1(\d+)\1\)/;

function checked(faults: Fault[]): Fault[] {
	for (const fault of faults) {
		const afterBytes = fault.afterBytes ?? 0;
		if (!Number.isInteger(afterBytes) || afterBytes < 0)
			throw new Error(`afterBytes must be a whole number ≥ 0, not ${afterBytes}`);
		if (fault.action === 'refuse' && afterBytes > 0)
			throw new Error('a refused connection forwards no byte: refuse takes no afterBytes');
		if (fault.connections?.some((n) => !Number.isInteger(n) || n < 1))
			throw new Error('connections are 1-based ordinals');
	}
	return faults.map((fault) => ({
		...fault,
		connections: fault.connections && [...fault.connections],
	}));
}

async function listenOnLoopback(server: net.Server): Promise<number> {
	server.listen(0, LOOPBACK);
	await once(server, 'listening');
	// The proxy only ever waits for a client: a test that forgets close() should not keep jest alive for it.
	server.unref();
	return (server.address() as net.AddressInfo).port;
}

/** Resolves once `socket` has handed every byte written to it to the operating system (or gave up on it). */
async function flushed(socket: net.Socket): Promise<void> {
	const deadline = Date.now() + FLUSH_LIMIT_MS;
	while (!socket.destroyed && socket.writableLength > 0 && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
}

/** One proxied connection: the client's socket, the server's, and the fault planned for it. */
class Relay {
	private counted = 0;
	private state: 'open' | FaultAction = 'open';

	constructor(
		readonly client: net.Socket,
		readonly server: net.Socket,
		private readonly fault: Fault | undefined,
		private readonly onTrigger: () => void,
	) {
		// A reset on one side reaches the other, as it would without the proxy in between.
		const passOnReset = (from: net.Socket, to: net.Socket) =>
			from.once('close', (hadError) => {
				if (hadError && this.isOpen) to.resetAndDestroy();
			});
		passOnReset(client, server);
		passOnReset(server, client);
		if (fault && (fault.afterBytes ?? 0) === 0) this.trigger();
	}

	get isOpen(): boolean {
		return this.state === 'open';
	}

	get isStalled(): boolean {
		return this.state === 'stall';
	}

	/** Relays what arrives for `flow` as it comes, with back-pressure, and then its end. */
	pipe(flow: Flow): void {
		const from = flow === 'toClient' ? this.server : this.client;
		const to = this.receiver(flow);
		from.on('data', (chunk: Buffer) => {
			if (this.forward(flow, chunk)) return;
			from.pause();
			to.once('drain', () => {
				if (this.isOpen) from.resume();
			});
		});
		from.on('end', () => this.end(flow));
	}

	/**
	 * Forwards `chunk`, or only the part of it up to the fault's byte count (then fires the fault); drops it once the
	 * fault has fired. Returns false when the receiver asks to wait for 'drain'.
	 */
	forward(flow: Flow, chunk: Buffer): boolean {
		if (!this.isOpen) return true;
		const to = this.receiver(flow);
		const fault = this.fault;
		const direction = fault?.direction ?? 'both';
		if (!fault || (direction !== 'both' && direction !== flow)) return to.write(chunk);
		const limit = fault.afterBytes ?? 0;
		const part = chunk.subarray(0, limit - this.counted);
		this.counted += part.length;
		const more = part.length === 0 || to.write(part);
		if (this.counted < limit) return more;
		this.trigger();
		return true;
	}

	/** Passes on the end of `flow` (a FIN), unless a fault has taken over. */
	end(flow: Flow): void {
		if (this.isOpen) this.receiver(flow).end();
	}

	destroy(): void {
		this.client.destroy();
		this.server.destroy();
	}

	private receiver(flow: Flow): net.Socket {
		return flow === 'toClient' ? this.client : this.server;
	}

	private trigger(): void {
		const action = this.fault!.action;
		this.state = action;
		this.onTrigger();
		const { client, server } = this;
		// Paused sockets make both senders block once the buffers are full, as behind a network that drops everything.
		client.pause();
		server.pause();
		if (action === 'close') {
			// A full close after the FIN, not a half-close: a peer that sends on gets an RST from the kernel, so a server
			// learns that its transfer failed instead of writing into a proxy that swallows the bytes.
			for (const socket of [client, server]) socket.end(() => socket.destroy());
			return;
		}
		if (action === 'reset') {
			// An RST discards what the proxy has not handed to the kernel yet, and a peer that has not read the bytes
			// before the RST arrives sees an orderly end instead of ECONNRESET: flush, then give the peers time to read.
			void Promise.all([flushed(client), flushed(server)])
				.then(async () => await new Promise((resolve) => setTimeout(resolve, RESET_DELAY_MS)))
				.then(() => {
					client.resetAndDestroy();
					server.resetAndDestroy();
				});
		}
	}
}

/**
 * Starts the proxy in front of `target` (a plain-FTP server) on a free port of 127.0.0.1, with `faults` as the plan.
 */
export async function startFaultProxy(
	target: { host: string; port: number },
	faults: Fault[] = [],
): Promise<FaultProxy> {
	let plan = checked(faults);
	let closed = false;
	const sockets = new Set<net.Socket>();
	const dataPorts = new Set<net.Server>();
	const stats = {
		controlConnections: 0,
		dataConnections: 0,
		faultsTriggered: 0,
		triggered: [] as TriggeredFault[],
	};

	const track = (socket: net.Socket): net.Socket => {
		sockets.add(socket);
		// Errors reach the relay through 'close' (hadError); unhandled, they would crash the test run.
		socket.on('error', () => undefined);
		socket.once('close', () => sockets.delete(socket));
		return socket;
	};

	/** Accepts `client` as connection `ordinal` of `channel`: refuses it, or relays it to `port` on the target. */
	const accept = (
		channel: FaultChannel,
		ordinal: number,
		client: net.Socket,
		port: number,
	): Relay | undefined => {
		track(client);
		const fault = plan.find(
			(f) => f.channel === channel && (!f.connections || f.connections.includes(ordinal)),
		);
		const record = () => {
			stats.faultsTriggered++;
			stats.triggered.push({ channel, connection: ordinal, action: fault!.action });
		};
		if (fault?.action === 'refuse') {
			record();
			client.resetAndDestroy();
			return undefined;
		}
		const server = track(net.connect({ host: target.host, port, allowHalfOpen: true }));
		return new Relay(client, server, fault, record);
	};

	/** What one control connection owns: the data port announced last (until used) and its data connections. */
	const controlSession = () => {
		let pendingPort: net.Server | undefined;
		const dataRelays = new Set<Relay>();

		const closePendingPort = () => {
			if (!pendingPort) return;
			pendingPort.close();
			dataPorts.delete(pendingPort);
			pendingPort = undefined;
		};

		/** Opens a proxy port for the next data connection to `serverPort`; returns the proxy's port. */
		const openDataPort = async (serverPort: number): Promise<number> => {
			if (closed) throw new Error('the proxy is closed');
			// The server forgets a passive port when the next PASV/EPSV comes; so does the proxy.
			closePendingPort();
			const dataPort = net.createServer({ allowHalfOpen: true }, (client) => {
				if (pendingPort === dataPort) closePendingPort();
				const relay = accept('data', ++stats.dataConnections, client, serverPort);
				if (!relay) return;
				dataRelays.add(relay);
				relay.server.once('close', () => dataRelays.delete(relay));
				relay.pipe('toClient');
				relay.pipe('toServer');
			});
			pendingPort = dataPort;
			dataPorts.add(dataPort);
			return await listenOnLoopback(dataPort);
		};

		let multilineCode: string | undefined;
		/** `line` (with its line end) as the client should see it: a single-line 227/229 reply points at the proxy. */
		const rewrite = async (line: string): Promise<string> => {
			if (multilineCode !== undefined) {
				if (line.startsWith(`${multilineCode} `)) multilineCode = undefined;
				return line;
			}
			const start = /^(\d{3})-/.exec(line);
			if (start) {
				multilineCode = start[1];
				return line;
			}
			const pasv = line.startsWith('227 ') ? PASV_ADDRESS.exec(line) : null;
			if (pasv) {
				const port = await openDataPort(Number(pasv[5]) * 256 + Number(pasv[6]));
				return line.replace(PASV_ADDRESS, () => `127,0,0,1,${port >> 8},${port & 255}`);
			}
			const epsv = line.startsWith('229 ') ? EPSV_PORT.exec(line) : null;
			if (epsv) {
				const port = await openDataPort(Number(epsv[2]));
				const d = epsv[1];
				return line.replace(EPSV_PORT, () => `(${d}${d}${d}${port}${d})`);
			}
			return line;
		};

		const end = () => {
			closePendingPort();
			// A stalled data connection would otherwise hold the server's session (vsftpd blocks writing to it).
			for (const relay of dataRelays) if (relay.isStalled) relay.destroy();
		};

		return { rewrite, end };
	};

	const controlServer = net.createServer({ allowHalfOpen: true }, (client) => {
		const relay = accept('control', ++stats.controlConnections, client, target.port);
		if (!relay) return;
		const session = controlSession();
		// A client that sends its FIN has given up the session, even while the server still holds its half open.
		client.once('end', session.end);
		client.once('close', session.end);
		relay.pipe('toServer');

		// Replies go through `rewrite` line by line and in order: a rewritten reply waits for its data port, and
		// every later line waits for it.
		let partial = '';
		let replies = Promise.resolve();
		const send = (lines: string[]) => {
			replies = replies
				.then(async () => {
					for (const line of lines)
						relay.forward('toClient', Buffer.from(await session.rewrite(line), 'latin1'));
				})
				.catch(() => relay.destroy());
		};
		relay.server.on('data', (chunk: Buffer) => {
			// latin1 maps each byte to one character and back, so lines that are not rewritten pass byte for byte.
			partial += chunk.toString('latin1');
			const end = partial.lastIndexOf('\n') + 1;
			if (end === 0) return;
			send(partial.slice(0, end).split(/(?<=\n)/));
			partial = partial.slice(end);
		});
		relay.server.on('end', () => {
			if (partial) send([partial]);
			replies = replies.then(() => relay.end('toClient'));
		});
	});
	const port = await listenOnLoopback(controlServer);

	let closing: Promise<void> | undefined;
	return {
		host: LOOPBACK,
		port,
		setFaults: (faults) => {
			plan = checked(faults);
		},
		get stats() {
			return { ...stats, triggered: [...stats.triggered] };
		},
		close: () => {
			closing ??= (async () => {
				closed = true;
				for (const dataPort of dataPorts) dataPort.close();
				dataPorts.clear();
				for (const socket of sockets) socket.destroy();
				await new Promise<void>((resolve) => controlServer.close(() => resolve()));
			})();
			return closing;
		},
	};
}
