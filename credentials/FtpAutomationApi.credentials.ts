import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

import { DEFAULTS } from '../nodes/FtpAutomation/transport/defaults';

const withTls = { show: { security: ['explicit', 'implicit'] } };
const withPassword = { show: { anonymous: [false] } };

// Tested by the FTP Automation node (testedBy / methods.credentialTest): FTP is not HTTP.
export class FtpAutomationApi implements ICredentialType {
	name = 'ftpAutomationApi';

	displayName = 'FTP Automation';

	icon: Icon = {
		light: 'file:../nodes/FtpAutomation/ftpAutomation.svg',
		dark: 'file:../nodes/FtpAutomation/ftpAutomation.dark.svg',
	};

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-ftp-automation#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'ftp.example.com',
			description: 'Name or IP address of the FTP server, without ftp://',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 21,
			required: true,
			typeOptions: { minValue: 1, maxValue: 65535 },
			hint: 'Usually 21 for plain FTP and explicit FTPS, 990 for implicit FTPS',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			default: 'explicit',
			options: [
				{
					name: 'Explicit FTPS (AUTH TLS)',
					value: 'explicit',
					description: 'Connects in plain text, then switches to TLS before login (recommended)',
				},
				{
					name: 'Implicit FTPS',
					value: 'implicit',
					description: 'TLS from the first byte, usually on port 990',
				},
				{
					name: 'None (Plain FTP)',
					value: 'none',
					description: 'No encryption: the password and the files travel in clear text',
				},
			],
		},
		{
			displayName: 'Anonymous Login',
			name: 'anonymous',
			type: 'boolean',
			default: false,
			description: 'Whether to log in as "anonymous" instead of with a username and password',
		},
		{
			displayName: 'Anonymous Password (E-Mail)',
			name: 'anonymousPassword',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'anonymous@',
			description:
				'Some servers ask anonymous users for an e-mail address as password; "anonymous@" is sent when empty',
			displayOptions: { show: { anonymous: [true] } },
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			displayOptions: withPassword,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: withPassword,
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- a boolean switch, not a secret; its name is part of the credential's public contract
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even if the server certificate cannot be verified. Insecure: anyone between n8n and the server could read the password and the files. Prefer CA Certificate.',
			displayOptions: withTls,
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- a public certificate, shown so that the user can check what was pasted
		{
			displayName: 'CA Certificate',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE----- ...',
			description:
				'PEM certificate to trust in addition to the public CAs: the private CA that issued the server certificate, or the self-signed server certificate itself',
			displayOptions: withTls,
		},
		{
			displayName: 'Server Name (TLS)',
			name: 'serverName',
			type: 'string',
			default: '',
			placeholder: 'ftp.example.com',
			description:
				'Name to check the server certificate against, when the host is an IP address or an alias the certificate does not name',
			displayOptions: withTls,
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- a hash of the server's public certificate, shown so that the user can compare it
		{
			displayName: 'Certificate Fingerprint (SHA-256)',
			name: 'certificateFingerprint',
			type: 'string',
			default: '',
			placeholder: 'AB:CD:EF:...',
			description:
				'Pin the server certificate: when set, only the certificate with this SHA-256 fingerprint is accepted, self-signed or not, and CA and name checks are replaced by this comparison. A mismatch is reported with the fingerprint the server presented.',
			displayOptions: withTls,
		},
		{
			displayName: 'Minimum TLS Version',
			name: 'minTlsVersion',
			type: 'options',
			default: 'TLSv1.2',
			options: [
				{ name: 'TLS 1.2', value: 'TLSv1.2' },
				{ name: 'TLS 1.3', value: 'TLSv1.3' },
			],
			displayOptions: withTls,
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- a public certificate, shown so that the user can check what was pasted (its private key stays masked)
		{
			displayName: 'Client Certificate',
			name: 'clientCertificate',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE----- ...',
			description:
				'PEM certificate for servers that require mutual TLS (a client certificate); leave empty otherwise',
			displayOptions: withTls,
		},
		{
			displayName: 'Client Private Key',
			name: 'clientPrivateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: '-----BEGIN PRIVATE KEY----- ...',
			description: 'Unencrypted PEM private key of the client certificate',
			displayOptions: withTls,
		},
		{
			displayName: 'Data Connection',
			name: 'dataConnection',
			type: 'options',
			default: 'passive',
			options: [
				{
					name: 'Passive',
					value: 'passive',
					description:
						'n8n connects to the server for each transfer (works through most firewalls and NAT)',
				},
				{
					name: 'Active',
					value: 'active',
					description:
						'The server connects back to n8n for each transfer, for servers that do not offer passive mode',
				},
			],
		},
		{
			displayName: 'Active Mode Address',
			name: 'activeAddress',
			type: 'string',
			default: '',
			placeholder: 'e.g. 192.0.2.10',
			description:
				'IP address of this n8n machine that the server connects to; empty uses the address of the control connection',
			displayOptions: { show: { dataConnection: ['active'] } },
		},
		{
			displayName: 'Active Mode Port Range',
			name: 'activePortRange',
			type: 'string',
			default: '',
			placeholder: 'e.g. 50000-50100',
			description:
				'Ports n8n may listen on for the server to connect to (open them in your firewall); empty uses any free port',
			displayOptions: { show: { dataConnection: ['active'] } },
		},
		{
			displayName: 'Passive Address',
			name: 'passiveAddress',
			type: 'options',
			default: 'controlHost',
			displayOptions: { show: { dataConnection: ['passive'] } },
			options: [
				{
					name: 'Control Connection Host',
					value: 'controlHost',
					description:
						'Connect data connections to the host above, ignoring the address in the PASV reply (works behind NAT; like curl and lftp)',
				},
				{
					name: 'Address Reported by the Server',
					value: 'serverReported',
					description:
						'Connect data connections to the address in the PASV reply, for servers that send data from another host. This trusts the server with where n8n connects: downloads and uploads go to whatever address it names, even a host inside the network n8n runs in. The connection log names the address used.',
				},
			],
		},
		{
			displayName: 'Disable EPSV',
			name: 'disableEpsv',
			type: 'boolean',
			default: false,
			description:
				'Whether to skip EPSV and use PASV for data connections, for firewalls that mishandle EPSV',
			displayOptions: { show: { dataConnection: ['passive'] } },
		},
		{
			displayName: 'File Name Encoding',
			name: 'encoding',
			type: 'options',
			default: 'utf8',
			options: [
				{ name: 'UTF-8', value: 'utf8' },
				{
					name: 'Latin-1 (ISO 8859-1)',
					value: 'latin1',
					description: 'For older servers that store names in Latin-1',
				},
			],
		},
		{
			displayName: 'Connection Timeout (Seconds)',
			name: 'connectionTimeout',
			type: 'number',
			default: DEFAULTS.connectionTimeoutSeconds,
			typeOptions: { minValue: 1 },
			description: 'How long to wait for the server to answer before giving up',
		},
		{
			// n8n's credential dialog shows a test's message only when it fails; this says where the rest is.
			displayName:
				'A successful test shows n8n\'s own "Connection tested successfully". What the test found (the TLS version, the data connection and whether the server lists with MLSD) is in n8n\'s log, and in the connection log of every run (option Include Connection Log).',
			name: 'credentialTestNotice',
			type: 'notice',
			default: '',
		},
	];
}
