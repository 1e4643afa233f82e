/**
 * Counts the FTP server's connections on the server's side: the kernel's table of TCP sockets (/proc/net/tcp, what
 * `ss` reads) sampled every few milliseconds, counting established sockets whose local port is the server's control
 * port (one per FTP session vsftpd accepted). The node's pool opens at most Concurrency sessions per execution, and
 * adapts silently when a server refuses one more, so a limit on the server (vsftpd max_per_ip) would hide an excess
 * instead of showing it: this counts what arrives.
 */
import { promises as fsp } from 'fs';

const ESTABLISHED = '01';
const SAMPLE_EVERY_MS = 5;

/** Established TCP connections whose local port is `port` (IPv4; the server listens on 127.0.0.1). */
export async function establishedOnPort(port: number): Promise<number> {
	return (await snapshot(port)).server;
}

/**
 * One read of the kernel's table. Server sockets are counted once per client end (a set): /proc/net/tcp is produced
 * in pieces while sockets come and go, and may then list a socket twice (counted line by line, 37 appeared here for
 * the 32 connections the workers held).: the server's established sockets on `port`, and the states of their client ends
 * (the sockets on loopback whose remote end is that server socket), e.g. `{"01": 32, "05": 5}`.
 */
async function snapshot(
	port: number,
): Promise<{ server: number; clientStates: Record<string, number> }> {
	const table = await fsp.readFile('/proc/net/tcp', 'utf8');
	const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
	const serverEnds = new Set<string>();
	const clientEnds = new Map<string, string>();
	for (const line of table.split('\n').slice(1)) {
		const fields = line.trim().split(/\s+/);
		if (fields.length < 4) continue;
		const [, local, remote, state] = fields;
		if (local.endsWith(hexPort) && state === ESTABLISHED) serverEnds.add(remote);
		else if (remote.endsWith(hexPort)) clientEnds.set(local, state);
	}
	const clientStates: Record<string, number> = {};
	for (const end of serverEnds) {
		const state = clientEnds.get(end) ?? 'none';
		clientStates[state] = (clientStates[state] ?? 0) + 1;
	}
	return { server: serverEnds.size, clientStates };
}

/** Which processes hold the client ends of connections to `port` (by the socket inodes in /proc/PID/fd). */
async function clientsByProcess(port: number): Promise<Record<string, number>> {
	const table = await fsp.readFile('/proc/net/tcp', 'utf8');
	const remote = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
	const inodes = new Set<string>();
	for (const line of table.split('\n').slice(1)) {
		const fields = line.trim().split(/\s+/);
		if (fields.length > 9 && fields[2].endsWith(remote) && fields[3] === ESTABLISHED)
			inodes.add(fields[9]);
	}
	const owners: Record<string, number> = {};
	for (const pid of (await fsp.readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
		const fds = await fsp.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
		for (const fd of fds) {
			const target = await fsp.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
			const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
			if (inode && inodes.has(inode)) owners[pid] = (owners[pid] ?? 0) + 1;
		}
	}
	return owners;
}

export interface ConnectionSample {
	peak: number;
	/** At the highest count above the limit: client-side sockets to the port per process (PID → count). */
	clientsAtPeak?: Record<string, number>;
	/** At the highest count above the limit: the TCP states (kernel codes) of the client ends of the server's sockets. */
	clientStatesAtPeak?: Record<string, number>;
	samples: number;
	/** How many samples saw more than `limit` connections. */
	overLimit: number;
}

/** Samples until `stop()`; `stop()` resolves with the peak and how many samples were taken. */
export function sampleConnections(
	port: number,
	limit: number,
): { stop: () => Promise<ConnectionSample> } {
	const result: ConnectionSample = { peak: 0, samples: 0, overLimit: 0 };
	let running = true;
	const loop = (async () => {
		while (running) {
			const { server: count, clientStates } = await snapshot(port);
			result.samples++;
			result.peak = Math.max(result.peak, count);
			if (count > limit) {
				result.overLimit++;
				if (count >= result.peak) {
					result.clientStatesAtPeak = clientStates;
					result.clientsAtPeak = await clientsByProcess(port);
				}
			}
			await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
		}
	})();
	return {
		stop: async () => {
			running = false;
			await loop;
			return result;
		},
	};
}
