/**
 * A throw-away PostgreSQL server for the end-to-end suite: Debian's PostgreSQL (installed by
 * `scripts/n8n-e2e.sh postgres-install` when missing), a new cluster in a temp folder, listening on 127.0.0.1 on a
 * free port (Unix socket in the temp folder too), password authentication. Needs root: initdb and the server run as
 * the `postgres` account (PostgreSQL refuses to run as root). `stop()` stops exactly this cluster (`pg_ctl stop`
 * on its data folder, i.e. the PID in its postmaster.pid) and removes the folder.
 */
import { randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { runCommand, type CommandResult } from '../../tools/commands';
import { freePort, REPO } from '../../tools/n8n';

export interface Postgres {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	/** Runs SQL with psql (`-At`: unaligned, tuples only, `|` between columns); throws on error. */
	psql(sql: string): Promise<string>;
	stop(): Promise<void>;
}

async function exec(
	file: string,
	args: string[],
	env: NodeJS.ProcessEnv = {},
	timeout = 60_000,
): Promise<CommandResult> {
	return await runCommand(file, args, {
		env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env },
		timeoutMs: timeout,
	});
}

async function execOrThrow(
	file: string,
	args: string[],
	env: NodeJS.ProcessEnv = {},
	timeout?: number,
): Promise<string> {
	const result = await exec(file, args, env, timeout);
	if (result.code !== 0) {
		throw new Error(
			`${file} ${args.join(' ')} failed (exit ${String(result.code)})\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
		);
	}
	return result.stdout;
}

/** The newest installed PostgreSQL's bin folder (/usr/lib/postgresql/<major>/bin). */
async function binFolder(): Promise<string> {
	const majors = (await fsp.readdir('/usr/lib/postgresql'))
		.filter((name) => /^\d+$/.test(name))
		.sort((a, b) => Number(b) - Number(a));
	for (const major of majors) {
		const bin = `/usr/lib/postgresql/${major}/bin`;
		try {
			await fsp.access(path.join(bin, 'initdb'));
			return bin;
		} catch {
			// try the next one
		}
	}
	throw new Error('no /usr/lib/postgresql/<major>/bin/initdb');
}

export async function startPostgres(): Promise<Postgres> {
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		throw new Error('The e2e suite needs root to start PostgreSQL as the postgres account.');
	}
	await execOrThrow(
		'bash',
		[path.join(REPO, 'scripts/n8n-e2e.sh'), 'postgres-install'],
		{ HOME: os.homedir() },
		15 * 60_000,
	);
	const bin = await binFolder();
	const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'n8n-e2e-postgres-'));
	const data = path.join(dir, 'data');
	const socket = path.join(dir, 'socket');
	const log = path.join(dir, 'postgres.log');
	const user = 'e2e';
	const database = 'e2e';
	const password = `pg-${randomBytes(9).toString('hex')}`;
	const asPostgres = (tool: string, args: string[], timeout?: number) =>
		execOrThrow('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], {}, timeout);
	let started = false;
	const stop = async () => {
		try {
			if (started) await asPostgres('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']);
		} finally {
			await fsp.rm(dir, { recursive: true, force: true });
		}
	};
	try {
		await fsp.mkdir(socket);
		const pwfile = path.join(dir, 'pwfile');
		await fsp.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
		const account = await execOrThrow('id', ['-u', 'postgres']);
		const group = await execOrThrow('id', ['-g', 'postgres']);
		for (const entry of [dir, socket, pwfile])
			await fsp.chown(entry, Number(account), Number(group));
		await asPostgres('initdb', [
			'-D',
			data,
			'-U',
			user,
			'--pwfile',
			pwfile,
			'--auth',
			'scram-sha-256',
			'-E',
			'UTF8',
			'--locale',
			'C.UTF-8',
		]);
		await fsp.rm(pwfile);

		const port = await freePort();
		const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${socket} -c fsync=off`;
		started = true;
		await asPostgres(
			'pg_ctl',
			['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', options],
			90_000,
		);

		const psql = async (sql: string, db = database) =>
			(
				await execOrThrow(
					path.join(bin, 'psql'),
					[
						'-h',
						'127.0.0.1',
						'-p',
						String(port),
						'-U',
						user,
						'-d',
						db,
						'-v',
						'ON_ERROR_STOP=1',
						'-At',
						'-c',
						sql,
					],
					{ PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
				)
			).trimEnd();
		await psql(`CREATE DATABASE ${database}`, 'postgres');
		return { host: '127.0.0.1', port, database, user, password, psql: (sql) => psql(sql), stop };
	} catch (error) {
		const serverLog = await fsp.readFile(log, 'utf8').catch(() => '(no log)');
		await stop().catch(() => undefined);
		throw new Error(`${(error as Error).message}\n--- ${log} ---\n${serverLog}`);
	}
}
