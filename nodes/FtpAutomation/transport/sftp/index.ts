import type { Protocol } from '../contract';
import { SftpConnection } from './SftpConnection';
import { sftpSecretsOf, type SftpSettings } from './settings';
import { explainSftpFailure, isTransientSftpError } from './sftpFailures';

/** SFTP over ssh2: the second implementation of the engine's contract. */
export const sftpProtocol: Protocol<SftpSettings> = {
	open: async (settings, note) => await SftpConnection.open(settings, note),
	explain: explainSftpFailure,
	isTransient: isTransientSftpError,
	contextOf: ({ host, port, timeoutMs }) => ({ host, port, timeoutMs }),
	secretsOf: sftpSecretsOf,
};

export { parseHostKeyFingerprints } from './hostKey';
export { explainSftpFailure, isTransientSftpError } from './sftpFailures';
export { repairPrivateKey, sftpSecretsOf, toSftpSettings, type SftpSettings } from './settings';
