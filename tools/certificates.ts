import { generate } from 'selfsigned';

/** A PEM-encoded private key and certificate. */
export interface TestCertificate {
	key: string;
	cert: string;
}

let cached: Promise<TestCertificate> | undefined;

async function createCertificate(): Promise<TestCertificate> {
	const now = new Date();
	const notBeforeDate = new Date(now.getTime() - 24 * 60 * 60 * 1000);
	const notAfterDate = new Date(now.getTime() + 365 * 24 * 60 * 60 * 1000);
	// selfsigned v5 is async only and uses WebCrypto; a 2048-bit RSA key takes well under a second.
	const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
		keyType: 'rsa',
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate,
		notAfterDate,
		extensions: [
			// cA:true lets clients use this very certificate as their trust anchor (`ca: cert`).
			{ name: 'basicConstraints', cA: true, critical: true },
			{
				name: 'keyUsage',
				digitalSignature: true,
				keyEncipherment: true,
				keyCertSign: true,
				critical: true,
			},
			{ name: 'extKeyUsage', serverAuth: true },
			{
				name: 'subjectAltName',
				altNames: [
					{ type: 2, value: 'localhost' },
					{ type: 7, ip: '127.0.0.1' },
				],
			},
		],
	});
	return { key: pems.private, cert: pems.cert };
}

/**
 * A self-signed certificate for CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1,
 * generated once per process and cached.
 */
export async function testCertificate(): Promise<TestCertificate> {
	if (!cached) {
		cached = createCertificate().catch((error: unknown) => {
			cached = undefined;
			throw error;
		});
	}
	return cached;
}

/** A self-signed client certificate (CN=n8n-client, clientAuth) for mutual-TLS tests; also its own trust anchor. */
export async function testClientCertificate(): Promise<TestCertificate> {
	const now = Date.now();
	const pems = await generate([{ name: 'commonName', value: 'n8n-client' }], {
		keyType: 'rsa',
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate: new Date(now - 24 * 60 * 60 * 1000),
		notAfterDate: new Date(now + 365 * 24 * 60 * 60 * 1000),
		extensions: [
			{ name: 'basicConstraints', cA: true, critical: true },
			{
				name: 'keyUsage',
				digitalSignature: true,
				keyEncipherment: true,
				keyCertSign: true,
				critical: true,
			},
			{ name: 'extKeyUsage', clientAuth: true },
		],
	});
	return { key: pems.private, cert: pems.cert };
}
