import { Client, FTPContext } from 'basic-ftp';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';

import { activeModeStrategy } from './activeMode';
import { passiveModeStrategy } from './passiveMode';
import type { ConnectionSettings } from './settings';

/**
 * A basic-ftp client whose data connections follow the credential. Active mode: see activeMode.ts. Passive mode
 * (see passiveMode.ts): EPSV first, unless Disable EPSV is set for firewalls that mishandle it; PASV connects to
 * the control host (default, works behind NAT) or, with Passive Address "Address Reported by the Server", to the
 * address in the reply.
 */
export function createClient(settings: ConnectionSettings): Client {
	const client = new Client(settings.timeoutMs);
	client.prepareTransfer =
		settings.dataConnection === 'active'
			? activeModeStrategy({ address: settings.activeAddress, ports: settings.activePorts })
			: passiveModeStrategy(client, {
					passiveAddress: settings.passiveAddress,
					disableEpsv: settings.disableEpsv,
				});
	if (settings.encoding === 'latin1') client.ftp.encoding = 'latin1';
	withoutCommandStacks(client.ftp);
	return client;
}

/**
 * basic-ftp records `new Error().stack` for every command, only to name the caller should two commands ever overlap
 * (a programming error). Inside n8n, source-map-support formats each of those stacks through source maps: 10–14 % of
 * the n8n process's CPU in a List → Download or Upload of 2,000 files (`BENCH_PROFILE`, BENCHMARKS.md). Recorded
 * with no frames, it costs next to nothing; every error keeps its message, which is all the explanations use.
 */
export function withoutCommandStacks(ftp: FTPContext): void {
	const handle = ftp.handle.bind(ftp);
	ftp.handle = (command, responseHandler) => {
		const limit = Error.stackTraceLimit;
		Error.stackTraceLimit = 0;
		try {
			return handle(command, responseHandler);
		} finally {
			Error.stackTraceLimit = limit;
		}
	};
}

/**
 * Calls `onDataConnection` with every data connection, as soon as it exists and before any byte moves, whichever
 * strategy made it (passive, active, or the one basic-ftp settled on after the first transfer).
 */
export function watchDataConnections(
	client: Client,
	onDataConnection: (socket: Socket) => void,
): void {
	const ftp = client.ftp;
	const dataSocket = Object.getOwnPropertyDescriptor(FTPContext.prototype, 'dataSocket');
	if (!dataSocket?.get || !dataSocket.set) throw new Error('basic-ftp has no dataSocket accessor');
	const { get, set } = dataSocket;
	Object.defineProperty(ftp, 'dataSocket', {
		configurable: true,
		get: () => get.call(ftp) as Socket | undefined,
		set: (socket: Socket | undefined) => {
			set.call(ftp, socket);
			if (socket) onDataConnection(socket);
		},
	});
}

/** Settles once the socket's TLS handshake has finished (at once for a plain socket), or the socket has failed. */
export function handshakeOf(socket: Socket): Promise<void> {
	if (!(socket instanceof TLSSocket)) return Promise.resolve();
	return new Promise((resolve) => {
		const settle = () => {
			for (const event of ['secureConnect', 'close', 'error']) socket.off(event, settle);
			resolve();
		};
		// Failures are reported by the transfer itself; this only stops waiting.
		for (const event of ['secureConnect', 'close', 'error']) socket.once(event, settle);
	});
}

/**
 * The upload source, ending only after the data connection's TLS handshake has finished, plus one turn of the
 * event loop. basic-ftp starts writing as soon as a data socket reports a cipher, which a resumed TLS session
 * does before its handshake has finished; an empty file then ended the connection before our Finished message
 * (vsftpd and ProFTPD answer with a decode_error alert and fail the upload). Right after the handshake, Node
 * still sends the FIN without close_notify until its Finished write has completed, hence the extra turn.
 * Read lazily: it runs only once basic-ftp pipes it into the data connection.
 */
export function endingAfterHandshake(source: Readable, handshake: () => Promise<void>): Readable {
	return Readable.from(
		(async function* () {
			yield* source;
			await handshake();
			await new Promise<void>((resolve) => setImmediate(resolve));
		})(),
		{ objectMode: false },
	);
}
