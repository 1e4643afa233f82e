/**
 * The workflows of the queue-mode scenario, built here (each needs the run's ids, folders and webhook paths). Every
 * execution starts at a production Webhook or at the FTP Automation Trigger: `n8n execute` would run in the CLI
 * process, never on a worker.
 */
import { randomUUID } from 'crypto';

export const FTP_CREDENTIAL = { id: 'queueFtpVsftpd1', name: 'Queue vsftpd (plain FTP)' };
export const PG_CREDENTIAL = { id: 'queuePostgres01', name: 'Queue PostgreSQL' };

const FTP_NODE = 'n8n-nodes-ftp-automation.ftpAutomation';
const ftpCredentials = { ftpAutomationApi: FTP_CREDENTIAL };
const pgCredentials = { postgres: PG_CREDENTIAL };

interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
}

export interface Workflow {
	id: string;
	name: string;
	active: boolean;
	settings: Record<string, unknown>;
	nodes: Array<WorkflowNode & { id: string; position: [number, number] }>;
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: 0 }>> }>;
}

/** A workflow from nodes and `[from, to]` edges (each edge from output 0; edges of one node in order). */
function workflow(
	id: string,
	name: string,
	nodes: WorkflowNode[],
	edges: Array<[string, string]>,
): Workflow {
	const connections: Workflow['connections'] = {};
	for (const [from, to] of edges) {
		connections[from] ??= { main: [[]] };
		connections[from].main[0].push({ node: to, type: 'main', index: 0 });
	}
	return {
		id,
		name,
		active: false,
		settings: {
			executionOrder: 'v1',
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
		},
		nodes: nodes.map((node, index) => ({ ...node, id: randomUUID(), position: [index * 220, 0] })),
		connections,
	};
}

function webhook(webhookPath: string): WorkflowNode {
	return {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
	};
}

const hashBinary: WorkflowNode = {
	name: 'Hash',
	type: 'n8n-nodes-base.crypto',
	typeVersion: 1,
	parameters: {
		action: 'hash',
		type: 'SHA256',
		binaryData: true,
		binaryPropertyName: 'data',
		dataPropertyName: 'sha256',
		encoding: 'hex',
	},
};

function insertInto(name: string, table: string): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.postgres',
		typeVersion: 2.6,
		parameters: {
			operation: 'insert',
			schema: { __rl: true, mode: 'list', value: 'public' },
			table: { __rl: true, mode: 'name', value: table },
			columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: [], schema: [] },
			options: {},
		},
		credentials: pgCredentials,
	};
}

export const bulkWebhookPath = (index: number): string => `queue-bulk-${index}`;

/**
 * Webhook → List `/bulk/<index>` (*.csv) → Download each with Concurrency `concurrency` → Hash (SHA-256 of the binary,
 * read on the worker) → insert into bulk_files; and Download → Extract From File (CSV) → insert the rows into bulk_rows.
 */
export function bulkWorkflow(index: number, concurrency: number): Workflow {
	return workflow(
		`queueBulkFlow0${index}`,
		`Queue: list, download (Concurrency ${concurrency}), extract and load /bulk/${index}`,
		[
			webhook(bulkWebhookPath(index)),
			{
				name: 'List',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: {
					operation: 'list',
					path: `/bulk/${index}`,
					options: { filter: '*.csv', include: 'files' },
				},
				credentials: ftpCredentials,
			},
			{
				name: 'Download',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: {
					operation: 'download',
					path: '={{ $json.path }}',
					binaryPropertyName: 'data',
					options: { concurrency },
				},
				credentials: ftpCredentials,
			},
			hashBinary,
			{
				name: 'Extract CSV',
				type: 'n8n-nodes-base.extractFromFile',
				typeVersion: 1,
				parameters: { operation: 'csv', binaryPropertyName: 'data', options: {} },
			},
			insertInto('Insert Rows', 'bulk_rows'),
			insertInto('Insert File Hashes', 'bulk_files'),
		],
		[
			['Webhook', 'List'],
			['List', 'Download'],
			// The Crypto node's output has no binary: Extract From File reads the download itself.
			['Download', 'Hash'],
			['Download', 'Extract CSV'],
			['Hash', 'Insert File Hashes'],
			['Extract CSV', 'Insert Rows'],
		],
	);
}

export const TRIGGER_WORKFLOW_ID = 'queueTriggerFlow';

/**
 * FTP Automation Trigger on `/drop` (*.csv, Download on, files kept) → Hash (on the worker, from the binary the main
 * stored while polling) → keep path, size, hash → insert into trigger_files. Polls hourly: in the scenario each poll
 * is the one n8n runs when the main activates the workflow.
 */
export function triggerWorkflow(): Workflow {
	return workflow(
		TRIGGER_WORKFLOW_ID,
		'Queue: FTP Automation Trigger with Download, processed on the workers',
		[
			{
				name: 'FTP Trigger',
				type: 'n8n-nodes-ftp-automation.ftpAutomationTrigger',
				typeVersion: 1,
				parameters: {
					pollTimes: { item: [{ mode: 'everyHour' }] },
					path: '/drop',
					filter: '*.csv',
					event: 'fileCreated',
					options: { download: true },
				},
				credentials: ftpCredentials,
			},
			hashBinary,
			{
				name: 'Keep Fields',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				parameters: {
					mode: 'manual',
					assignments: {
						assignments: [
							{ id: randomUUID(), name: 'path', value: '={{ $json.path }}', type: 'string' },
							{ id: randomUUID(), name: 'size', value: '={{ $json.size }}', type: 'number' },
							{ id: randomUUID(), name: 'sha256', value: '={{ $json.sha256 }}', type: 'string' },
							{
								id: randomUUID(),
								name: 'execution',
								value: '={{ $execution.id }}',
								type: 'string',
							},
						],
					},
					options: {},
				},
			},
			insertInto('Insert Trigger Files', 'trigger_files'),
		],
		[
			['FTP Trigger', 'Hash'],
			['Hash', 'Keep Fields'],
			['Keep Fields', 'Insert Trigger Files'],
		],
	);
}

export const UPLOAD_WEBHOOK_PATH = 'queue-upload-big';
export const UPLOAD_WORKFLOW_ID = 'queueUploadFlow0';

/** Webhook → Read/Write Files from Disk (`source`) → Upload to `target` (safe upload, the default). */
export function uploadWorkflow(source: string, target: string): Workflow {
	return workflow(
		UPLOAD_WORKFLOW_ID,
		'Queue: upload a large file (a worker is killed in the middle)',
		[
			webhook(UPLOAD_WEBHOOK_PATH),
			{
				name: 'Read File',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1,
				parameters: { operation: 'read', fileSelector: source, options: {} },
			},
			{
				name: 'Upload',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: {
					operation: 'upload',
					path: target,
					binaryData: true,
					binaryPropertyName: 'data',
					options: {},
				},
				credentials: ftpCredentials,
			},
		],
		[
			['Webhook', 'Read File'],
			['Read File', 'Upload'],
		],
	);
}

export const LIMIT_WEBHOOK_PATH = 'queue-download-too-large';
export const LIMIT_WORKFLOW_ID = 'queueLimitFlow00';

/** Webhook → Download `path` with After Download: delete (which must not run when the download is refused). */
export function tooLargeDownloadWorkflow(remotePath: string): Workflow {
	return workflow(
		LIMIT_WORKFLOW_ID,
		'Queue: download a file larger than the database binary data limit',
		[
			webhook(LIMIT_WEBHOOK_PATH),
			{
				name: 'Download',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: {
					operation: 'download',
					path: remotePath,
					binaryPropertyName: 'data',
					options: { afterDownload: 'delete' },
				},
				credentials: ftpCredentials,
			},
		],
		[['Webhook', 'Download']],
	);
}

export const CLAIM_WEBHOOK_PATH = 'queue-claim';
export const CLAIM_WORKFLOW_ID = 'queueClaimFlow00';

/**
 * Webhook → List `inbound` (files) → Download each with Concurrency `concurrency`, Claim Folder `claimFolder`, After
 * Download: move to `archive` → keep path, claimed, claimedPath, movedTo and the execution → insert into claim_items;
 * and Download → only the claimed items → Hash (SHA-256 of the binary) → insert into claim_hashes. Called several
 * times at once: the executions list the same files and race to claim them.
 */
export function claimWorkflow(
	inbound: string,
	claimFolder: string,
	archive: string,
	concurrency: number,
): Workflow {
	const keep = (name: string, fields: Array<[string, string, string]>): WorkflowNode => ({
		name,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		parameters: {
			mode: 'manual',
			assignments: {
				assignments: fields.map(([field, value, type]) => ({
					id: randomUUID(),
					name: field,
					value,
					type,
				})),
			},
			options: {},
		},
	});
	return workflow(
		CLAIM_WORKFLOW_ID,
		`Queue: several executions claim from ${inbound} (Claim Folder), each file once`,
		[
			webhook(CLAIM_WEBHOOK_PATH),
			{
				name: 'List',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: { operation: 'list', path: inbound, options: { include: 'files' } },
				credentials: ftpCredentials,
			},
			{
				name: 'Download',
				type: FTP_NODE,
				typeVersion: 1,
				parameters: {
					operation: 'download',
					path: '={{ $json.path }}',
					binaryPropertyName: 'data',
					options: { concurrency, claimFolder, afterDownload: 'moveTo', moveToFolder: archive },
				},
				credentials: ftpCredentials,
			},
			keep('Keep Items', [
				['path', '={{ $json.path }}', 'string'],
				['claimed', '={{ $json.claimed === true }}', 'boolean'],
				['claimed_path', "={{ $json.claimedPath ?? '' }}", 'string'],
				['moved_to', "={{ $json.movedTo ?? '' }}", 'string'],
				['execution', '={{ $execution.id }}', 'string'],
			]),
			insertInto('Insert Items', 'claim_items'),
			{
				name: 'Claimed Here',
				type: 'n8n-nodes-base.filter',
				typeVersion: 2.2,
				parameters: {
					conditions: {
						options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
						conditions: [
							{
								id: randomUUID(),
								leftValue: '={{ $json.claimed }}',
								rightValue: '',
								operator: { type: 'boolean', operation: 'true', singleValue: true },
							},
						],
						combinator: 'and',
					},
					options: {},
				},
			},
			hashBinary,
			keep('Keep Hashes', [
				['path', '={{ $json.path }}', 'string'],
				['sha256', '={{ $json.sha256 }}', 'string'],
				['execution', '={{ $execution.id }}', 'string'],
			]),
			insertInto('Insert Hashes', 'claim_hashes'),
		],
		[
			['Webhook', 'List'],
			['List', 'Download'],
			['Download', 'Keep Items'],
			['Download', 'Claimed Here'],
			['Keep Items', 'Insert Items'],
			['Claimed Here', 'Hash'],
			['Hash', 'Keep Hashes'],
			['Keep Hashes', 'Insert Hashes'],
		],
	);
}
