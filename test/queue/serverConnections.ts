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

/**
 * One read of the kernel's table: the server's established sockets on `port` (by their remote end, the client's
 * address), and the states of their client ends (the sockets on loopback whose remote end is that server socket),
 * e.g. `{"01": 32, "05": 5}`. One read is not one instant: /proc/net/tcp is produced in pieces while sockets come and
 * go, so it can list a socket twice, or a socket that closed early in the read beside one that opened late in it
 * (a server end still established while its client end was already in FIN_WAIT2 has been seen here). `sampleConnections`
 * therefore only counts what two consecutive reads agree on.
 */
async function snapshot(
	port: number,
): Promise<{ serverEnds: Set<string>; clientEnds: Map<string, string> }> {
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
	return { serverEnds, clientEnds };
}

/** The states (kernel codes) of the client ends of `serverEnds`; `none` when the client end was not listed. */
function clientStatesOf(
	serverEnds: Iterable<string>,
	clientEnds: Map<string, string>,
): Record<string, number> {
	const states: Record<string, number> = {};
	for (const end of serverEnds) {
		const state = clientEnds.get(end) ?? 'none';
		states[state] = (states[state] ?? 0) + 1;
	}
	return states;
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
	/** The most connections that two back-to-back reads agreed on. */
	peak: number;
	/** The most one read alone listed (what this sampler counted before it compared two reads). */
	singleReadPeak: number;
	/** At the highest count above the limit: client-side sockets to the port per process (PID → count). */
	clientsAtPeak?: Record<string, number>;
	/** At the highest count above the limit: the TCP states (kernel codes) of the client ends of the server's sockets. */
	clientStatesAtPeak?: Record<string, number>;
	samples: number;
	/** How many samples saw more than `limit` connections in both reads. */
	overLimit: number;
	/** How many single reads listed more than `limit`, not confirmed by the read right after them. */
	unconfirmedOverLimit: number;
}

/**
 * Samples until `stop()`. A sample is two reads of the table, one right after the other; it counts the server sockets
 * established in both. A socket's established state is one stretch of time, so every socket in both reads was
 * established at the moment the first read ended: the count is never more than were open at once, whatever the reads
 * saw of sockets opening and closing while they were produced. An excess that lasts longer than a read (a fifth
 * connection in an execution lasts at least one transfer) is still counted.
 */
export function sampleConnections(
	port: number,
	limit: number,
): { stop: () => Promise<ConnectionSample> } {
	const result: ConnectionSample = {
		peak: 0,
		singleReadPeak: 0,
		samples: 0,
		overLimit: 0,
		unconfirmedOverLimit: 0,
	};
	let running = true;
	const loop = (async () => {
		while (running) {
			const first = await snapshot(port);
			const second = await snapshot(port);
			const both = [...first.serverEnds].filter((end) => second.serverEnds.has(end));
			result.samples++;
			result.peak = Math.max(result.peak, both.length);
			for (const read of [first, second]) {
				result.singleReadPeak = Math.max(result.singleReadPeak, read.serverEnds.size);
				if (read.serverEnds.size > limit && both.length <= limit) result.unconfirmedOverLimit++;
			}
			if (both.length > limit) {
				result.overLimit++;
				if (both.length >= result.peak) {
					result.clientStatesAtPeak = clientStatesOf(both, second.clientEnds);
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
