/**
 * The example workflows of examples/ against the nodes as they are: every parameter of every node of this package
 * (and every key of its `options` collection) exists in that node version's description, is shown with the values the
 * example sets (n8n's own display rules decide, as in the editor), has the declared type and, for a list of choices,
 * an allowed value; every credential is one the node offers for its Protocol and is referred to by id and name only.
 * A renamed or removed option therefore breaks this test before it breaks a user's import.
 *
 * The descriptions come from the package root (`index.ts`), like publicContract.test.ts. The e2e side (the files
 * imported into a real n8n) is test/e2e/examples.e2e.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
	INode,
	INodeParameters,
	INodeProperties,
	INodePropertyOptions,
	INodeTypeDescription,
} from 'n8n-workflow';

import { FtpAutomation, FtpAutomationTrigger } from '../../index';
import { PACKAGE, packageNodes, problemsOfNode, type ExampleWorkflow } from '../e2e/examplesCheck';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

const DESCRIPTIONS: Record<string, INodeTypeDescription> = {
	[`${PACKAGE}.ftpAutomation`]: new FtpAutomation().description,
	[`${PACKAGE}.ftpAutomationTrigger`]: new FtpAutomationTrigger().description,
};

/** One file per pattern of the README's "Patterns" section, plus the three earlier examples. */
const PATTERN_EXAMPLES = [
	'pattern-done-file-pickup.json',
	'pattern-age-and-size-rules.json',
	'pattern-claim-with-several-workers.json',
	'pattern-verified-checksums.json',
	'pattern-trigger-done-file-claim-deleted.json',
];

const exampleFiles = readdirSync(EXAMPLES)
	.filter((file) => file.endsWith('.json'))
	.sort();
const examples = exampleFiles.map(
	(file) =>
		[file, JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ExampleWorkflow] as const,
);

describe('example workflows (examples/*.json)', () => {
	it('has one file for each pattern of the README', () => {
		expect(exampleFiles).toEqual(expect.arrayContaining(PATTERN_EXAMPLES));
	});

	it('gives every workflow its own id (an import with a known id replaces that workflow)', () => {
		const ids = examples.map(([, workflow]) => workflow.id);
		expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
		expect(new Set(ids).size).toBe(ids.length);
	});

	it.each(examples)(
		'%s: nodes have unique names and connections name existing nodes',
		(_, workflow) => {
			const names = workflow.nodes.map((node) => node.name);
			expect(new Set(names).size).toBe(names.length);
			const targets = Object.values(workflow.connections).flatMap(({ main }) =>
				main.flatMap((output) => (output ?? []).map(({ node }) => node)),
			);
			expect(
				[...Object.keys(workflow.connections), ...targets].filter((name) => !names.includes(name)),
			).toEqual([]);
			expect(packageNodes(workflow).length).toBeGreaterThan(0);
		},
	);

	it.each(examples)('%s: holds no secret (credentials are referred to by name)', (file) => {
		const text = readFileSync(join(EXAMPLES, file), 'utf8');
		expect(text).not.toMatch(/"(password|privateKey|passphrase|anonymousPassword|clientKey)"\s*:/i);
		expect(text).not.toMatch(/-----BEGIN/);
	});

	it.each(examples)(
		'%s: every parameter and option of the FTP Automation nodes exists for their version, with allowed values',
		(_, workflow) => {
			const problems = packageNodes(workflow).flatMap((node) => {
				const description = DESCRIPTIONS[node.type];
				if (!description) return [`${node.name}: unknown node type ${node.type}`];
				return problemsOfNode(node, description).map((problem) => `${node.name}: ${problem}`);
			});
			expect(problems).toEqual([]);
		},
	);

	it('is listed in examples/README.md, and the main README links only to examples that exist', () => {
		const examplesReadme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
		expect(exampleFiles.filter((file) => !examplesReadme.includes(`(${file})`))).toEqual([]);
		const readme = readFileSync(join(EXAMPLES, '..', 'README.md'), 'utf8');
		const linked = [...readme.matchAll(/\]\(examples\/([^)#]+\.json)\)/g)].map((match) => match[1]);
		expect(linked.length).toBeGreaterThanOrEqual(PATTERN_EXAMPLES.length);
		expect(linked.filter((file) => !exampleFiles.includes(file))).toEqual([]);
	});
});

/** Every (display name, stored name) pair of both nodes: fields, collection options and the choices of a list. */
function namePairs(properties: INodeProperties[]): string[] {
	return properties.flatMap((property) => {
		const own = `${property.displayName} = ${property.name}`;
		const options = (property.options ?? []) as Array<INodeProperties | INodePropertyOptions>;
		if (property.type === 'collection') return [own, ...namePairs(options as INodeProperties[])];
		if (property.type === 'options' || property.type === 'multiOptions') {
			return [
				own,
				...(options as INodePropertyOptions[]).map(
					({ name, value }) => `${name} = ${String(value)}`,
				),
			];
		}
		return [own];
	});
}

describe("the README's Patterns section", () => {
	it('names each option as the editor shows it, with its stored name (**Display Name** (`name`))', () => {
		const readme = readFileSync(join(EXAMPLES, '..', 'README.md'), 'utf8');
		const start = readme.indexOf('\n## Patterns\n');
		expect(start).toBeGreaterThan(0);
		const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
		const named = [...section.matchAll(/\*\*([^*]+)\*\*\s+\(`(\w+)`/g)].map(
			([, displayName, name]) => `${displayName.replace(/\s+/g, ' ')} = ${name}`,
		);
		expect(named.length).toBeGreaterThan(15);
		const known = new Set(
			Object.values(DESCRIPTIONS).flatMap(({ properties }) => namePairs(properties)),
		);
		expect(named.filter((pair) => !known.has(pair))).toEqual([]);
	});
});

describe('the example check itself', () => {
	const download: INode = {
		id: 'check-1',
		name: 'Download',
		type: `${PACKAGE}.ftpAutomation`,
		typeVersion: 2,
		position: [0, 0],
		parameters: { operation: 'download', path: '={{ $json.path }}', options: { concurrency: 2 } },
		credentials: { ftpAutomationApi: { id: 'x', name: 'Partner FTPS' } },
	};
	const check = (node: INode) => problemsOfNode(node, DESCRIPTIONS[node.type]);

	it('accepts a valid node', () => {
		expect(check(download)).toEqual([]);
	});

	it.each([
		[
			'an unknown option',
			{ options: { noSuchOption: true } },
			'options.noSuchOption is not an option',
		],
		[
			'a value that is not a choice',
			{ afterDownload: 'shred' },
			'afterDownload = "shred" is not one of',
		],
		['a field hidden by its condition', { moveToFolder: '/archive' }, 'moveToFolder is hidden'],
		['an unknown parameter', { colour: 'red' }, 'colour is not a parameter of version 2'],
		['a required field left empty', { path: '' }, 'path is required and empty'],
		['a value of the wrong type', { options: { concurrency: 'two' } }, 'is not a number'],
		[
			'an option of another operation',
			{ options: { filter: '*.csv' } },
			'options.filter is not an option',
		],
	])('reports %s', (_, change, expected) => {
		const parameters = { ...download.parameters, ...change } as INodeParameters;
		expect(check({ ...download, parameters }).join('\n')).toContain(expected);
	});

	it('reports a node version that does not exist and an SFTP credential on an FTP node', () => {
		expect(check({ ...download, typeVersion: 4 })).toEqual(['typeVersion 4 is not one of [1,2,3]']);
		const sftp = { ...download, credentials: { sftpAutomationApi: { id: 'y', name: 'SFTP' } } };
		expect(check(sftp).join('\n')).toMatch(
			/credential sftpAutomationApi is not offered[\s\S]*ftpAutomationApi is missing/,
		);
	});
});
