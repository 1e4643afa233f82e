/**
 * The example workflows of examples/ imported into a real n8n, as the examples' README tells users to: the package
 * packed and installed into a fresh user folder (tools/n8n.ts, the version N8N_E2E_VERSION names), then one
 * `n8n import:workflow --separate --input=examples` for all files, without their credentials (users pick their own).
 * Asserted: n8n reports every file imported, its database holds each workflow with the file's nodes, types, versions,
 * parameters and credential references unchanged, and the package n8n loaded declares every node type and version
 * the examples use and accepts their parameters (the check of test/unit/examples.test.ts, run on the descriptions
 * of the installed package, read with n8n's own n8n-workflow). No FTP server: nothing is executed.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { INodeTypeDescription } from 'n8n-workflow';

import { runCommand } from '../../tools/commands';
import { baseEnvironment, N8n, REPO } from '../../tools/n8n';
import { packageNodes, problemsOfNode, type ExampleWorkflow } from './examplesCheck';
import { versionProfile } from './versions/profiles';

const EXAMPLES = path.join(REPO, 'examples');

/** The workflows n8n stored (workflow_entity), read with n8n's own sqlite3 on n8n's Node (it is built for it). */
const READ_WORKFLOWS = `
const [database, cache] = process.argv.slice(1);
const sqlite3 = require('module').createRequire(cache + '/package.json')('sqlite3');
const db = new sqlite3.Database(database, sqlite3.OPEN_READONLY, (openError) => {
	if (openError) throw openError;
	db.all('SELECT id, name, active, nodes, connections FROM workflow_entity ORDER BY id', [], (error, rows) => {
		if (error) throw error;
		process.stdout.write(JSON.stringify(rows));
		db.close();
	});
});`;

/**
 * The node descriptions of the installed package, loaded as n8n loads them: the files its package.json lists under
 * `n8n.nodes`, with n8n's own n8n-workflow (the package does not bring one: it is a peer dependency).
 */
const READ_DESCRIPTIONS = `
const [packageFolder, cache] = process.argv.slice(1);
process.env.NODE_PATH = cache + '/node_modules';
require('module').Module._initPaths();
const manifest = require(packageFolder + '/package.json');
const descriptions = {};
for (const file of manifest.n8n.nodes) {
	for (const NodeClass of Object.values(require(packageFolder + '/' + file))) {
		const { description } = new NodeClass();
		descriptions[manifest.name + '.' + description.name] = description;
	}
}
process.stdout.write(JSON.stringify(descriptions));`;

interface StoredWorkflow {
	id: string;
	name: string;
	active: number | boolean;
	nodes: string;
	connections: string;
}

let n8n: N8n;
let importOutput = '';
let stored: StoredWorkflow[] = [];
let installedDescriptions: Record<string, INodeTypeDescription> = {};
let examples: Array<[string, ExampleWorkflow]> = [];

async function onN8nsNode(script: string, args: string[]): Promise<string> {
	const result = await runCommand(path.join(n8n.install.nodeBin, 'node'), ['-e', script, ...args], {
		env: baseEnvironment(),
		timeoutMs: 60_000,
		maxBufferBytes: 64 * 1024 * 1024,
	});
	if (result.code !== 0)
		throw new Error(`node -e failed (exit ${String(result.code)}): ${result.stderr}`);
	return result.stdout;
}

beforeAll(async () => {
	const profile = versionProfile();
	console.log(`examples e2e: n8n ${profile.install.version}`);
	const files = (await fsp.readdir(EXAMPLES)).filter((file) => file.endsWith('.json')).sort();
	examples = await Promise.all(
		files.map(
			async (file) =>
				[file, JSON.parse(await fsp.readFile(path.join(EXAMPLES, file), 'utf8'))] as [
					string,
					ExampleWorkflow,
				],
		),
	);
	n8n = await N8n.prepare(() => profile.environment, { tempPrefix: 'n8n-examples-' });
	// One n8n process for every file, exactly the command the examples' README gives.
	const result = await n8n.importWorkflows(EXAMPLES);
	importOutput = `${result.stdout}\n${result.stderr}`;
	stored = JSON.parse(
		await onN8nsNode(READ_WORKFLOWS, [
			path.join(n8n.userFolder, '.n8n', 'database.sqlite'),
			n8n.install.cache,
		]),
	) as StoredWorkflow[];
	installedDescriptions = JSON.parse(
		await onN8nsNode(READ_DESCRIPTIONS, [n8n.installedPackage, n8n.install.cache]),
	) as Record<string, INodeTypeDescription>;
}, 35 * 60_000);

afterAll(async () => {
	if (process.env.N8N_E2E_KEEP) console.log(`n8n user folder kept: ${n8n?.userFolder}`);
	else await n8n?.remove();
});

describe('the example workflows in a real n8n', () => {
	it('imports every file (n8n skips an invalid file with only a warning, so its report is read)', () => {
		expect(examples.length).toBeGreaterThanOrEqual(8);
		expect(importOutput).toContain(`Successfully imported ${examples.length} workflows`);
		expect(importOutput).not.toMatch(/Skipping invalid workflow file|An error occurred/);
		expect(stored.map(({ id }) => id).sort()).toEqual(
			examples.map(([, workflow]) => workflow.id).sort(),
		);
	});

	it('stores each workflow with the nodes of its file, inactive, with our node types', () => {
		for (const [file, workflow] of examples) {
			const row = stored.find(({ id }) => id === workflow.id);
			expect({ file, name: row?.name, active: Boolean(row?.active) }).toEqual({
				file,
				name: workflow.name,
				active: false,
			});
			const nodes = JSON.parse(row!.nodes) as ExampleWorkflow['nodes'];
			const essentials = (list: ExampleWorkflow['nodes']) =>
				list.map(({ name, type, typeVersion, parameters, credentials }) => ({
					name,
					type,
					typeVersion,
					parameters,
					credentials,
				}));
			expect(essentials(nodes)).toEqual(essentials(workflow.nodes));
			expect(JSON.parse(row!.connections)).toEqual(workflow.connections);
			expect(packageNodes({ ...workflow, nodes }).length).toBeGreaterThan(0);
		}
	});

	it('uses only node types and versions the installed package declares, with parameters it accepts', () => {
		expect(Object.keys(installedDescriptions).sort()).toEqual([
			'n8n-nodes-ftp-automation.ftpAutomation',
			'n8n-nodes-ftp-automation.ftpAutomationTrigger',
		]);
		const problems = examples.flatMap(([file, workflow]) =>
			packageNodes(workflow).flatMap((node) => {
				const description = installedDescriptions[node.type];
				if (!description) return [`${file}: ${node.name}: ${node.type} is not in the package`];
				return problemsOfNode(node, description).map(
					(problem) => `${file}: ${node.name}: ${problem}`,
				);
			}),
		);
		expect(problems).toEqual([]);
	});
});
