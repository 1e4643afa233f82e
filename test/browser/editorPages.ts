/**
 * The parts of n8n's editor the browser test uses, found by n8n's own `data-test-id` attributes (read from the editor
 * bundle of n8n 2.41.1, `n8n-editor-ui/dist/assets`) and, where n8n gives none, by the text a user reads. Every wait
 * has a timeout; every list read is bounded.
 */
import type { Locator, Page } from 'playwright-core';

/** A workflow run from the editor: the demo takes about 5 s here. */
const EXECUTION_TIMEOUT_MS = 90_000;
/** One credential test against the embedded server (a wrong password answers at once; ftp-srv has no delay). */
const CREDENTIAL_TEST_TIMEOUT_MS = 60_000;
/** More parameters than any node shows: a bound for reading them one by one. */
const MAX_PARAMETERS = 60;

export interface Owner {
	email: string;
	firstName: string;
	lastName: string;
	password: string;
}

/** n8n's first page on a new instance: the owner account. Resolves once n8n has moved on from /setup. */
export async function createOwner(page: Page, url: string, owner: Owner): Promise<void> {
	await page.goto(url);
	await page.waitForURL((address) => address.pathname.startsWith('/setup'));
	await page.getByTestId('setup-form').getByText('Set up owner account').waitFor();
	for (const [field, value] of Object.entries(owner))
		await page.getByTestId(field).locator('input').fill(value);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((address) => !address.pathname.startsWith('/setup'));
}

export function canvasNode(page: Page, name: string): Locator {
	return page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
}

/** Opens a saved workflow; resolves with the names of its nodes on the canvas. */
export async function openWorkflow(page: Page, url: string, id: string): Promise<string[]> {
	await page.goto(`${url}/workflow/${id}`);
	await page.getByTestId('canvas-node').first().waitFor();
	const names: string[] = [];
	const nodes = page.getByTestId('canvas-node');
	const count = Math.min(await nodes.count(), MAX_PARAMETERS);
	for (let index = 0; index < count; index++)
		names.push((await nodes.nth(index).getAttribute('data-node-name')) ?? '');
	return names;
}

/** The node's details view (NDV): parameters in the middle, input and output on the sides. */
export async function openNode(page: Page, name: string): Promise<Locator> {
	await canvasNode(page, name).dblclick();
	const ndv = page.getByTestId('ndv');
	const title = ndv.getByTestId('node-title-container').getByTestId('inline-edit-preview');
	await title.waitFor();
	const shown = await title.innerText();
	if (shown.trim() !== name) throw new Error(`opened node "${shown}" instead of "${name}"`);
	return ndv;
}

export async function closeNode(page: Page): Promise<void> {
	const ndv = page.getByTestId('ndv');
	if (await ndv.isVisible()) await page.getByTestId('ndv-close-button').click();
	await ndv.waitFor({ state: 'hidden' });
}

/** The label of a parameter as the user reads it (without n8n's "Fixed / Expression" switch or a required mark). */
async function labelOf(item: Locator): Promise<string | undefined> {
	const label = item.getByTestId('input-label').first();
	if ((await label.count()) === 0) return undefined;
	const text = await label.innerText();
	return text
		.split('\n')[0]
		.replace(/\s*\*\s*$/, '')
		.trim();
}

/**
 * The labels of the parameters the open node shows on its Parameters tab, top level only (an Options collection
 * counts once, by its own label), in page order. The credential selector is listed by its label too.
 */
export async function visibleParameterLabels(page: Page): Promise<string[]> {
	const parameters = page.getByTestId('node-parameters');
	const labels: string[] = [];
	const credential = parameters.getByTestId('credentials-label');
	if (await credential.isVisible()) labels.push((await credential.innerText()).trim());
	const items = parameters.locator(
		'xpath=.//*[@data-test-id="parameter-item"][not(ancestor::*[@data-test-id="parameter-item"])]',
	);
	const count = Math.min(await items.count(), MAX_PARAMETERS);
	for (let index = 0; index < count; index++) {
		const item = items.nth(index);
		if (!(await item.isVisible())) continue;
		const label = await labelOf(item);
		if (label) labels.push(label);
	}
	return labels;
}

/** Picks an option of an `options` parameter by the name the dropdown shows. */
export async function selectOption(page: Page, parameter: string, option: string): Promise<void> {
	const input = page.getByTestId(`parameter-input-${parameter}`);
	await input.click();
	await page
		.locator('.el-select-dropdown__item:visible')
		.filter({ has: page.getByText(option, { exact: true }) })
		.first()
		.click();
	await waitForValue(input.locator('input').first(), option);
}

async function waitForValue(input: Locator, value: string): Promise<void> {
	const deadline = Date.now() + 10_000;
	while ((await input.inputValue()) !== value) {
		if (Date.now() > deadline)
			throw new Error(`the field shows "${await input.inputValue()}", not "${value}"`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/**
 * Runs the open workflow with the editor's "Execute workflow" button and waits until every node in `mustSucceed`
 * shows n8n's success mark. A node that shows the error mark ends the wait with its name.
 */
export async function executeWorkflow(page: Page, mustSucceed: string[]): Promise<void> {
	await page.getByTestId('execute-workflow-button').click();
	// n8n's toast when a run cannot start at all (e.g. a node type it did not load).
	const problem = page
		.locator('.el-notification:visible')
		.filter({ hasText: 'Problem running workflow' });
	const deadline = Date.now() + EXECUTION_TIMEOUT_MS;
	for (const name of mustSucceed) {
		const node = canvasNode(page, name);
		for (;;) {
			if (await node.getByTestId('canvas-node-status-success').isVisible()) break;
			if (await node.getByTestId('canvas-node-status-mark-error').isVisible())
				throw new Error(`node "${name}" failed when the workflow ran from the editor`);
			if (await problem.isVisible())
				throw new Error(`the workflow did not run: ${await problem.innerText()}`);
			if (Date.now() > deadline)
				throw new Error(
					`node "${name}" showed no success within ${EXECUTION_TIMEOUT_MS / 1000} s of "Execute workflow"`,
				);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
}

/** The binary data the open node output, one text per item as the Binary view shows it. */
export async function binaryOutput(page: Page): Promise<string[]> {
	const output = page.getByTestId('output-panel');
	const binaryView = output.getByTestId('radio-button-binary');
	if (await binaryView.isVisible()) await binaryView.click();
	const first = output.getByTestId('ndv-binary-data_0');
	await first.waitFor();
	const texts: string[] = [];
	for (let index = 0; index < MAX_PARAMETERS; index++) {
		const item = output.getByTestId(`ndv-binary-data_${index}`);
		if ((await item.count()) === 0) break;
		texts.push(await item.innerText());
	}
	return texts;
}

/** The credential modal, opened with the pencil next to the open node's credential. */
export async function openNodeCredential(page: Page): Promise<Locator> {
	await page.getByTestId('ndv').getByTestId('credential-edit-button').click();
	const modal = page.getByTestId('credential-edit-dialog');
	await modal.getByTestId('parameter-input-password').waitFor();
	return modal;
}

/** The password a credential test request carries (`{credentials: {data: {password}}}`). */
function testedPassword(body: string | null): unknown {
	try {
		return (JSON.parse(body ?? '{}') as { credentials?: { data?: { password?: unknown } } })
			.credentials?.data?.password;
	} catch {
		return undefined;
	}
}

/**
 * Types a password into the open credential and saves: n8n then tests the credential with the node's own test.
 * Resolves with the banner the user sees (its text, details expanded), and the message n8n's API returned.
 */
export async function saveCredentialPassword(
	page: Page,
	password: string,
): Promise<{ banner: string; apiMessage: string; status: string }> {
	const modal = page.getByTestId('credential-edit-dialog');
	await modal.getByTestId('parameter-input-password').locator('input').fill(password);
	// n8n 2.41.1 also tests a credential when its modal opens: wait for the test of what was typed.
	const tested = page.waitForResponse(
		(response) =>
			response.url().includes('/rest/credentials/test') &&
			response.request().method() === 'POST' &&
			testedPassword(response.request().postData()) === password,
		{ timeout: CREDENTIAL_TEST_TIMEOUT_MS },
	);
	await page.getByTestId('credential-save-button').click();
	const body = (await (await tested).json()) as { data?: { status?: string; message?: string } };
	const status = body.data?.status ?? '(none)';
	const config = modal.getByTestId('node-credentials-config-container');
	if (status === 'OK') {
		const success = config.getByTestId('credentials-config-container-test-success');
		await success.waitFor();
		return { banner: await success.innerText(), apiMessage: body.data?.message ?? '', status };
	}
	// n8n 2.41.1 gives the failure banner no test id: it is Element Plus's danger tag, with "More details" to expand.
	const banner = config.locator('.el-tag--danger:visible').first();
	await banner.getByText('More details').click();
	await banner.getByText('More details').waitFor({ state: 'hidden' });
	return { banner: await banner.innerText(), apiMessage: body.data?.message ?? '', status };
}

/** Escape closes the credential modal (and in n8n 2.41.1 the node's details view under it too). */
export async function closeCredential(page: Page): Promise<void> {
	await page.keyboard.press('Escape');
	await page.getByTestId('credential-edit-dialog').waitFor({ state: 'hidden' });
}
