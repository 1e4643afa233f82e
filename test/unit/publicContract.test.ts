/**
 * The public contract: the names, types, defaults, option values and display conditions that users' saved
 * workflows and credentials refer to. Renaming any of them silently breaks saved workflows, so a refactor
 * must leave publicContract.json unchanged. Wording (displayName, description, hint, placeholder) is left out
 * on purpose: it may improve freely.
 *
 * A deliberate, reviewed contract change regenerates the fixture:
 *   UPDATE_CONTRACT=1 npx jest test/unit/publicContract.test.ts
 *   npx prettier --write test/unit/publicContract.json
 * Without UPDATE_CONTRACT the test only compares; a missing fixture fails rather than being written.
 *
 * A node with several versions has one contract per version: the fields a node of that version shows (n8n's
 * `@version` display condition decides), so that adding a version leaves the contract of the earlier ones
 * byte-identical. Version 1 of FTP Automation is `node`, version 2 `nodeVersion2`, version 3 `nodeVersion3`.
 *
 * The classes come from the package root only: file paths under nodes/ may move, the root exports stay.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
	INodeCredentialDescription,
	INodeProperties,
	INodePropertyCollection,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	FtpAutomation,
	FtpAutomationApi,
	FtpAutomationTrigger,
	SftpAutomationApi,
} from '../../index';

const FIXTURE_PATH = join(__dirname, 'publicContract.json');

interface PropertyContract {
	name: string;
	type: string;
	default: unknown;
	displayOptions?: { show?: unknown; hide?: unknown };
	/** The stored values of an `options` or `multiOptions` parameter, in declared order. */
	values?: unknown[];
	/** The fields of a `collection`, or the groups of a `fixedCollection`. */
	options?: Array<PropertyContract | { name: string; values: PropertyContract[] }>;
}

type PropertyOption = INodePropertyOptions | INodeProperties | INodePropertyCollection;

const isFieldGroup = (option: PropertyOption): option is INodePropertyCollection =>
	'values' in option && Array.isArray(option.values);

function propertyContract(property: INodeProperties): PropertyContract {
	const contract: PropertyContract = {
		name: property.name,
		type: property.type,
		default: property.default,
	};
	// Only show/hide decide which saved parameters apply; other displayOptions keys are UI-only.
	const { show, hide } = property.displayOptions ?? {};
	if (show || hide) contract.displayOptions = { show, hide };

	const options: PropertyOption[] = property.options ?? [];
	if (property.type === 'options' || property.type === 'multiOptions') {
		contract.values = (options as INodePropertyOptions[]).map((option) => option.value);
	} else if (property.type === 'collection') {
		contract.options = (options as INodeProperties[]).map(propertyContract);
	} else if (property.type === 'fixedCollection') {
		contract.options = options.filter(isFieldGroup).map((group) => ({
			name: group.name,
			values: group.values.map(propertyContract),
		}));
	}
	return contract;
}

function credentialsContract(credentials: INodeCredentialDescription[] = []) {
	return credentials.map(({ name, required, testedBy }) => ({ name, required, testedBy }));
}

/** The fields a node of `version` has, with the `@version` condition that selected them taken out. */
export function propertiesOfVersion(
	properties: INodeProperties[],
	version: number,
): INodeProperties[] {
	return properties
		.filter((property) => {
			const versions = property.displayOptions?.show?.['@version'];
			return versions === undefined || versions.includes(version);
		})
		.map((property) => {
			const show = { ...property.displayOptions?.show };
			if (!('@version' in show)) return property;
			delete show['@version'];
			return { ...property, displayOptions: { ...property.displayOptions, show } };
		});
}

function nodeContract(description: INodeTypeDescription, version?: number) {
	const versions = Array.isArray(description.version) ? description.version : [description.version];
	const contractVersion = version ?? versions[0];
	return {
		name: description.name,
		version: contractVersion,
		polling: description.polling,
		credentials: credentialsContract(description.credentials),
		properties: propertiesOfVersion(description.properties, contractVersion).map(propertyContract),
	};
}

function currentContract() {
	const credential = new FtpAutomationApi();
	const sftpCredential = new SftpAutomationApi();
	const contract = {
		node: nodeContract(new FtpAutomation().description, 1),
		trigger: nodeContract(new FtpAutomationTrigger().description),
		credential: { name: credential.name, properties: credential.properties.map(propertyContract) },
		sftpCredential: {
			name: sftpCredential.name,
			properties: sftpCredential.properties.map(propertyContract),
		},
		nodeVersion2: nodeContract(new FtpAutomation().description, 2),
		nodeVersion3: nodeContract(new FtpAutomation().description, 3),
	};
	// A JSON round trip drops undefined fields, exactly as the fixture file does.
	return JSON.parse(JSON.stringify(contract)) as typeof contract;
}

describe('public contract', () => {
	it('matches the committed fixture (names, types, defaults, option values, display conditions)', () => {
		const contract = currentContract();
		if (process.env.UPDATE_CONTRACT) {
			writeFileSync(FIXTURE_PATH, `${JSON.stringify(contract, null, '\t')}\n`);
		}
		if (!existsSync(FIXTURE_PATH)) {
			throw new Error(`${FIXTURE_PATH} is missing: regenerate it with UPDATE_CONTRACT=1 (see top)`);
		}
		expect(contract).toEqual(JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')));
	});

	it.each([
		['FtpAutomation', new FtpAutomation()],
		['FtpAutomationTrigger', new FtpAutomationTrigger()],
	] as Array<[string, INodeType]>)(
		'%s: every credential testedBy names a method in methods.credentialTest',
		(_, node) => {
			const credentials = node.description.credentials ?? [];
			expect(credentials.length).toBeGreaterThan(0);
			const names = [new FtpAutomationApi().name, new SftpAutomationApi().name];
			expect(credentials.map(({ name }) => name)).toEqual(names);
			for (const { testedBy } of credentials) {
				expect(typeof testedBy).toBe('string');
				expect(typeof node.methods?.credentialTest?.[testedBy as string]).toBe('function');
			}
		},
	);

	it.each([
		['FtpAutomation', new FtpAutomation()],
		['FtpAutomationTrigger', new FtpAutomationTrigger()],
	] as Array<[string, INodeType]>)(
		'%s: a workflow saved before SFTP existed (no Protocol) keeps its FTP credential',
		(_, node) => {
			const protocol = node.description.properties.find((field) => field.name === 'protocol');
			expect(protocol?.default).toBe('ftp');
			const shown = (node.description.credentials ?? []).filter(({ displayOptions }) =>
				(displayOptions?.show?.protocol as unknown[]).includes(protocol?.default),
			);
			expect(shown.map(({ name }) => name)).toEqual([new FtpAutomationApi().name]);
		},
	);
});
