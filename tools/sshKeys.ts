import { utils as sshUtils } from 'ssh2';

/**
 * A fresh ed25519 key pair in OpenSSH format, for tests and the demo. ssh2's generator writes a malformed private key
 * about once in 200 (neither ssh2 nor `ssh-keygen -y` can read it; ssh-keygen's own keys are fine), which made test
 * servers fail to start now and then: a key that does not read back is made again.
 */
export function ed25519KeyPair(passphrase?: string): { private: string; public: string } {
	for (let attempt = 1; attempt <= 20; attempt++) {
		const pair = passphrase
			? sshUtils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 16 })
			: sshUtils.generateKeyPairSync('ed25519');
		if (!(sshUtils.parseKey(pair.private, passphrase) instanceof Error)) return pair;
	}
	throw new Error('ssh2 made 20 unreadable ed25519 keys in a row');
}
