import { execFile } from 'child_process';

/** How a command ended: its exit code (or the signal/error code that ended it), its output and its duration. */
export interface CommandResult {
	code: number | string | null;
	stdout: string;
	stderr: string;
	ms: number;
}

/**
 * Runs `file` with `args` and resolves with how it ended; never rejects (the caller reads `code`). A command that
 * outlives `timeoutMs` is killed with SIGKILL.
 */
export async function runCommand(
	file: string,
	args: string[],
	options: { env: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string; maxBufferBytes?: number },
): Promise<CommandResult> {
	const started = Date.now();
	return await new Promise((resolve) => {
		execFile(
			file,
			args,
			{
				env: options.env,
				cwd: options.cwd,
				timeout: options.timeoutMs,
				maxBuffer: options.maxBufferBytes ?? 16 * 1024 * 1024,
				killSignal: 'SIGKILL',
			},
			(error, stdout, stderr) => {
				const code = error
					? ((error as NodeJS.ErrnoException & { code?: number | string }).code ??
						error.signal ??
						'error')
					: 0;
				resolve({
					code: code as CommandResult['code'],
					stdout: String(stdout),
					stderr: String(stderr),
					ms: Date.now() - started,
				});
			},
		);
	});
}

/**
 * The environment of a server script: only what it needs (PATH, locale, non-interactive apt) and the variables
 * `passOn` accepts; no tokens, keys or other secrets of the calling environment.
 */
export function scriptEnvironment(passOn: (name: string) => boolean): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		LANG: 'C.UTF-8',
		DEBIAN_FRONTEND: 'noninteractive',
	};
	for (const [name, value] of Object.entries(process.env)) {
		if (passOn(name)) env[name] = value;
	}
	return env;
}
