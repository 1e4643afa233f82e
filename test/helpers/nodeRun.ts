import { createHash, randomBytes } from 'crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'fs';
import * as path from 'path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { RemoteSession } from '../../nodes/FtpAutomation/transport';
import type { TestFtpServer } from '../../tools/ftpServer';
import { runFtpNode } from '../../tools/ftpNode';

import type { ShownError } from './shownError';

/** What a credential needs from a test server: an in-process ftp-srv, or a real one from scripts/ftp-servers.sh. */
export type CredentialTarget = Pick<TestFtpServer, 'host' | 'port' | 'username' | 'password'> &
	({ certificate?: { cert: string } } | { caCertificate: string });

/** The `ftpAutomationApi` credential for a test server: TLS verified against the server's own certificate. */
export function credentialsFor(
	server: CredentialTarget,
	security: 'none' | 'explicit' | 'implicit',
	overrides: IDataObject = {},
): ICredentialDataDecryptedObject {
	return {
		host: server.host,
		port: server.port,
		security,
		anonymous: false,
		username: server.username,
		password: server.password,
		caCertificate:
			'caCertificate' in server ? server.caCertificate : (server.certificate?.cert ?? ''),
		connectionTimeout: 10,
		...overrides,
	};
}

export { runFtpNode };

/** Runs the node and returns its output with the connection log of the one session (one login) it opened. */
export async function runWithLog(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	items?: INodeExecutionData[],
): Promise<{ output: INodeExecutionData[]; log: string }> {
	const open = jest.spyOn(RemoteSession, 'open');
	try {
		const output = await runFtpNode(credentials, parameters, items ? { items } : {});
		expect(open).toHaveBeenCalledTimes(1);
		const session = await (open.mock.results[0].value as Promise<RemoteSession>);
		return { output, log: session.log.tail(400).join('\n') };
	} finally {
		open.mockRestore();
	}
}

/** Runs the node expecting it to fail; returns the error. */
export async function failingRun(
	credentials: ICredentialDataDecryptedObject,
	parameters: INodeParameters,
	options: { items?: INodeExecutionData[] } = {},
): Promise<ShownError> {
	try {
		await runFtpNode(credentials, parameters, options);
	} catch (error) {
		return error as ShownError;
	}
	throw new Error('the node did not fail');
}

export function sha256(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}

export async function sha256OfFile(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/** Writes `bytes` random bytes to `file` in 1 MiB chunks and returns their SHA-256. */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
	await fsp.mkdir(path.dirname(file), { recursive: true });
	const hash = createHash('sha256');
	const out = createWriteStream(file);
	for (let written = 0; written < bytes; ) {
		const chunk = randomBytes(Math.min(1024 * 1024, bytes - written));
		hash.update(chunk);
		if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
		written += chunk.length;
	}
	await new Promise<void>((resolve, reject) =>
		out.end((error?: Error | null) => (error ? reject(error) : resolve())),
	);
	return hash.digest('hex');
}

/** Fails if `promise` has not settled after `ms`: for code under test that used to hang (the execution never ended). */
export async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`the execution did not end within ${ms} ms`)), ms);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}
