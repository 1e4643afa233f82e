import {
	enterPassiveModeIPv6,
	type Client,
	type FTPContext,
	type FTPResponse,
	type TransferStrategy,
} from 'basic-ftp';
import { isIP } from 'node:net';
// Not re-exported by basic-ftp's index, but public in its type declarations.
import { ipIsPrivateV4Address } from 'basic-ftp/dist/netUtils';
import { connectForPassiveTransfer, parsePasvResponse } from 'basic-ftp/dist/transfer';

import { plainAddress } from './activeMode';
import type { ConnectionSettings } from './settings';

/**
 * Passive-mode data connections for basic-ftp, with the PASV address chosen by the credential's Passive Address.
 *
 * basic-ftp either trusts the address in a PASV reply or, by default, refuses any address that is not the control
 * host's (the error "PASV returned another host ... allowSeparateTransferHost"). A server behind NAT reports its
 * private address, so refusing fails exactly where the default Control Connection Host is meant to help; curl and
 * lftp connect to the control host at the reported port instead, and so does `enterPassiveModeControlHost`.
 */

type PassiveAddress = ConnectionSettings['passiveAddress'];

function hostAndPort(host: string, port: number): string {
	return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function controlHostOf(ftp: FTPContext): string {
	const controlHost = plainAddress(ftp.socket.remoteAddress);
	if (controlHost === undefined) {
		throw new Error("Control socket is disconnected, can't get remote address.");
	}
	return controlHost;
}

/** PASV, connecting to the control connection's host at the reported port, whatever address the reply names. */
export async function enterPassiveModeControlHost(ftp: FTPContext): Promise<FTPResponse> {
	const response = await ftp.request('PASV');
	const reported = parsePasvResponse(response.message);
	const controlHost = controlHostOf(ftp);
	if (reported.host !== controlHost) {
		ftp.log(
			`Passive mode: PASV reported ${hostAndPort(reported.host, reported.port)}; connecting to the control host ${hostAndPort(controlHost, reported.port)} instead (Passive Address: Control Connection Host)`,
		);
	}
	await connectForPassiveTransfer(controlHost, reported.port, ftp);
	return response;
}

/**
 * PASV, connecting to the address in the reply: the server decides where n8n connects, so the log names it for
 * every data connection.
 */
export async function enterPassiveModeServerReported(ftp: FTPContext): Promise<FTPResponse> {
	const response = await ftp.request('PASV');
	const reported = parsePasvResponse(response.message);
	const controlHost = controlHostOf(ftp);
	let host = reported.host;
	// basic-ftp's own exception, kept so that this option behaves as it always did: a private address reported
	// over a public control connection is the far side of a NAT, reachable only through the control host.
	if (ipIsPrivateV4Address(reported.host) && !ipIsPrivateV4Address(controlHost)) {
		host = controlHost;
		ftp.log(
			`Passive mode: PASV reported the private address ${hostAndPort(reported.host, reported.port)} over a public control connection; connecting the data connection to the control host ${hostAndPort(host, reported.port)} instead`,
		);
	} else {
		ftp.log(
			`Passive mode: connecting the data connection to ${hostAndPort(host, reported.port)}, the address the server reported (Passive Address: Address Reported by the Server)`,
		);
	}
	await connectForPassiveTransfer(host, reported.port, ftp);
	return response;
}

export function pasvStrategyFor(passiveAddress: PassiveAddress): TransferStrategy {
	return passiveAddress === 'serverReported'
		? enterPassiveModeServerReported
		: enterPassiveModeControlHost;
}

/**
 * Tries each strategy in turn and keeps the first that works for the rest of the client's life, so a server that
 * refuses EPSV is asked for it once, not before every transfer. basic-ftp's own version of this is private; its
 * log lines and final error are kept word for word because the connection log and the error explanations
 * recognise them.
 */
export function firstWorkingStrategy(
	client: Client,
	strategies: TransferStrategy[],
): TransferStrategy {
	return async (ftp) => {
		ftp.log('Trying to find optimal transfer strategy...');
		let lastError: unknown;
		for (const strategy of strategies) {
			try {
				const response = await strategy(ftp);
				ftp.log('Optimal transfer strategy found.');
				client.prepareTransfer = strategy;
				return response;
			} catch (error) {
				// Whatever the failure: some servers answer EPSV wrongly (e.g. with a PASV reply) yet do PASV well.
				lastError = error;
			}
		}
		throw new Error(
			`None of the available transfer strategies work. Last error response was '${String(lastError)}'.`,
		);
	};
}

/** EPSV first (its reply carries no address), then PASV as Passive Address says; PASV only with Disable EPSV. */
export function passiveModeStrategy(
	client: Client,
	options: { passiveAddress: PassiveAddress; disableEpsv: boolean },
): TransferStrategy {
	const pasv = pasvStrategyFor(options.passiveAddress);
	return options.disableEpsv ? pasv : firstWorkingStrategy(client, [enterPassiveModeIPv6, pasv]);
}
