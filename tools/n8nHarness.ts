/**
 * Runs a node's `execute()` through n8n's own execution context, so that integration tests exercise the
 * same code paths as a real n8n instance — in particular binary data that is streamed to and from disk.
 *
 * REAL (code from the installed n8n-core 2.8.1 / n8n-workflow 2.8.0, not re-implemented here):
 * - `this` is an `ExecuteContext` from n8n-core, the class n8n's WorkflowExecute creates for each node run.
 *   So `getNodeParameter` (expression resolution, `extractValue`, schema validation), `getCredentials`
 *   (the checks that the credential is declared by the node, set on the node and displayed), `continueOnFail`,
 *   `getInputData`, `getNode`, `getExecutionCancelSignal`, `logger` and every `helpers.*` function are n8n's.
 * - The node lives in a real `Workflow` from n8n-workflow, whose constructor fills in parameter defaults from
 *   the node description exactly as n8n does when a workflow is loaded.
 * - Binary data: n8n-core's `BinaryDataService` in `filesystem` mode (its `FileSystemManager`), registered in
 *   n8n-core's DI container. `helpers.prepareBinaryData(stream)` pipes the stream to a file instead of
 *   buffering it, returns an `IBinaryData` with `id` set, and `helpers.getBinaryStream(id)` reads the file back.
 * - `InstanceSettings`, `BinaryDataConfig`, `ErrorReporter` and the `Logger` are n8n-core's classes, built by its
 *   container. Their state (settings file, encryption key, binary files) lives in a temp folder, never in ~/.n8n.
 *   The logger is silent unless N8N_LOG_LEVEL is set (e.g. `N8N_LOG_LEVEL=debug npx jest ...`).
 *
 * STUBBED (there is no n8n server, database or workflow engine here):
 * - `additionalData.credentialsHelper.getDecrypted` returns a copy of the plain object passed to `runNode`
 *   (no encryption, no expressions inside credentials, no OAuth). Other credential-helper methods are inert.
 * - The NodeTypes provider only knows the node under test; the workflow contains only that node.
 * - `additionalData`: executing sub-workflows, task runners and AI event logging are not available;
 *   the URLs are loopback placeholders that nothing listens on.
 * - WorkflowExecute is not used: no run-data bookkeeping, no automatic `pairedItem` filling, no retries, and
 *   an error thrown by `execute()` propagates to the caller unchanged (n8n would turn it into an error item
 *   when "continue on fail" is set; nodes that honour `this.continueOnFail()` themselves behave as in n8n).
 */
import { randomUUID } from 'crypto';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable } from 'stream';

import {
	BinaryDataConfig,
	BinaryDataService,
	ExecuteContext,
	ExternalSecretsProxy,
	InstanceSettings,
	PollContext,
	prepareBinaryData,
} from 'n8n-core';
// Not re-exported by n8n-core's index; see setUp() for why the harness needs it.
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import { ICredentialsHelper, Workflow, createRunExecutionData, deepCopy } from 'n8n-workflow';
import type {
	CloseFunction,
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentials,
	IDataObject,
	IExecuteData,
	IHttpRequestOptions,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRequestOptionsSimplified,
	ITaskDataConnections,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

// ---------------------------------------------------------------------------------------------------------
// n8n-core's private dependencies
// ---------------------------------------------------------------------------------------------------------

/*
 * n8n-core 2.8.1 depends on older versions of @n8n/di, @n8n/config and @n8n/backend-common than the ones
 * hoisted to the top of node_modules, so npm installs private copies under node_modules/n8n-core/node_modules.
 * n8n-core's DI container, config classes and Logger are those copies: importing '@n8n/di' from here would give
 * a different, empty container. They are therefore resolved from n8n-core's own folder. (`require.resolve` with
 * `paths` also goes through Jest's module registry, which `module.createRequire` would bypass, and with it load a
 * second, unrelated copy of each module.)
 */
const n8nCoreDir = path.dirname(require.resolve('n8n-core/package.json'));
function requireFromN8nCore<T>(id: string): T {
	return require(require.resolve(id, { paths: [n8nCoreDir] })) as T;
}

/** Anything the DI container can build: the class itself is the key. */
type ServiceClass<T> = abstract new (...args: never[]) => T;
interface DiContainer {
	get<T>(type: ServiceClass<T>): T;
	reset(): void;
}
/** The few fields of @n8n/config's classes that the harness overrides. */
interface InstanceSettingsConfigFields {
	n8nFolder: string;
	userHome: string;
	encryptionKey: string;
	enforceSettingsFilePermissions: boolean;
}
interface GlobalConfigFields {
	logging: { level: string };
}

const { Container } = requireFromN8nCore<{ Container: DiContainer }>('@n8n/di');
const { GlobalConfig, InstanceSettingsConfig } = requireFromN8nCore<{
	GlobalConfig: ServiceClass<GlobalConfigFields>;
	InstanceSettingsConfig: ServiceClass<InstanceSettingsConfigFields>;
}>('@n8n/config');

// ---------------------------------------------------------------------------------------------------------
// Binary data service lifecycle
// ---------------------------------------------------------------------------------------------------------

/** Workflow id used for every run; binary files land under <temp>/binaryData/workflows/<this id>/. */
const WORKFLOW_ID = 'harness-workflow';
/** Execution id under which `binaryItem` stores input files (each `runNode` call gets its own id). */
const INPUT_EXECUTION_ID = 'harness-input';

interface HarnessState {
	root: string;
	binaryDataService: BinaryDataService;
	/** `exit` listeners that n8n-core services added to `process` during set-up, removed again on clean-up. */
	exitListeners: NodeJS.ExitListener[];
}

/** Set while initialised. A promise so that concurrent `initBinaryData` calls share one set-up. */
let statePromise: Promise<HarnessState> | undefined;
/** The resolved state, for the synchronous `binaryFilePath`. */
let state: HarnessState | undefined;

async function setUp(): Promise<HarnessState> {
	// Drop any service instance built before with default settings (e.g. pointing at ~/.n8n).
	Container.reset();
	const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'n8n-harness-'));
	const exitListenersBefore = new Set(process.listeners('exit'));
	try {
		// What n8n keeps in ~/.n8n (settings file with the encryption key) goes to the temp folder instead.
		// A fixed key stops InstanceSettings from generating one; nothing is encrypted with it in tests.
		const instanceSettingsConfig = Container.get(InstanceSettingsConfig);
		instanceSettingsConfig.n8nFolder = path.join(root, '.n8n');
		instanceSettingsConfig.userHome = root;
		instanceSettingsConfig.encryptionKey = 'n8n-test-harness-encryption-key';
		instanceSettingsConfig.enforceSettingsFilePermissions = false;
		// The Logger reads its level once, when first built, so this must happen before anything asks for it.
		if (!process.env.N8N_LOG_LEVEL) {
			Container.get(GlobalConfig).logging.level = 'silent';
		}
		Container.get(InstanceSettings);

		// BinaryDataConfig defaults to 'filesystem' unless N8N_DEFAULT_BINARY_DATA_MODE says otherwise; the
		// harness must not depend on the environment, so both values are forced.
		const binaryDataConfig = Container.get(BinaryDataConfig);
		binaryDataConfig.mode = 'filesystem';
		binaryDataConfig.localStoragePath = path.join(root, 'binaryData');

		// The helpers in ExecuteContext look the service up in this same container.
		const binaryDataService = Container.get(BinaryDataService);
		await binaryDataService.init();

		// Every ExecuteContext fetches SSHClientsManager (for the SSH-tunnel helpers) from the container. Its
		// constructor starts a 60-second cleanup interval, which would keep Jest from exiting, and adds a
		// process 'exit' listener. No SSH tunnels are opened in these tests, so the interval is stopped at once
		// (onShutdown only clears it and closes the clients, of which there are none).
		Container.get(SSHClientsManager).onShutdown();

		const exitListeners = process
			.listeners('exit')
			.filter((listener) => !exitListenersBefore.has(listener));
		return { root, binaryDataService, exitListeners };
	} catch (error) {
		await fsp.rm(root, { recursive: true, force: true });
		throw error;
	}
}

/**
 * Prepares n8n's BinaryDataService in 'filesystem' mode in a fresh temp folder (call in beforeAll; idempotent).
 * Returns that folder. `runNode` and `binaryItem` call it themselves if it has not been called.
 */
export async function initBinaryData(): Promise<string> {
	statePromise ??= setUp();
	try {
		state = await statePromise;
		return state.root;
	} catch (error) {
		statePromise = undefined;
		throw error;
	}
}

/** Removes the temp folder (afterAll). A later `initBinaryData` starts again with a new folder. */
export async function cleanupBinaryData(): Promise<void> {
	const pending = statePromise;
	statePromise = undefined;
	state = undefined;
	if (!pending) return;
	let finished: HarnessState;
	try {
		finished = await pending;
	} catch {
		return; // set-up failed and already removed its folder
	}
	const { root, exitListeners } = finished;
	for (const listener of exitListeners) process.off('exit', listener);
	Container.reset();
	await fsp.rm(root, { recursive: true, force: true });
}

async function getBinaryDataService(): Promise<BinaryDataService> {
	await initBinaryData();
	return (state as HarnessState).binaryDataService;
}

// ---------------------------------------------------------------------------------------------------------
// Running a node
// ---------------------------------------------------------------------------------------------------------

/** Name of the node in the harness workflow (appears in n8n's error messages). */
export const HARNESS_NODE_NAME = 'Node Under Test';

export interface RunNodeOptions {
	/** An instance, e.g. `new FtpAutomation()`. */
	nodeType: INodeType;
	/** The node's parameters as a user would set them in the UI; omitted ones get the description's defaults. */
	parameters: INodeParameters;
	/** Keyed by credential type name, e.g. `{ ftpAutomationApi: {...} }`. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Input items; default `[{ json: {} }]`. */
	items?: INodeExecutionData[];
	/** Sets `node.onError = 'continueRegularOutput'`, which is what `continueOnFail()` reads in n8n 2.x. */
	continueOnFail?: boolean;
	/** Returned by `getExecutionCancelSignal()`; default: the signal of a controller that is never aborted. */
	abortSignal?: AbortSignal;
}

let executionCounter = 0;

/** The version n8n gives a newly added node: `defaultVersion`, else the highest listed version. */
function newNodeVersion(description: INodeTypeDescription): number {
	if (description.defaultVersion !== undefined) return description.defaultVersion;
	return Array.isArray(description.version)
		? Math.max(...description.version)
		: description.version;
}

/** Serves the given credentials as if they had been decrypted from n8n's database. */
class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly credentialsByType: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.credentialsByType[type];
		if (data === undefined) {
			throw new Error(`The test gave runNode() no credentials of type "${type}"`);
		}
		// n8n hands out a freshly decrypted object on every call; a node must not be able to alter the test's copy.
		return deepCopy(data);
	}

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(
		_credentials: ICredentialDataDecryptedObject,
		_typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
	): Promise<IHttpRequestOptions> {
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('credentialsHelper.getCredentials is not available in the n8n test harness');
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

function notAvailable(feature: string): never {
	throw new Error(`${feature} is not available in the n8n test harness`);
}

/** A one-node workflow holding `nodeType` with the given parameters and credentials, as n8n would load it. */
function harnessWorkflow(
	nodeType: INodeType,
	parameters: INodeParameters,
	credentials: Record<string, ICredentialDataDecryptedObject>,
	extra: { continueOnFail?: boolean; staticData?: IDataObject } = {},
): { workflow: Workflow; node: INode; additionalData: IWorkflowExecuteAdditionalData } {
	const { description } = nodeType;
	const typeName = `n8n-test-harness.${description.name}`;
	const lookUp = (name: string): INodeType => {
		if (name !== typeName) throw new Error(`The n8n test harness knows no node type "${name}"`);
		return nodeType;
	};
	const nodeTypes: INodeTypes = {
		getByName: lookUp,
		getByNameAndVersion: lookUp,
		getKnownTypes: () => ({ [typeName]: { className: nodeType.constructor.name, sourcePath: '' } }),
	};

	// Credentials are referenced from the node by id/name, as in a saved workflow; getCredentials() refuses
	// types the node has no reference for, so only the given types are attached.
	const credentialTypes = Object.keys(credentials);
	const nodeCredentials: INodeCredentials = {};
	for (const type of credentialTypes) {
		nodeCredentials[type] = { id: `harness-${type}`, name: `${type} (test)` };
	}

	const node: INode = {
		id: randomUUID(),
		name: HARNESS_NODE_NAME,
		type: typeName,
		typeVersion: newNodeVersion(description),
		position: [0, 0],
		parameters: deepCopy(parameters),
		...(credentialTypes.length > 0 ? { credentials: nodeCredentials } : {}),
		...(extra.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
	// The constructor replaces node.parameters with a copy that includes every default from the description.
	const workflow = new Workflow({
		id: WORKFLOW_ID,
		name: 'n8n test harness',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
		...(extra.staticData ? { staticData: extra.staticData } : {}),
	});

	const baseUrl = 'http://127.0.0.1:5678';
	const additionalData: IWorkflowExecuteAdditionalData = {
		credentialsHelper: new HarnessCredentialsHelper(credentials),
		executeWorkflow: async () => notAvailable('Executing another workflow'),
		getRunExecutionData: async () => undefined,
		executionId: `harness-${++executionCounter}`,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${baseUrl}/rest`,
		instanceBaseUrl: `${baseUrl}/`,
		formWaitingBaseUrl: `${baseUrl}/form-waiting`,
		webhookBaseUrl: `${baseUrl}/webhook`,
		webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${baseUrl}/webhook-test`,
		variables: {},
		// No secrets provider is set, so `$secrets` expressions resolve to nothing, as in n8n without one.
		externalSecretsProxy: Container.get(ExternalSecretsProxy),
		logAiEvent: () => {},
		startRunnerTask: async () => notAvailable('Task runners'),
	};
	return { workflow, node, additionalData };
}

/**
 * Builds a real n8n-core ExecuteContext for one node and runs `nodeType.execute` with it.
 * Returns the node's first output. Errors thrown by `execute` propagate unchanged.
 */
export async function runNode(options: RunNodeOptions): Promise<INodeExecutionData[]> {
	await initBinaryData();
	const { nodeType } = options;
	const execute = nodeType.execute;
	if (execute === undefined) {
		throw new Error(`Node type "${nodeType.description.name}" has no execute() method`);
	}
	const { workflow, node, additionalData } = harnessWorkflow(
		nodeType,
		options.parameters,
		options.credentials ?? {},
		{
			continueOnFail: options.continueOnFail,
		},
	);

	const items = options.items ?? [{ json: {} }];
	const inputData: ITaskDataConnections = { main: [items] };
	// `source: null` is what n8n uses for the first node of an execution (no parent node to pair items with).
	const executeData: IExecuteData = { node, data: inputData, source: null };
	const runExecutionData = createRunExecutionData({
		executionData: { nodeExecutionStack: [executeData] },
	});

	const closeFunctions: CloseFunction[] = [];
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		runExecutionData,
		0,
		items,
		inputData,
		executeData,
		closeFunctions,
		options.abortSignal ?? new AbortController().signal,
	);

	let output: Awaited<ReturnType<typeof execute>> = null;
	let executeError: { error: unknown } | undefined;
	try {
		output = await execute.call(context);
	} catch (error) {
		executeError = { error };
	}
	// Like WorkflowExecute: close functions (registered by sub-node connections) run even after a failure,
	// and an error from execute() itself takes precedence over one from closing.
	const closing = await Promise.allSettled(closeFunctions.map(async (close) => await close()));
	if (executeError !== undefined) throw executeError.error;
	const closeError = closing.find((result) => result.status === 'rejected');
	if (closeError !== undefined) throw closeError.reason;

	if (output === null || output === undefined) return [];
	if (!Array.isArray(output)) {
		throw new Error(
			'execute() returned an engine request (for AI sub-nodes); the harness does not run those',
		);
	}
	return (output[0] ?? []) as INodeExecutionData[];
}

export interface PollNodeOptions {
	nodeType: INodeType;
	parameters: INodeParameters;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/**
	 * The workflow's static data, as n8n keeps it between polls (in its database), changed in place by the poll: pass
	 * the same object to every poll; a deep copy of it stands for the same workflow after a restart or on another
	 * worker.
	 */
	staticData: IDataObject;
	/** 'trigger' for a poll of an active workflow (default), 'manual' for "Fetch Test Event" in the editor. */
	mode?: 'trigger' | 'manual';
}

/**
 * Runs `nodeType.poll` once through a real n8n-core PollContext; returns the items of its first output, or null when
 * the poll found nothing. The static data object is updated in place, as n8n updates the workflow's.
 */
export async function pollNode(options: PollNodeOptions): Promise<INodeExecutionData[] | null> {
	await initBinaryData();
	const { nodeType } = options;
	const poll = nodeType.poll;
	if (poll === undefined)
		throw new Error(`Node type "${nodeType.description.name}" has no poll() method`);
	const { workflow, node, additionalData } = harnessWorkflow(
		nodeType,
		options.parameters,
		options.credentials ?? {},
		{
			staticData: options.staticData,
		},
	);
	const mode = options.mode ?? 'trigger';
	const context = new PollContext(
		workflow,
		node,
		additionalData,
		mode,
		mode === 'manual' ? 'manual' : 'activate',
	);
	// The workflow's static data wraps the caller's object, so the poll's changes land in it, as n8n saves them.
	const output = await poll.call(context);
	return output === null ? null : (output[0] ?? []);
}

// ---------------------------------------------------------------------------------------------------------
// Binary data for tests
// ---------------------------------------------------------------------------------------------------------

/**
 * Stores content through the real BinaryDataService and returns `{ json: {}, binary: { [property]: data } }`.
 * Uses n8n-core's own `prepareBinaryData` (the function behind `this.helpers.prepareBinaryData`), so the mime
 * type, extension and file type are filled in as for a binary produced by an upstream node. In filesystem mode
 * the content is stored by reference: `id` is set and `data` holds only the mode marker, not the bytes.
 */
export async function binaryItem(
	content: Buffer | Readable,
	fileName: string,
	property = 'data',
	mimeType?: string,
): Promise<INodeExecutionData> {
	await initBinaryData();
	const binary = await prepareBinaryData(
		content,
		INPUT_EXECUTION_ID,
		WORKFLOW_ID,
		fileName,
		mimeType,
	);
	return { json: {}, binary: { [property]: binary } };
}

/** Reads a binary produced by a node back as a Buffer (from disk if stored by reference, else from base64). */
export async function readBinary(binary: IBinaryData): Promise<Buffer> {
	const service = await getBinaryDataService();
	return await service.getAsBuffer(binary);
}

/** Absolute path on disk of a binary stored by reference, so that tests can hash it by streaming. */
export function binaryFilePath(binary: IBinaryData): string {
	if (state === undefined) {
		throw new Error('binaryFilePath() needs initBinaryData() to have completed first');
	}
	if (!binary.id) {
		throw new Error(
			`Binary "${binary.fileName ?? '(no name)'}" is not stored by reference (no id); its bytes are inline base64`,
		);
	}
	return state.binaryDataService.getPath(binary.id);
}
