import type { Socket } from 'node:net';
import pLimit from 'p-limit';
import {
	Client,
	type Algorithms,
	type AnyAuthMethod,
	type AuthenticationType,
	type ConnectConfig,
	type SFTPWrapper,
} from 'ssh2';

import { checkHostKey, describeHostKey, HostKeyRefused, type PresentedHostKey } from './hostKey';
import type { SftpSettings } from './settings';

/**
 * Algorithms a modern OpenSSH server offers are all that is offered by default; `legacyAlgorithms` adds what old
 * servers need (SHA-1 key exchange and host key signatures, CBC ciphers), which weakens the connection.
 */
const LEGACY: Algorithms = {
	kex: {
		append: [
			'diffie-hellman-group14-sha1',
			'diffie-hellman-group-exchange-sha1',
			'diffie-hellman-group1-sha1',
		],
		prepend: [],
		remove: [],
	},
	serverHostKey: { append: ['ssh-rsa', 'ssh-dss'], prepend: [], remove: [] },
	cipher: {
		append: ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'],
		prepend: [],
		remove: [],
	},
	hmac: { append: ['hmac-sha1', 'hmac-md5'], prepend: [], remove: [] },
};
/** ssh2 offers host key signatures with SHA-1 (`ssh-rsa`) by default; OpenSSH stopped doing so in 8.8. */
const MODERN: Algorithms = { serverHostKey: { append: [], prepend: [], remove: ['ssh-rsa'] } };

/** What the server offered in its key exchange, from the library's debug lines: names it when nothing matched. */
export interface ServerOffer {
	kex?: string;
	hostKey?: string;
	cipher?: string;
	mac?: string;
}

/** What we learned while connecting: for the log, the credential test, and for explaining a failure. */
export interface HandshakeFacts {
	/** The server's identification string, e.g. "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3". */
	identification?: string;
	hostKey?: PresentedHostKey;
	/** Set when the host key was refused: the explanation names both fingerprints. */
	hostKeyRefused?: HostKeyRefused;
	negotiated?: string;
	offer: ServerOffer;
	/** The authentication methods the server said it accepts. */
	methodsOffered?: string[];
	methodsTried: string[];
	methodUsed?: string;
	/** How far opening got, for the failure's step. */
	stage: 'connect' | 'handshake' | 'login' | 'subsystem' | 'ready';
	sftpVersion?: number;
	/** Whether old algorithms were offered too (the hint for "no common algorithm" depends on it). */
	legacyAlgorithms: boolean;
}

export interface OpenedSftp {
	client: Client;
	sftp: SFTPWrapper;
	facts: HandshakeFacts;
}

/** A failure while opening, carrying what was learned (to explain it) with the library's error. */
export class OpenFailure extends Error {
	constructor(
		readonly cause: unknown,
		readonly facts: HandshakeFacts,
	) {
		super(cause instanceof Error ? cause.message : String(cause));
		this.name = 'OpenFailure';
	}
}

/**
 * Handshakes per server at once. OpenSSH's default MaxStartups (10:30:100) drops new connections at random once 10
 * are unauthenticated: with Concurrency 16 every connection would handshake at once.
 */
const HANDSHAKES_AT_ONCE = 4;
const handshakeLimits = new Map<string, ReturnType<typeof pLimit>>();

/** Runs `open` when fewer than HANDSHAKES_AT_ONCE connections to the same server are being opened. */
async function throttled<T>(settings: SftpSettings, open: () => Promise<T>): Promise<T> {
	const key = `${settings.host}:${settings.port}`;
	let limit = handshakeLimits.get(key);
	if (!limit) {
		limit = pLimit(HANDSHAKES_AT_ONCE);
		handshakeLimits.set(key, limit);
	}
	const used = limit;
	try {
		return await used(open);
	} finally {
		// One entry per server being connected to, not per server ever connected to.
		if (used.activeCount === 0 && used.pendingCount === 0) handshakeLimits.delete(key);
	}
}

/** The order in which methods are tried; the server's list decides which of them are. */
function authHandler(
	settings: SftpSettings,
	facts: HandshakeFacts,
): (left: AuthenticationType[] | null, partial: boolean, next: (method: unknown) => void) => void {
	const candidates: AnyAuthMethod[] = [];
	const username = settings.user;
	if (settings.privateKey !== undefined) {
		candidates.push({
			type: 'publickey',
			username,
			key: settings.privateKey,
			passphrase: settings.passphrase,
		});
	}
	if (settings.password !== '') {
		candidates.push({ type: 'password', username, password: settings.password });
		candidates.push({
			type: 'keyboard-interactive',
			username,
			// Servers ask for the password this way (PAM); any other question gets the password too, as OpenSSH's
			// client would if the user typed it.
			prompt: (_name, _instructions, _lang, prompts, finish) =>
				finish(prompts.map(() => settings.password)),
		});
	}
	let askedWithNone = false;
	return (left, _partial, next) => {
		if (!askedWithNone) {
			// "none" sends no secret and makes the server list the methods it accepts.
			askedWithNone = true;
			facts.methodsTried.push('none');
			next({ type: 'none', username });
			return;
		}
		if (left) facts.methodsOffered = [...left];
		while (candidates.length > 0) {
			const method = candidates.shift()!;
			if (left && !left.includes(method.type)) continue;
			facts.methodsTried.push(method.type);
			facts.methodUsed = method.type;
			next(method);
			return;
		}
		facts.methodUsed = undefined;
		next(false);
	};
}

const REMOTE_LIST =
	/^Handshake: \(remote\) (KEX method|Host key format|C->S cipher|C->S MAC): (.*)$/;
const OFFER_FIELDS: Record<string, keyof ServerOffer> = {
	'KEX method': 'kex',
	'Host key format': 'hostKey',
	'C->S cipher': 'cipher',
	'C->S MAC': 'mac',
};

function connectConfig(
	settings: SftpSettings,
	facts: HandshakeFacts,
	note: (line: string) => void,
): ConnectConfig {
	return {
		host: settings.host,
		port: settings.port,
		username: settings.user,
		readyTimeout: settings.timeoutMs,
		// A connection that stops answering is noticed within three intervals.
		keepaliveInterval: Math.min(15_000, settings.timeoutMs),
		keepaliveCountMax: 3,
		algorithms: settings.legacyAlgorithms ? LEGACY : MODERN,
		authHandler: authHandler(settings, facts) as unknown as ConnectConfig['authHandler'],
		hostVerifier: (blob: Buffer): boolean => {
			const presented = describeHostKey(blob);
			facts.hostKey = presented;
			facts.stage = 'handshake';
			note(`Host key: ${presented.type} ${presented.fingerprint}`);
			if (settings.acceptAnyHostKey) {
				note(
					'Host key not checked: Accept Any Host Key is on (anyone on the network path could impersonate the server)',
				);
				return true;
			}
			try {
				checkHostKey(presented, settings.hostKeyFingerprints);
				note('Host key matches the credential');
				return true;
			} catch (error) {
				facts.hostKeyRefused = error as HostKeyRefused;
				return false;
			}
		},
		debug: (line: string) => {
			const ident = /^Remote ident: '(.*)'$/.exec(line);
			if (ident) {
				facts.identification = ident[1];
				facts.stage = 'handshake';
				note(`Server identification: ${ident[1]}`);
				return;
			}
			const offered = REMOTE_LIST.exec(line);
			if (offered) facts.offer[OFFER_FIELDS[offered[1]]] = offered[2];
		},
	};
}

function describeNegotiated(negotiated: {
	kex: string;
	serverHostKey: string;
	cs: { cipher: string; mac: string; compress: string };
}): string {
	const mac =
		negotiated.cs.mac === '' ? ', MAC in the cipher (AEAD)' : `, MAC ${negotiated.cs.mac}`;
	return `key exchange ${negotiated.kex}, host key ${negotiated.serverHostKey}, cipher ${negotiated.cs.cipher}${mac}`;
}

/** One attempt: TCP, SSH handshake, authentication, the SFTP subsystem; each step with the connection timeout. */
async function attempt(settings: SftpSettings, note: (line: string) => void): Promise<OpenedSftp> {
	const facts: HandshakeFacts = {
		offer: {},
		methodsTried: [],
		stage: 'connect',
		legacyAlgorithms: settings.legacyAlgorithms,
	};
	const client = new Client();
	const fail = (error: unknown) => {
		client.end();
		return new OpenFailure(error, facts);
	};
	await new Promise<void>((resolve, reject) => {
		client.once('ready', () => {
			facts.stage = 'subsystem';
			resolve();
		});
		client.on('error', (error) => reject(fail(error)));
		client.once('close', () => reject(fail(new Error('Connection closed by the server'))));
		client.on('handshake', (negotiated) => {
			facts.negotiated = describeNegotiated(negotiated);
			facts.stage = 'login';
			note(`SSH handshake: ${facts.negotiated}`);
		});
		// The text some servers show before login (a legal notice); kept short, it is the server's to choose.
		client.on('banner', (message: string) =>
			note(`Server banner: ${message.trim().slice(0, 500)}`),
		);
		note(`Connecting to ${settings.host}:${settings.port} (SFTP)`);
		const started = Date.now();
		client.once('connect', () => {
			const socket = (client as unknown as { _sock?: Socket })._sock;
			note(
				`Connected: ${socket?.remoteAddress ?? '?'}:${socket?.remotePort ?? '?'} from ${socket?.localAddress ?? '?'}:${socket?.localPort ?? '?'} after ${Date.now() - started} ms`,
			);
		});
		client.connect(connectConfig(settings, facts, note));
		// Requests are small packets sent while answers stream in: Nagle's algorithm would hold each one back.
		client.setNoDelay(true);
	});
	note(
		`Authenticated as ${settings.user} with ${facts.methodUsed ?? 'none'} (the server accepts: ${facts.methodsOffered?.join(', ') ?? 'any'})`,
	);
	const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(fail(new Error('The server did not start the SFTP subsystem in time'))),
			settings.timeoutMs,
		);
		client.sftp((error, sftp) => {
			clearTimeout(timer);
			if (error) reject(fail(error));
			else resolve(sftp);
		});
	});
	facts.stage = 'ready';
	facts.sftpVersion = (sftp as unknown as { _version?: number })._version;
	client.removeAllListeners('error');
	client.on('error', () => undefined);
	return { client, sftp, facts };
}

/** Errors of a connection the server closed before the handshake: a server at its limit of new connections. */
function refusedForLoad(error: unknown): boolean {
	if (!(error instanceof OpenFailure) || error.facts.stage !== 'connect') return false;
	const code = (error.cause as { code?: unknown } | null)?.code;
	return (
		code === 'ECONNRESET' ||
		/closed by the server|Connection lost before handshake/i.test(error.message)
	);
}

const ATTEMPTS_WHEN_BUSY = 4;

/**
 * Connects, checks the host key, logs in and starts SFTP. A server that drops new connections under load
 * (MaxStartups) is tried again after a short wait, a few times.
 */
export async function openSftp(
	settings: SftpSettings,
	note: (line: string) => void,
): Promise<OpenedSftp> {
	for (let tried = 1; ; tried++) {
		const outcome = await throttled(settings, async () => await attempt(settings, note)).then(
			(opened) => ({ opened }),
			(error: unknown) => ({ error }),
		);
		if ('opened' in outcome) return outcome.opened;
		if (tried >= ATTEMPTS_WHEN_BUSY || !refusedForLoad(outcome.error)) {
			return await Promise.reject(outcome.error as Error);
		}
		const waitMs = 100 * 2 ** tried;
		note(
			`The server closed the connection before the handshake (busy?); trying again in ${waitMs} ms`,
		);
		await new Promise((resolve) => setTimeout(resolve, waitMs));
	}
}
