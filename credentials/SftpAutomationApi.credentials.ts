import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

import { DEFAULTS } from '../nodes/FtpAutomation/transport/defaults';

// Tested by the FTP Automation node (testedBy / methods.credentialTest): SFTP is not HTTP.
export class SftpAutomationApi implements ICredentialType {
	name = 'sftpAutomationApi';

	displayName = 'SFTP Automation';

	icon: Icon = {
		light: 'file:../nodes/FtpAutomation/ftpAutomation.svg',
		dark: 'file:../nodes/FtpAutomation/ftpAutomation.dark.svg',
	};

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-ftp-automation#sftp';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'sftp.example.com',
			description: 'Name or IP address of the SFTP (SSH) server, without sftp://',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 22,
			required: true,
			typeOptions: { minValue: 1, maxValue: 65535 },
			hint: 'Usually 22',
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Leave empty when logging in with a private key only. Also answers the password prompts of servers that ask for it interactively (keyboard-interactive).',
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description:
				'The whole private key file: OpenSSH ("-----BEGIN OPENSSH PRIVATE KEY-----"), PEM (PKCS#1 or PKCS#8) or PuTTY .ppk version 2 (RSA). A key pasted on one line is repaired.',
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The passphrase that protects the private key, if it has one',
		},
		{
			displayName: 'Host Key Fingerprint',
			name: 'hostKeyFingerprint',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			placeholder: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
			description:
				'The SHA-256 fingerprint of the server’s host key, as "ssh-keygen -l" prints it (hex also works); one per line to accept several during a key rotation. Empty: the connection is refused before anything is sent, and the error shows the fingerprint the server presented, to check and paste here. Get it with: ssh-keyscan -p PORT HOST | ssh-keygen -lf -',
		},
		{
			displayName: 'Accept Any Host Key (Insecure)',
			name: 'acceptAnyHostKey',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect without checking the host key. Anyone on the network path could then pose as the server and read the password and the files. Only for tests.',
		},
		{
			displayName: 'Legacy Algorithms',
			name: 'legacyAlgorithms',
			type: 'boolean',
			default: false,
			description:
				'Whether to also offer the old algorithms old servers need (diffie-hellman-group14-sha1, ssh-rsa host keys with SHA-1, CBC ciphers). This weakens the connection’s security: turn it on only for a server that offers nothing newer.',
		},
		{
			displayName: 'Connection Timeout (Seconds)',
			name: 'connectionTimeout',
			type: 'number',
			default: DEFAULTS.connectionTimeoutSeconds,
			typeOptions: { minValue: 1 },
			description:
				'How long to wait for the server to answer (connecting, logging in, each request) before giving up',
		},
		{
			// n8n's credential dialog shows a test's message only when it fails; this says where the rest is.
			displayName:
				'A successful test shows n8n\'s own "Connection tested successfully". What the test found (the host key, the negotiated algorithms and the login method) is in n8n\'s log, and in the connection log of every run (option Include Connection Log).',
			name: 'credentialTestNotice',
			type: 'notice',
			default: '',
		},
	];
}
