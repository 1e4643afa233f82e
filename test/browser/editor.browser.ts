/**
 * n8n's real editor in a real browser (headless Chromium from Debian, driven by playwright-core), against the newest
 * n8n with the packed package: what a user does first, step by step, with a screenshot of each. See README.md here.
 *
 * The steps build on each other and run in order. The workflow run comes before the credential's wrong password and
 * before the walk through the operations, because n8n 2.x saves a workflow's changes by itself: the walk leaves the
 * node changed.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import { lookup } from 'mime-types';
import type { INodeParameters } from 'n8n-workflow';

import {
	DEMO_CREDENTIAL_NAME,
	DEMO_WORKFLOW_ID,
	EXAMPLES,
	demoWorkflow,
} from '../../scripts/demo/common';
import {
	binaryOutput,
	closeCredential,
	closeNode,
	createOwner,
	executeWorkflow,
	openNode,
	openNodeCredential,
	openWorkflow,
	saveCredentialPassword,
	selectOption,
	visibleParameterLabels,
} from './editorPages';
import { Evidence } from './evidence';
import { actionNodeDescription, fieldsPerOperation } from './expectedFields';
import { startEditorSession, type EditorSession } from './session';

/** The demo's node that downloads each listed CSV file, and the one whose operations the walk switches through. */
const DOWNLOAD_NODE = 'Download';
const WALK_NODE = 'List CSV Files';
const INBOUND = path.join(EXAMPLES, 'demo-data', 'inbound');

let session: EditorSession;
let evidence: Evidence;

beforeAll(async () => {
	evidence = await Evidence.prepare();
	session = await startEditorSession(evidence.folder);
	console.log(
		`editor test: n8n ${process.env.N8N_E2E_VERSION} on ${session.url}; screenshots in ${evidence.folder}`,
	);
}, 25 * 60_000);

afterAll(async () => {
	if (!session) return;
	if (session.blockedRequests.length > 0)
		await fsp.writeFile(
			path.join(evidence.folder, 'blocked-requests.txt'),
			`${session.blockedRequests.join('\n')}\n`,
		);
	await session.stop();
}, 60_000);

function step(name: string, action: () => Promise<void>, timeoutMs = 120_000): void {
	test(name, async () => await evidence.step(session.page, name, action), timeoutMs);
}

step('creates the owner account on the setup page', async () => {
	await createOwner(session.page, session.url, {
		email: 'owner@example.com',
		firstName: 'Olive',
		lastName: 'Owner',
		password: 'Browser-Test-1',
	});
});

step('opens the demo workflow with every node on the canvas', async () => {
	const workflow = await demoWorkflow();
	const names = await openWorkflow(session.page, session.url, DEMO_WORKFLOW_ID);
	expect(names.sort()).toEqual(workflow.nodes.map((node) => node.name).sort());
});

step('runs the workflow from the editor: every node succeeds', async () => {
	const workflow = await demoWorkflow();
	await executeWorkflow(
		session.page,
		workflow.nodes.map((node) => node.name),
	);
});

step("shows Download's binary output: file name, MIME type and size of each CSV", async () => {
	const files = (await fsp.readdir(INBOUND)).filter((name) => name.endsWith('.csv')).sort();
	expect(files.length).toBeGreaterThan(0);
	await openNode(session.page, DOWNLOAD_NODE);
	const items = await binaryOutput(session.page);
	expect(items).toHaveLength(files.length);
	for (const file of files) {
		const { size } = await fsp.stat(path.join(INBOUND, file));
		// n8n writes sizes below 1 kB in bytes ("70 B"); the demo's files are that small.
		expect(size).toBeLessThan(1024);
		const item = items.find((text) => text.includes(file));
		expect(item).toBeDefined();
		expect(item).toMatch(/File Name:\s*\S+\.csv/);
		expect(item).toMatch(new RegExp(`Mime Type:\\s*${String(lookup(file))}`));
		expect(item).toMatch(new RegExp(`File Size:\\s*${size} B`));
	}
});

step('tests the credential against the embedded server: success', async () => {
	await openNodeCredential(session.page);
	const result = await saveCredentialPassword(session.page, session.ftps.password);
	console.log(`credential test (success) – n8n's API answered: ${result.apiMessage}`);
	expect(result.status).toBe('OK');
	expect(result.banner).toContain('Connection tested successfully');
});

step(
	'tests the credential with a wrong password: names the failing step and the cause',
	async () => {
		const result = await saveCredentialPassword(session.page, 'not-the-password');
		console.log(
			`credential test (wrong password) – the page shows: ${result.banner.split('\n')[0]}`,
		);
		expect(result.status).toBe('Error');
		expect(result.banner).toMatch(/Step \d+ of \d+, login/);
		expect(result.banner).toMatch(/wrong username or password/i);
		expect(result.banner).toContain('530');
	},
);

step('saves the right password again: the credential test succeeds', async () => {
	const result = await saveCredentialPassword(session.page, session.ftps.password);
	expect(result.status).toBe('OK');
	expect(result.banner).toContain('Connection tested successfully');
	await closeCredential(session.page);
	await closeNode(session.page);
});

step(`opens "${WALK_NODE}" with its credential selected`, async () => {
	await openNode(session.page, WALK_NODE);
	const selected = session.page.getByTestId('node-credentials-select').locator('input');
	expect(await selected.inputValue()).toBe(DEMO_CREDENTIAL_NAME);
});

step(
	'switches through every operation: each shows exactly its fields (from the node description)',
	async () => {
		// Read now, after the package was built and packed: the description n8n loaded.
		const description = actionNodeDescription();
		const node = (await demoWorkflow()).nodes.find((candidate) => candidate.name === WALK_NODE);
		if (!node) throw new Error(`the demo workflow has no node "${WALK_NODE}"`);
		const expected = fieldsPerOperation(description, {
			typeVersion: Number(node.typeVersion),
			parameters: node.parameters as INodeParameters,
		});
		const mismatches: string[] = [];
		for (const fields of expected) {
			await selectOption(session.page, 'operation', fields.name);
			const [credential, ...labels] = await visibleParameterLabels(session.page);
			await evidence.screenshot(session.page, `operation ${fields.name}`);
			if (!/^Credential/.test(credential ?? ''))
				mismatches.push(`${fields.name}: the credential selector comes first, not "${credential}"`);
			if (labels.join(' | ') !== fields.labels.join(' | '))
				mismatches.push(
					`${fields.name}: shows [${labels.join(' | ')}], the description says [${fields.labels.join(' | ')}]`,
				);
		}
		expect(mismatches).toEqual([]);
		expect(expected.length).toBeGreaterThan(1);
	},
);
