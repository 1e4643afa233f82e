import { Client, enterPassiveModeIPv4, type FTPContext } from 'basic-ftp';
import type { Socket } from 'node:net';
// Not re-exported by basic-ftp's index, but public in its type declarations; the safe PASV variant.
import { enterPassiveModeIPv4_forceControlHostIP } from 'basic-ftp/dist/transfer';

import type { ConnectionSettings } from './settings';

/**
 * A basic-ftp client whose passive data connections follow the credential:
 * - `passiveAddress: controlHost` (default) ignores the address in a PASV reply and connects to the control
 *   host, as curl and lftp do: servers behind NAT often report an address nobody outside can reach.
 * - `disableEpsv` skips EPSV (tried first otherwise) for firewalls that mishandle it.
 */
export function createClient(settings: ConnectionSettings): Client {
	const client = new Client(settings.timeoutMs, {
		allowSeparateTransferHost: settings.passiveAddress === 'serverReported',
	});
	if (settings.disableEpsv) {
		client.prepareTransfer =
			settings.passiveAddress === 'serverReported'
				? enterPassiveModeIPv4
				: enterPassiveModeIPv4_forceControlHostIP;
	}
	if (settings.encoding === 'latin1') client.ftp.encoding = 'latin1';
	return client;
}

/**
 * Calls `onDataConnection` with every data connection, as soon as it exists and before any byte moves.
 * basic-ftp swaps `prepareTransfer` for the strategy that worked after the first transfer, so this wraps
 * whatever strategy is current instead of a fixed one.
 */
export function watchDataConnections(
	client: Client,
	onDataConnection: (socket: Socket) => void,
): void {
	let strategy = client.prepareTransfer;
	const prepareAndWatch = async (ftp: FTPContext) => {
		const response = await strategy(ftp);
		if (ftp.dataSocket) onDataConnection(ftp.dataSocket);
		return response;
	};
	Object.defineProperty(client, 'prepareTransfer', {
		configurable: true,
		get: () => prepareAndWatch,
		set: (next: typeof strategy) => {
			strategy = next;
		},
	});
}
