import type { Client } from 'basic-ftp';
import type { Socket } from 'node:net';
import { posix } from 'node:path';
import { pipeline, type Readable, type Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';

import type {
	ChecksumAlgorithm,
	FolderListing,
	RemoteConnection,
	RemoteStat,
	ServerCapabilities,
	ServerFacts,
} from '../contract';
import { DEFAULTS } from '../defaults';
import { RemoteFailure, ResumeRefused, type FailureStep } from '../failures';
import { parentOf, pathOfPwdReply } from '../paths';
import { ByteCounter } from '../streams';
import { listingByteLimit } from '../walk/walkLimits';
import { enforcePin, pinMismatch } from './certificatePin';
import {
	createClient,
	endingAfterHandshake,
	handshakeOf,
	watchDataConnections,
} from './dataConnection';
import { useTlsWithin } from './deadline';
import { explainFailure, isTransientFtpError } from './ftpFailures';
import { parseListing, toRemoteEntry, type ParsedListing } from './listingText';
import { deliverWholeLines } from './replyLines';
import {
	FtpChecksums,
	ftpChecksumAlgorithms,
	setFtpModifiedAt,
	setsModifiedTimes,
} from './serverCommands';
import { hasNonAscii, LIST_PROTOCOL_LINE, plainWords } from './logLines';
import { tlsConnectOptions, type ConnectionSettings } from './settings';
import { describeCertificate, describeEndpoints, describeTls } from './tlsFacts';
import { describeDataConnection, withRejectedCertificateLogged } from './tlsDiagnostics';
import { checkEncodable, guardCommandBytes } from './wireEncoding';

const SECURITY_NAMES = { none: 'plain FTP', explicit: 'explicit FTPS', implicit: 'implicit FTPS' };

/** basic-ftp reads this before every listing; the cast reaches an option its types mark protected. */
function setListingByteLimit(client: Client, bytes: number): void {
	(client as unknown as { options: { maxListingBytes: number } }).options.maxListingBytes = bytes;
}

/** Replies to a command the server does not implement (or not with that argument). */
function isNotImplemented(code: unknown): boolean {
	return code === 500 || code === 501 || code === 502 || code === 504;
}

function replyCodeOf(error: unknown): number | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'number' ? code : undefined;
}

/** One logged-in FTP or FTPS connection (basic-ftp), as the engine's contract describes it. */
export class FtpConnection implements RemoteConnection {
	homeDirectory = '/';
	private banner = '';
	private features = new Map<string, string>();
	private checksums: FtpChecksums | undefined;
	private listsWithMlsd = false;
	/** While a listing is received, basic-ftp logs its text: the log keeps its size, not every name in it. */
	private listing = false;
	/** What the listing being received is of, for the parser that basic-ftp calls with its text. */
	private listingRequest = { directory: '/', maxEntries: 1 };
	private lastListing: ParsedListing = { entries: [], skipped: [], badFacts: [] };
	/** The TLS handshake of each data connection; uploads end only after it (see endingAfterHandshake). */
	private readonly dataHandshakes = new WeakMap<Socket, Promise<void>>();
	private readonly client: Client;

	private constructor(
		private readonly settings: ConnectionSettings,
		private readonly note: (line: string) => void,
	) {
		this.client = createClient(settings);
		guardCommandBytes(this.client.ftp);
		deliverWholeLines(this.client.ftp);
		this.client.parseList = (text: string) => {
			const { directory, maxEntries } = this.listingRequest;
			this.lastListing = parseListing(text, directory, maxEntries);
			return this.lastListing.entries;
		};
		this.client.ftp.verbose = true;
		const pin = settings.pinnedFingerprint;
		watchDataConnections(this.client, (socket) => {
			this.dataHandshakes.set(socket, handshakeOf(socket));
			describeDataConnection(socket, settings, note);
			if (pin !== undefined) enforcePin(socket, pin);
		});
		this.client.ftp.log = (message: string) => {
			if (this.listing && !LIST_PROTOCOL_LINE.test(message)) {
				const lines = message.split(/\r?\n/).filter((line) => line.trim() !== '').length;
				note(`Listing received: ${lines} lines`);
				return;
			}
			note(plainWords(message, settings.security));
		};
	}

	/** Connects, secures and logs in, step by step; a failure is explained and names the step that failed. */
	static async open(
		settings: ConnectionSettings,
		note: (line: string) => void,
	): Promise<FtpConnection> {
		const connection = new FtpConnection(settings, note);
		// A refused login (e.g. a server at its connection limit) must not leave the connection open.
		await connection.connect().catch(async (error: unknown) => {
			connection.client.close();
			return await Promise.reject(error as Error);
		});
		return connection;
	}

	get closed(): boolean {
		return this.client.closed;
	}

	get capabilities(): ServerCapabilities {
		return {
			// REST is tried on every resumed download; a server that refuses it is explained then.
			resume: true,
			size: this.features.has('SIZE'),
			exactTimes: this.listsWithMlsd,
			// Many servers (ProFTPD without AllowOverwrite, pure-ftpd) refuse to rename onto an existing file.
			renameReplaces: false,
			checksums: ftpChecksumAlgorithms(this.features),
			setModifiedAt: setsModifiedTimes(this.features),
		};
	}

	get facts(): ServerFacts {
		const socket = this.client.ftp.socket;
		const tlsVersion = socket instanceof TLSSocket ? socket.getProtocol() : undefined;
		const security =
			this.settings.security === 'none'
				? 'plain FTP (not encrypted)'
				: `${this.settings.security} FTPS (${tlsVersion ?? 'TLS version unknown'})`;
		// A multi-line greeting (220-… 220 …) becomes one line.
		const greeting = this.banner
			.split(/\r?\n/)
			.map((line) => line.replace(/^220[ -]?/, '').trim())
			.filter((line) => line !== '')
			.join(' ');
		const mlsd = `MLSD: ${this.listsWithMlsd ? 'yes' : 'no (modification times via MDTM)'}.`;
		return { security, greeting, notes: [mlsd] };
	}

	/** Runs one step of opening the connection; its failure is explained as that step's. */
	private async step<T>(step: FailureStep, work: () => Promise<T>, action?: string): Promise<T> {
		const { host, port, security, timeoutMs, dataConnection, anonymous } = this.settings;
		return await work().catch(async (error: unknown) => {
			const context = { step, host, port, security, timeoutMs, dataConnection, anonymous, action };
			const failure = explainFailure(error, context);
			return await Promise.reject(failure.with({ retryable: isTransientFtpError(error) }));
		});
	}

	private async connect(): Promise<void> {
		const { host, port, security, user, password } = this.settings;
		this.note(`Connecting to ${host}:${port} (${SECURITY_NAMES[security]})`);
		const started = Date.now();
		const handshake = async <T>(work: () => Promise<T>) =>
			await withRejectedCertificateLogged(this.settings, this.note, work);
		// TLS options are made inside the steps: a client key or certificate that cannot be used is explained.
		const welcome = await this.step('connect', async () =>
			security === 'implicit'
				? await handshake(
						async () =>
							await this.client.connectImplicitTLS(host, port, tlsConnectOptions(this.settings)),
					)
				: await this.client.connect(host, port),
		);
		this.note(
			`Connected: ${describeEndpoints(this.client.ftp.socket)}, greeting after ${Date.now() - started} ms`,
		);
		this.banner = welcome.message.replace(/^220[ -]?/, '').trim();
		if (security === 'explicit') {
			const options = tlsConnectOptions(this.settings) ?? {};
			await this.step('tls', async () =>
				handshake(async () => await useTlsWithin(this.client, options, this.settings.timeoutMs)),
			);
		}
		const control = this.client.ftp.socket;
		const pin = this.settings.pinnedFingerprint;
		if (control instanceof TLSSocket) {
			this.note(`TLS: ${describeTls(control)}`);
			this.note(`Server certificate: ${describeCertificate(control.getPeerCertificate())}`);
			// Before login: the password must not reach a server that is not the pinned one.
			const mismatch = pin === undefined ? undefined : pinMismatch(control, pin);
			if (mismatch) await this.step('tls', async () => await Promise.reject(mismatch));
		}
		const utf8 = this.settings.encoding === 'utf8';
		await this.step('login', async () => {
			// Only a non-ASCII user name or password needs the server in UTF-8 mode before login; many servers
			// (vsftpd) refuse any command but USER and PASS then, so nobody else is sent it before login.
			if (utf8 && hasNonAscii(`${user}${password}`)) await this.utf8Mode('before login');
			await this.client.login(user, password);
		});
		await this.step(
			'login',
			async () => await this.prepare(utf8),
			'prepare the session after login',
		);
		this.homeDirectory = await this.step(
			'directory',
			async () => await this.client.pwd(),
			'read the working directory (PWD)',
		);
	}

	/**
	 * basic-ftp's useDefaultSettings, keeping the FEAT reply (SIZE, REST) and sending OPTS UTF8 ON only for UTF-8: it
	 * would switch some servers to UTF-8 names while this connection speaks Latin-1.
	 */
	private async prepare(utf8: boolean): Promise<void> {
		const features = await this.client.features();
		this.features = features;
		this.client.availableListCommands = features.has('MLST')
			? ['MLSD', 'LIST -a', 'LIST']
			: ['LIST -a', 'LIST'];
		await this.client.send('TYPE I');
		await this.client.sendIgnoringError('STRU F');
		if (utf8) await this.utf8Mode('after login');
		if (features.has('MLST')) {
			await this.client.sendIgnoringError(
				'OPTS MLST type;size;modify;unique;unix.mode;unix.owner;unix.group;unix.ownername;unix.groupname;',
			);
		}
		if (this.client.ftp.hasTLS) {
			await this.client.sendIgnoringError('PBSZ 0');
			await this.client.sendIgnoringError('PROT P');
		}
		this.listsWithMlsd = features.has('MLST');
	}

	/** Asks for UTF-8 names (OPTS UTF8 ON); a refusal is logged in words: names are sent as UTF-8 all the same. */
	private async utf8Mode(when: 'before login' | 'after login'): Promise<void> {
		const reply = await this.client.sendIgnoringError('OPTS UTF8 ON');
		if (reply.code >= 400) {
			this.note(
				`The server refused OPTS UTF8 ON ${when} (${reply.code}); names are sent as UTF-8 (the credential's Encoding) all the same${when === 'before login' ? ', and it is asked again after login' : ''}`,
			);
		}
	}

	close(): void {
		this.client.close();
	}

	checkPath(path: string, label: string): void {
		checkEncodable(path, this.settings.encoding, label);
	}

	/**
	 * After a transfer failed without a reply from the server (a dropped or stalled data connection), the server's
	 * reply to it may still arrive, and basic-ftp would take it for the answer to our next command. A new control
	 * connection starts clean.
	 */
	private dropControlConnectionAfter(error: unknown): void {
		if (replyCodeOf(error) !== undefined || this.client.closed) return;
		this.note(
			'Closing the control connection: a late reply to the failed transfer must not answer the next command',
		);
		this.client.close();
	}

	/** Only entries whose names are plain names in the folder are kept (see listingText.ts); the rest is logged. */
	async list(folder: string, options: { maxEntries: number }): Promise<FolderListing> {
		const { maxEntries } = options;
		this.listing = true;
		this.listingRequest = { directory: folder, maxEntries };
		setListingByteLimit(this.client, listingByteLimit(maxEntries));
		try {
			await this.client.list(folder).catch(async (error: unknown) => {
				if (!/maximum bytes exceeded/i.test((error as Error).message))
					return await Promise.reject(error as Error);
				// The server is still sending: its late reply must not answer the next command.
				this.dropControlConnectionAfter(error);
				return await Promise.reject(
					new RemoteFailure(
						'command',
						`The listing of "${folder}" is larger than ${Math.round(listingByteLimit(maxEntries) / 2 ** 20)} MiB, too large for ${maxEntries} entries`,
						'Raise the limit of entries per folder if the folder really is that large, or list a smaller folder. A server that sends an endless listing is broken.',
						{ fixInNode: 'tooManyEntries' },
					),
				);
			});
		} finally {
			this.listing = false;
		}
		const { skipped, badFacts, entries, folderUniqueId, parentUniqueId } = this.lastListing;
		const some = (items: string[]) =>
			`${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;
		if (skipped.length > 0) {
			this.note(
				`Left out ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} of "${folder}" whose name is not a plain name in it (a path, . or .., or control characters): ${some(skipped)}`,
			);
		}
		if (badFacts.length > 0) {
			this.note(
				`Ignored ${badFacts.length} MLSD ${badFacts.length === 1 ? 'fact' : 'facts'} of "${folder}" that make no sense (that field is null): ${some(badFacts)}`,
			);
		}
		return { entries: entries.map(toRemoteEntry), folderUniqueId, parentUniqueId };
	}

	/** True if `path` is a folder we can enter; leaves the working directory as it was. */
	async isFolder(path: string): Promise<boolean> {
		const entered = await this.client.sendIgnoringError(`CWD ${path}`);
		if (entered.code >= 300) return false;
		await this.client.sendIgnoringError(`CWD ${this.homeDirectory}`);
		return true;
	}

	async stat(path: string): Promise<RemoteStat | undefined> {
		// Asked first: some servers (ftp-srv) answer SIZE of a folder with a size.
		if (await this.isFolder(path)) return { type: 'directory' };
		const answer = await this.client.size(path).then(
			(size) => ({ size }),
			(error: unknown) => ({ error }),
		);
		if ('size' in answer) return { type: 'file', size: this.plausibleSize(path, answer.size) };
		if (this.client.closed) throw answer.error;
		// A refusal that says "no such file" means there is none; anything else is no answer at all.
		const code = replyCodeOf(answer.error);
		if (code !== undefined && !isNotImplemented(code)) return undefined;
		// No usable SIZE: look for the name in its folder's listing.
		const name = posix.basename(path);
		const { entries } = await this.list(parentOf(path), {
			maxEntries: DEFAULTS.maxEntriesPerFolder,
		});
		const entry = entries.find((info) => info.name === name);
		return entry ? { type: entry.type, size: entry.size ?? undefined } : undefined;
	}

	async size(path: string): Promise<number | undefined> {
		if (!this.features.has('SIZE')) return undefined;
		const size = await this.client
			.size(path)
			.catch(async (error: unknown) =>
				this.client.closed ? await Promise.reject(error as Error) : undefined,
			);
		return this.plausibleSize(path, size);
	}

	/** A size from a SIZE reply, unless it makes no sense (negative, beyond 2^53): then unknown, and logged. */
	private plausibleSize(path: string, size: number | undefined): number | undefined {
		if (size === undefined || (Number.isSafeInteger(size) && size >= 0)) return size;
		this.note(
			`Ignored the size the server reported for "${path}" (${size}): it is not a possible size`,
		);
		return undefined;
	}

	async modifiedAt(path: string): Promise<string | null> {
		const date = await this.client
			.lastMod(path)
			.catch(async (error: unknown) =>
				this.client.closed ? await Promise.reject(error as Error) : undefined,
			);
		return date === undefined || Number.isNaN(date.getTime()) ? null : date.toISOString();
	}

	/** Its PWD after CWD: servers that resolve links name the link's target there; others repeat the path. */
	async realPath(path: string): Promise<string | undefined> {
		const entered = await this.client.sendIgnoringError(`CWD ${path}`);
		if (entered.code >= 300) return undefined;
		try {
			const reply = await this.client.sendIgnoringError('PWD');
			return reply.code === 257 ? pathOfPwdReply(reply.message) : undefined;
		} finally {
			await this.client.sendIgnoringError(`CWD ${this.homeDirectory}`);
		}
	}

	async read(path: string, destination: Writable, offset: number): Promise<void> {
		await this.client.downloadTo(destination, path, offset).catch(async (error: unknown) => {
			this.dropControlConnectionAfter(error);
			const code = replyCodeOf(error);
			if (offset > 0 && isNotImplemented(code))
				throw new ResumeRefused(`REST refused: ${(error as Error).message}`, code);
			return await Promise.reject(error as Error);
		});
	}

	async write(source: Readable, path: string, mode: 'replace' | 'append'): Promise<number> {
		const counter = new ByteCounter();
		// A source that fails (e.g. a binary file missing from n8n's store) fails the upload through `counter`.
		pipeline(source, counter, () => undefined);
		const upload = endingAfterHandshake(counter, async () => {
			const socket = this.client.ftp.dataSocket;
			await (socket ? this.dataHandshakes.get(socket) : undefined);
		});
		try {
			if (mode === 'append') await this.client.appendFrom(upload, path);
			else await this.client.uploadFrom(upload, path);
		} catch (error) {
			this.dropControlConnectionAfter(error);
			return await Promise.reject(error as Error);
		} finally {
			// If the server refused before reading, this releases the source (e.g. an open file in n8n's store).
			counter.destroy();
		}
		return counter.bytes;
	}

	async rename(from: string, to: string): Promise<void> {
		await this.client.rename(from, to);
	}

	async removeFile(path: string): Promise<void> {
		await this.client.remove(path);
	}

	async removeFolder(path: string): Promise<void> {
		await this.client.removeEmptyDir(path);
	}

	async checksum(path: string, algorithm: ChecksumAlgorithm): Promise<string> {
		this.checksums ??= new FtpChecksums(this.client, this.features);
		return await this.checksums.checksum(path, algorithm);
	}

	async setModifiedAt(path: string, isoTime: string): Promise<void> {
		await setFtpModifiedAt(this.client, this.features, path, isoTime);
	}

	async makeFolder(path: string): Promise<void> {
		await this.client.send(`MKD ${path}`);
	}
}
