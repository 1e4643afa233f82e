/**
 * Small fakes on loopback for failures that a real server and a correct client do not produce on their own, or not
 * on demand: a closed port, a server that accepts and never answers, and a scripted FTP server that sends the exact
 * replies of a real one (a proxy that breaks connections on purpose is in faultProxy.ts).
 * Everything listens on 127.0.0.1 only, on ports the operating system picks; `close()` ends every socket it made.
 */
import { once } from 'events';
import * as net from 'net';
import * as tls from 'tls';

const HOST = '127.0.0.1';

async function listen(server: net.Server, host = HOST): Promise<number> {
	server.listen(0, host);
	await once(server, 'listening');
	return (server.address() as net.AddressInfo).port;
}

/** Closes `server` and destroys every socket in `sockets`. */
async function shutDown(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
	for (const socket of sockets) socket.destroy();
	await new Promise<void>((resolve) => server.close(() => resolve()));
}

function track(sockets: Set<net.Socket>, socket: net.Socket): net.Socket {
	sockets.add(socket);
	socket.on('error', () => undefined);
	socket.once('close', () => sockets.delete(socket));
	return socket;
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connecting is refused. */
export async function closedPort(): Promise<number> {
	const probe = net.createServer();
	const port = await listen(probe);
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

export interface SilentServer {
	host: string;
	port: number;
	/** How many connections it has accepted. */
	readonly accepted: number;
	close(): Promise<void>;
}

/**
 * Accepts TCP connections and never sends a byte: what a client sees when it waits for a greeting that never comes
 * (an implicit FTPS port waiting for TLS, a hung server, or a firewall that lets the handshake through and then
 * drops everything).
 */
export async function silentServer(): Promise<SilentServer> {
	const sockets = new Set<net.Socket>();
	let accepted = 0;
	const server = net.createServer((socket) => {
		accepted++;
		track(sockets, socket);
	});
	const port = await listen(server);
	return {
		host: HOST,
		port,
		get accepted() {
			return accepted;
		},
		close: async () => await shutDown(server, sockets),
	};
}

/** One control connection of a scripted server, as a reply handler sees it. */
export interface ScriptedSession {
	/** Which connection this is: 1 for the first the server accepted, 2 for the next, ... */
	readonly connection: number;
	/** Sends one reply line (CRLF is added). */
	reply(line: string): void;
	/** Writes raw bytes to the control connection as they are (nothing added), e.g. half a reply. */
	write(data: string | Buffer): void;
	/** The data connection the client opens after the last EPSV/PASV, as a raw TCP socket. */
	dataConnection(): Promise<net.Socket>;
	/** The target of the last PORT or EPRT command, if any. */
	activeTarget?: { host: string; port: number };
	/** Closes the control connection. */
	end(): void;
	/**
	 * From now on reads nothing more from the control connection and answers nothing: a peer that stalled. Without it,
	 * a TLS ClientHello sent after a scripted 234 is read as commands: its random bytes hold a CRLF now and then (1 in
	 * 600 of Node 20's here), and the `500 Unknown command.` sent back made the client's handshake fail at once.
	 */
	stopReading(): void;
}

export type ScriptedReply =
	| string
	| ((session: ScriptedSession, argument: string) => void | Promise<void>);

export interface FtpScript {
	/** The address to listen on: 127.0.0.1 (default) or ::1. */
	host?: '127.0.0.1' | '::1';
	/**
	 * The greeting; default `220 (scripted stand-in)`. A function decides per connection (numbered from 1);
	 * returning undefined sends no greeting at all (a server that accepts and never speaks).
	 */
	greeting?: string | ((connection: number) => string | undefined);
	/** Close the control connection right after the greeting (as vsftpd does after its 421). */
	closeAfterGreeting?: boolean;
	/** Key and certificate for AUTH TLS; without it AUTH is refused as vsftpd with ssl_enable=NO refuses it. */
	tls?: { key: string; cert: string };
	/** Replies by command verb (upper case), replacing the defaults below. */
	replies?: Record<string, ScriptedReply>;
}

export interface ScriptedFtpServer {
	host: string;
	port: number;
	/** Every command line received, in order, over all connections. */
	commands: string[];
	/** The same lines as the bytes that arrived (without CRLF), for checking what an encoding put on the wire. */
	rawCommands: Buffer[];
	/** Connections accepted so far. */
	readonly connections: number;
	close(): Promise<void>;
}

/** Enough of vsftpd's replies for a client to log in, set up the session and open passive data connections. */
const DEFAULT_REPLIES: Record<string, ScriptedReply> = {
	USER: '331 Please specify the password.',
	PASS: '230 Login successful.',
	PWD: '257 "/" is the current directory',
	CWD: '250 Directory successfully changed.',
	FEAT: '211 End',
	OPTS: '200 Always in UTF8 mode.',
	TYPE: '200 Switching to Binary mode.',
	STRU: '200 Structure set to F.',
	PBSZ: '200 PBSZ set to 0.',
	PROT: '200 PROT now Private.',
	PORT: (session, argument) => {
		const parts = argument.split(',').map(Number);
		session.activeTarget = { host: parts.slice(0, 4).join('.'), port: parts[4] * 256 + parts[5] };
		session.reply('200 PORT command successful. Consider using PASV.');
	},
	EPRT: (session, argument) => {
		const [, , host, port] = argument.split('|');
		session.activeTarget = { host, port: Number(port) };
		session.reply('200 EPRT command successful. Consider using EPSV.');
	},
	QUIT: (session) => {
		session.reply('221 Goodbye.');
		session.end();
	},
};

/**
 * A scripted FTP server on 127.0.0.1: it answers every command from `script.replies`, then from the defaults above
 * (vsftpd's wording), else with `500 Unknown command.` It implements AUTH TLS (when given a certificate), EPSV and
 * PASV for real, so that the client's TLS and data connections are real sockets; only the replies are scripted.
 */
export async function scriptedFtpServer(script: FtpScript = {}): Promise<ScriptedFtpServer> {
	const sockets = new Set<net.Socket>();
	const dataServers = new Set<net.Server>();
	const commands: string[] = [];
	const rawCommands: Buffer[] = [];
	let connections = 0;
	const replies: Record<string, ScriptedReply> = { ...DEFAULT_REPLIES, ...script.replies };

	const server = net.createServer((plain) => {
		track(sockets, plain);
		const connection = ++connections;
		let control: net.Socket = plain;
		let nextData: Promise<net.Socket> | undefined;
		const session: ScriptedSession = {
			connection,
			reply: (line) => {
				if (!control.destroyed) control.write(`${line}\r\n`);
			},
			write: (data) => {
				if (!control.destroyed) control.write(data);
			},
			dataConnection: async () => {
				if (!nextData) throw new Error('no EPSV or PASV before the transfer');
				return await nextData;
			},
			end: () => control.end(),
			stopReading: () => {
				reading = false;
			},
		};
		const openPassive = async (): Promise<number> => {
			const dataServer = net.createServer();
			dataServers.add(dataServer);
			nextData = new Promise((resolve) =>
				dataServer.once('connection', (socket: net.Socket) => {
					resolve(track(sockets, socket));
					dataServer.close();
				}),
			);
			return await listen(dataServer);
		};

		let buffered = Buffer.alloc(0);
		let reading = true;
		const onData = (chunk: Buffer) => {
			if (!reading) return;
			buffered = Buffer.concat([buffered, chunk]);
			for (
				let end = buffered.indexOf('\r\n');
				reading && end >= 0;
				end = buffered.indexOf('\r\n')
			) {
				const raw = buffered.subarray(0, end);
				buffered = buffered.subarray(end + 2);
				rawCommands.push(Buffer.from(raw));
				const line = raw.toString('utf8');
				commands.push(line);
				const space = line.indexOf(' ');
				const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
				const argument = space < 0 ? '' : line.slice(space + 1);
				const handler = replies[verb];
				if (handler !== undefined) {
					if (typeof handler === 'string') session.reply(handler);
					else void Promise.resolve(handler(session, argument)).catch(() => control.destroy());
				} else if (verb === 'AUTH' && script.tls) {
					session.reply('234 Proceed with negotiation.');
					plain.off('data', onData);
					const secure = new tls.TLSSocket(plain, {
						isServer: true,
						key: script.tls.key,
						cert: script.tls.cert,
					});
					secure.on('error', () => plain.destroy());
					secure.on('data', onData);
					control = secure;
				} else if (verb === 'AUTH') {
					session.reply('530 Please login with USER and PASS.');
				} else if (verb === 'EPSV') {
					void openPassive().then((port) =>
						session.reply(`229 Entering Extended Passive Mode (|||${port}|)`),
					);
				} else if (verb === 'PASV') {
					void openPassive().then((port) =>
						session.reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`),
					);
				} else {
					session.reply('500 Unknown command.');
				}
			}
		};
		plain.on('data', onData);
		const greeting =
			typeof script.greeting === 'function'
				? script.greeting(connection)
				: (script.greeting ?? '220 (scripted stand-in)');
		if (greeting !== undefined) session.reply(greeting);
		if (script.closeAfterGreeting) plain.end();
	});
	const host = script.host ?? HOST;
	const port = await listen(server, host);
	return {
		host,
		port,
		commands,
		rawCommands,
		get connections() {
			return connections;
		},
		close: async () => {
			for (const dataServer of dataServers) dataServer.close();
			await shutDown(server, sockets);
		},
	};
}
