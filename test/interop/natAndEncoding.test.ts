/**
 * Passive mode behind "NAT" and Latin-1 file names, against real vsftpd 3.0.3 instances
 * (`scripts/ftp-servers.sh start-special`, see test/interop/README.md), through n8n's real execution context.
 * Needs root on Debian 12: `npx jest --config jest.interop.config.js test/interop/natAndEncoding.test.ts`.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import {
	makeFolderAsUser,
	onDisk,
	startSpecialServers,
	writeAsUser,
	type SpecialServer,
	type SpecialServers,
} from '../helpers/interopServers';
import { binaryItem, cleanupBinaryData, initBinaryData, readBinary } from '../../tools/n8nHarness';
import { credentialsFor, failingRun, runFtpNode, runWithLog, sha256 } from '../helpers/nodeRun';

let run: SpecialServers;

beforeAll(async () => {
	await initBinaryData();
	run = await startSpecialServers(['vsftpd-nat', 'vsftpd-latin1']);
}, 120_000);

afterAll(async () => {
	await run?.stop();
	await cleanupBinaryData();
}, 60_000);

const jsonOf = (output: INodeExecutionData[]) => output.map((item) => item.json);

/** A minimal FTP control connection (plain), to ask the server for PASV without the node. */
async function pasvReply(
	server: SpecialServer,
): Promise<{ host: string; port: number; reply: string; close: () => void }> {
	const socket = net.connect(server.port, server.host);
	socket.setEncoding('latin1');
	let buffer = '';
	const waiters: Array<() => void> = [];
	socket.on('data', (chunk: string) => {
		buffer += chunk;
		waiters.splice(0).forEach((wake) => wake());
	});
	const reply = async (): Promise<string> => {
		for (;;) {
			const line = /^(\d{3}) .*\r\n/m.exec(buffer);
			if (line) {
				buffer = buffer.slice(line.index + line[0].length);
				return line[0].trim();
			}
			await new Promise<void>((resolve, reject) => {
				waiters.push(resolve);
				socket.once('error', reject);
			});
		}
	};
	const send = async (command: string) => {
		socket.write(`${command}\r\n`);
		return await reply();
	};
	expect(await reply()).toMatch(/^220/);
	expect(await send(`USER ${server.username}`)).toMatch(/^331/);
	expect(await send(`PASS ${server.password}`)).toMatch(/^230/);
	const pasv = await send('PASV');
	const numbers = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv);
	if (!numbers) throw new Error(`unexpected PASV reply: ${pasv}`);
	return {
		host: numbers.slice(1, 5).join('.'),
		port: Number(numbers[5]) * 256 + Number(numbers[6]),
		reply: pasv,
		close: () => socket.destroy(),
	};
}

/** Resolves with 'connected' or the error code of a TCP connection attempt. */
async function tryConnect(host: string, port: number): Promise<string> {
	return await new Promise((resolve) => {
		const socket = net.connect({ host, port, timeout: 3000 });
		socket.once('connect', () => {
			socket.destroy();
			resolve('connected');
		});
		socket.once('timeout', () => {
			socket.destroy();
			resolve('timeout');
		});
		socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
	});
}

describe('NAT: vsftpd with pasv_address=127.0.0.2 (PASV replies name an address where nothing listens)', () => {
	let server: SpecialServer;

	beforeAll(() => {
		server = run.get('vsftpd-nat');
		expect(server.pasvAddress).toBe('127.0.0.2');
	});

	it('the reported address really is unreachable: the passive port listens on 127.0.0.1 only', async () => {
		const pasv = await pasvReply(server);
		try {
			expect(pasv.reply).toMatch(/^227 Entering Passive Mode \(127,0,0,2,\d+,\d+\)/);
			expect(pasv.host).toBe('127.0.0.2');
			expect(pasv.port).toBeGreaterThanOrEqual(server.pasvPorts[0]);
			expect(pasv.port).toBeLessThanOrEqual(server.pasvPorts[1]);
			// Loopback routes all of 127/8 locally, so this is refused only because vsftpd binds the passive socket
			// to the control connection's local address (127.0.0.1), not 0.0.0.0.
			expect(await tryConnect('127.0.0.2', pasv.port)).toBe('ECONNREFUSED');
			expect(await tryConnect('127.0.0.1', pasv.port)).toBe('connected');
		} finally {
			pasv.close();
		}
	});

	it('Passive Address "Control Connection Host" (default) with Disable EPSV: list, download and upload work over PASV', async () => {
		const credentials = credentialsFor(server, 'none', { disableEpsv: true });
		const content = randomBytes(100_000);
		await writeAsUser(server, '/nat/in.bin', content);

		const listed = await runWithLog(credentials, { operation: 'list', path: '/nat' });
		expect(jsonOf(listed.output)).toEqual([
			expect.objectContaining({
				name: 'in.bin',
				path: '/nat/in.bin',
				type: 'file',
				size: content.length,
			}),
		]);
		expect(listed.log).toMatch(/< 227 Entering Passive Mode \(127,0,0,2,/); // the server did report the unreachable address
		expect(listed.log).not.toMatch(/> EPSV/);

		const downloaded = await runWithLog(credentials, {
			operation: 'download',
			path: '/nat/in.bin',
		});
		expect(sha256(await readBinary(downloaded.output[0].binary!.data))).toBe(sha256(content));
		expect(downloaded.log).toMatch(/> PASV/);

		const uploaded = await runWithLog(credentials, { operation: 'upload', path: '/nat/out.bin' }, [
			await binaryItem(content, 'out.bin'),
		]);
		expect(jsonOf(uploaded.output)).toEqual([{ path: '/nat/out.bin', size: content.length }]);
		expect(sha256(await fsp.readFile(onDisk(server, '/nat/out.bin')))).toBe(sha256(content));
		expect(uploaded.log).toMatch(/> PASV/);
	});

	it('Passive Address "Server Reported" with Disable EPSV: fails naming the unreachable address and the fix', async () => {
		await writeAsUser(server, '/nat/in.txt', 'x');
		const error = await failingRun(
			credentialsFor(server, 'none', { disableEpsv: true, passiveAddress: 'serverReported' }),
			{ operation: 'list', path: '/nat' },
		);
		const target = /to (127\.0\.0\.2):(\d+) could not be opened/.exec(error.message);
		expect(target).not.toBeNull();
		const port = Number(target![2]);
		expect(port).toBeGreaterThanOrEqual(server.pasvPorts[0]);
		expect(port).toBeLessThanOrEqual(server.pasvPorts[1]);
		expect(error.message).toBe(
			`The data connection to 127.0.0.2:${port} could not be opened or was interrupted while trying to list the folder "/nat" (Can't open data connection in passive mode: connect ECONNREFUSED 127.0.0.2:${port})`,
		);
		expect(error.description).toContain('keep Passive Address on Control Connection Host');
	});

	it('Passive Address "Server Reported" without Disable EPSV works: EPSV replies carry no address', async () => {
		const { output, log } = await runWithLog(
			credentialsFor(server, 'none', { passiveAddress: 'serverReported' }),
			{ operation: 'list', path: '/nat' },
		);
		expect(jsonOf(output).map((entry) => entry.name)).toContain('in.bin');
		expect(log).toMatch(/< 229 Entering Extended Passive Mode/);
		expect(log).not.toMatch(/> PASV/);
	});
});

describe('Latin-1 file names: vsftpd passes name bytes through, the files on disk have Latin-1 names', () => {
	const NAME = 'Bericht März.txt';
	const latin1 = (name: string) => Buffer.from(name, 'latin1');
	let server: SpecialServer;
	let content: Buffer;

	/** The names in a folder on disk, as raw bytes. */
	async function namesOnDisk(remoteFolder: string): Promise<Buffer[]> {
		return await fsp.readdir(onDisk(server, remoteFolder), { encoding: 'buffer' });
	}

	beforeAll(async () => {
		server = run.get('vsftpd-latin1');
		content = randomBytes(50_000);
		for (const folder of ['/latin1', '/utf8']) {
			await makeFolderAsUser(server, folder);
			// Not representable as a JS string path: write it by its bytes.
			const file = Buffer.concat([Buffer.from(onDisk(server, folder) + path.sep), latin1(NAME)]);
			await fsp.writeFile(file, content);
			await fsp.chown(file, server.uid, server.gid);
			expect(await namesOnDisk(folder)).toEqual([latin1(NAME)]);
			expect(latin1(NAME)).not.toEqual(Buffer.from(NAME, 'utf8')); // "ä" is E4 in Latin-1, C3 A4 in UTF-8
		}
	});

	describe('with File Name Encoding "latin1"', () => {
		let credentials: ICredentialDataDecryptedObject;

		beforeAll(() => {
			credentials = credentialsFor(server, 'none', { encoding: 'latin1' });
		});

		it('lists the name correctly, and does not send OPTS UTF8 ON', async () => {
			const { output, log } = await runWithLog(credentials, { operation: 'list', path: '/latin1' });
			expect(jsonOf(output)).toEqual([
				expect.objectContaining({
					name: NAME,
					path: `/latin1/${NAME}`,
					type: 'file',
					size: content.length,
				}),
			]);
			expect(log).not.toMatch(/OPTS UTF8/);
		});

		it('downloads it with identical bytes', async () => {
			const [item] = await runFtpNode(credentials, {
				operation: 'download',
				path: `/latin1/${NAME}`,
			});
			expect(item.json).toEqual({ path: `/latin1/${NAME}`, size: content.length });
			expect(item.binary!.data.fileName).toBe(NAME);
			expect(sha256(await readBinary(item.binary!.data))).toBe(sha256(content));
		});

		it('uploads a new file whose name is written in Latin-1 on disk', async () => {
			const upload = 'Übersicht Größe ½.txt';
			const [item] = await runFtpNode(credentials, {
				operation: 'upload',
				path: `/latin1/${upload}`,
				binaryData: false,
				fileContent: 'neu',
			});
			expect(item.json).toEqual({ path: `/latin1/${upload}`, size: 3 });
			const names = await namesOnDisk('/latin1');
			expect(names).toContainEqual(latin1(upload));
			expect(names).not.toContainEqual(Buffer.from(upload, 'utf8'));
			const listed = await runFtpNode(credentials, { operation: 'list', path: '/latin1' });
			expect(listed.map((entry) => entry.json.name).sort()).toEqual([NAME, upload].sort());
		});

		it('refuses a path whose Latin-1 bytes would carry a second command; vsftpd keeps the file and the folder', async () => {
			// In Latin-1, č (U+010D) and Ċ (U+010A) would go out as CR and LF: DELE /latin1/victim.csv, then RMD /important.
			await writeAsUser(server, '/latin1/victim.csv', 'keep me');
			await makeFolderAsUser(server, '/important');
			const error = await failingRun(credentials, {
				operation: 'delete',
				path: '/latin1/victim.csv\u010d\u010aRMD /important',
			});
			expect(error.message).toContain(
				'contains "č" (U+010D), which File Name Encoding Latin-1 cannot carry',
			);
			expect(await fsp.readFile(onDisk(server, '/latin1/victim.csv'), 'utf8')).toBe('keep me');
			expect((await fsp.stat(onDisk(server, '/important'))).isDirectory()).toBe(true);
			await fsp.rm(onDisk(server, '/latin1/victim.csv'));
		});

		it('renames into a new Latin-1-named folder', async () => {
			const folder = '/latin1/Ältere Berichte';
			const renamed = `${folder}/Bericht März (alt).txt`;
			const [item] = await runFtpNode(credentials, {
				operation: 'rename',
				oldPath: `/latin1/${NAME}`,
				newPath: renamed,
				options: { createDirectories: true },
			});
			expect(item.json).toEqual({ oldPath: `/latin1/${NAME}`, newPath: renamed });
			expect(await namesOnDisk('/latin1')).toContainEqual(latin1('Ältere Berichte'));
			expect(await namesOnDisk('/latin1')).not.toContainEqual(latin1(NAME));
			const moved = Buffer.concat([
				Buffer.from(onDisk(server, '/latin1') + path.sep),
				latin1('Ältere Berichte/Bericht März (alt).txt'),
			]);
			expect(sha256(await fsp.readFile(moved))).toBe(sha256(content));
		});
	});

	describe('with the default File Name Encoding "utf8"', () => {
		it('shows the Latin-1 byte as U+FFFD (the replacement character), and cannot download either name', async () => {
			const credentials = credentialsFor(server, 'none');
			const listed = await runFtpNode(credentials, { operation: 'list', path: '/utf8' });
			const garbled = 'Bericht M\uFFFDrz.txt';
			expect(jsonOf(listed)).toEqual([
				expect.objectContaining({ name: garbled, path: `/utf8/${garbled}`, size: content.length }),
			]);

			// The proper name goes out as UTF-8 (C3 A4), which is not the file's name (E4) on this server.
			const proper = await failingRun(credentials, {
				operation: 'download',
				path: `/utf8/${NAME}`,
			});
			expect(proper.message).toBe(
				`Cannot download "/utf8/${NAME}": it does not exist or permission is denied (server replied: 550 Failed to open file.)`,
			);
			// The listed name cannot be used either: U+FFFD goes out as EF BF BD.
			const shown = await failingRun(credentials, {
				operation: 'download',
				path: `/utf8/${garbled}`,
			});
			expect(shown.message).toBe(
				`Cannot download "/utf8/${garbled}": it does not exist or permission is denied (server replied: 550 Failed to open file.)`,
			);
		});
	});
});
