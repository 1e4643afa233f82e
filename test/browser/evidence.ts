/**
 * The editor test's record of what it saw: one screenshot per step, numbered in the order the steps ran, into
 * BROWSER_SCREENSHOTS (default .cache/browser/screenshots, gitignored with .cache/). A step that fails also saves
 * its screenshot and the page's text (`NN-step.FAILED.png` / `.txt`), so a red CI run shows what the page said.
 * The assertions are on the page's text; the pictures are for people.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';

import type { Page } from 'playwright-core';

import { REPO } from '../../tools/n8n';

export const SCREENSHOTS = path.resolve(
	process.env.BROWSER_SCREENSHOTS ?? path.join(REPO, '.cache', 'browser', 'screenshots'),
);

/** A capture must never hang the test that is reporting a failure. */
const CAPTURE_TIMEOUT_MS = 10_000;

export class Evidence {
	private count = 0;
	private failedStep?: string;

	private constructor(readonly folder: string) {}

	/** Empties the folder: the screenshots are those of the last run only. */
	static async prepare(folder = SCREENSHOTS): Promise<Evidence> {
		await fsp.rm(folder, { recursive: true, force: true });
		await fsp.mkdir(folder, { recursive: true });
		return new Evidence(folder);
	}

	private fileName(step: string): string {
		this.count += 1;
		const slug = step
			.toLowerCase()
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-|-$/g, '');
		return `${String(this.count).padStart(2, '0')}-${slug}`;
	}

	async screenshot(page: Page, step: string): Promise<string> {
		const file = path.join(this.folder, `${this.fileName(step)}.png`);
		await page.screenshot({ path: file, timeout: CAPTURE_TIMEOUT_MS });
		return file;
	}

	/** Saves a screenshot and the page's text; never throws (the step's own error is what matters). */
	async captureFailure(page: Page, step: string, error: unknown): Promise<string> {
		const base = path.join(this.folder, `${this.fileName(step)}.FAILED`);
		const text = await page
			.locator('body')
			.innerText({ timeout: CAPTURE_TIMEOUT_MS })
			.catch((reason: unknown) => `(the page's text could not be read: ${String(reason)})`);
		await fsp.writeFile(
			`${base}.txt`,
			`step: ${step}\nurl: ${page.url()}\nerror: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n\n--- page text ---\n${text}\n`,
		);
		await page
			.screenshot({ path: `${base}.png`, timeout: CAPTURE_TIMEOUT_MS })
			.catch(() => undefined);
		return base;
	}

	/**
	 * Runs one step of the walk through the editor, then screenshots the page. The steps build on each other: once one
	 * has failed, the later ones fail at once, naming it, instead of acting on a page in an unknown state.
	 */
	async step(page: Page, name: string, action: () => Promise<void>): Promise<void> {
		if (this.failedStep)
			return await Promise.reject(
				new Error(`not run: the earlier step "${this.failedStep}" failed`),
			);
		return await action()
			.then(async () => {
				await this.screenshot(page, name);
			})
			.catch(async (error: unknown) => {
				this.failedStep = name;
				const saved = await this.captureFailure(page, name, error);
				const message = error instanceof Error ? error.message : String(error);
				return await Promise.reject(
					new Error(`${message}\n(screenshot and page text: ${saved}.png / .txt)`, {
						cause: error,
					}),
				);
			});
	}
}
