/**
 * What n8n's editor shows for the nodes, computed with n8n-workflow's own rules: the canvas subtitle (evaluated by
 * its expression engine, as the editor does, without input data), and which fields version 2 shows and keeps when
 * the user switches operation (NodeHelpers.getNodeParameters, which the editor runs on every change).
 */
import {
	NodeHelpers,
	Workflow,
	type INode,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
} from 'n8n-workflow';

import { FtpAutomation, FtpAutomationTrigger } from '../../index';

/** The subtitle as the editor computes it (getNodeSubtitle): the description's expression, no input data. */
function subtitleOf(nodeType: INodeType, typeVersion: number, parameters: INodeParameters) {
	const lookUp = () => nodeType;
	const nodeTypes: INodeTypes = {
		getByName: lookUp,
		getByNameAndVersion: lookUp,
		getKnownTypes: () => ({}),
	};
	const node: INode = {
		id: 'subtitle',
		name: 'Node',
		type: `n8n-nodes-ftp-automation.${nodeType.description.name}`,
		typeVersion,
		position: [0, 0],
		parameters,
	};
	// The Workflow fills in the defaults, as the editor does for the nodes it shows.
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return workflow.expression.getSimpleParameterValue(
		workflow.nodes.Node,
		nodeType.description.subtitle,
		'internal',
		{},
	);
}

describe('canvas subtitles', () => {
	const action = new FtpAutomation();

	it.each([
		[1, { operation: 'list', path: '/inbound' }, 'List /inbound'],
		[2, { operation: 'list', folder: '/inbound' }, 'List /inbound'],
		[2, { operation: 'list' }, 'List /'],
		[1, { operation: 'download', path: '/in/a.csv' }, 'Download /in/a.csv'],
		[2, { operation: 'download', path: '/in/a.csv' }, 'Download /in/a.csv'],
		[2, { operation: 'upload', path: '/out/r.csv' }, 'Upload /out/r.csv'],
		[1, { operation: 'delete', path: '/old', options: { folder: true } }, 'Delete /old'],
		[2, { operation: 'delete', deleteTarget: 'folder', folder: '/old' }, 'Delete /old'],
		[2, { operation: 'rename', oldPath: '/a', newPath: '/b' }, 'Rename or Move /a'],
		[2, { operation: 'createFolder', folder: '/archive/11' }, 'Create Folder /archive/11'],
		[2, { operation: 'download' }, 'Download'],
	] as Array<[number, INodeParameters, string]>)(
		'version %s, %j: "%s"',
		(version, parameters, expected) => {
			expect(subtitleOf(action, version, parameters)).toBe(expected);
		},
	);

	it('names the operation alone when the path is an expression (the editor has no input data for it)', () => {
		for (const path of ['={{ $json.path }}', '={{ $("Start").item.json.name }}']) {
			expect(subtitleOf(action, 2, { operation: 'download', path })).toBe('Download');
			expect(subtitleOf(action, 1, { operation: 'list', path })).toBe('List');
		}
	});

	it('the trigger says what it waits for, and where', () => {
		const trigger = new FtpAutomationTrigger();
		expect(subtitleOf(trigger, 1, { path: '/inbound' })).toBe('New File in /inbound');
		expect(subtitleOf(trigger, 1, { path: '/in', event: 'fileCreatedOrUpdated' })).toBe(
			'New or Changed File in /in',
		);
		expect(subtitleOf(trigger, 1, { path: '={{ $json.folder }}', event: 'fileUpdated' })).toBe(
			'Changed File',
		);
	});
});

describe('version 2 in the editor', () => {
	const { description } = new FtpAutomation();
	const node = { typeVersion: 2 };

	/** The parameters the editor keeps after the user sets `change` on a node holding `current`. */
	function afterChange(current: INodeParameters, change: INodeParameters): INodeParameters {
		// The editor first drops what equals the defaults, then applies the change and fills in the new defaults.
		const userSet = NodeHelpers.getNodeParameters(
			description.properties,
			current,
			false,
			false,
			node,
			description,
		);
		return NodeHelpers.getNodeParameters(
			description.properties,
			{ ...userSet, ...change },
			true,
			false,
			node,
			description,
		) as INodeParameters;
	}

	function shownFields(parameters: INodeParameters): string[] {
		return description.properties
			.filter((property) =>
				NodeHelpers.displayParameter(parameters, property, node, description, parameters),
			)
			.map((property) => property.name);
	}

	it('a folder typed for List is not carried into the file field of Download or Upload', () => {
		const listing = afterChange({}, { operation: 'list', folder: '/inbound' });
		expect(listing.folder).toBe('/inbound');
		for (const operation of ['download', 'upload']) {
			const switched = afterChange(listing, { operation });
			expect(switched.path).toBe('');
			expect(switched.folder).toBeUndefined();
		}
	});

	it('a file path stays when switching between the operations on files', () => {
		const downloading = afterChange({}, { operation: 'download', path: '/in/a.csv' });
		expect(afterChange(downloading, { operation: 'delete' }).path).toBe('/in/a.csv');
	});

	it('After Download "Move the File" shows Move to Folder at once, outside Options', () => {
		const keep = afterChange({}, { operation: 'download' });
		expect(shownFields(keep)).not.toContain('moveToFolder');
		const move = afterChange(keep, { afterDownload: 'moveTo' });
		expect(shownFields(move)).toContain('moveToFolder');
		expect(move.moveToFolder).toBe('');
	});

	it('the settings that change what an upload does are shown with their values', () => {
		const upload = afterChange({}, { operation: 'upload' });
		expect(upload).toMatchObject({
			ifExists: 'overwrite',
			atomicUpload: true,
			createDirectories: true,
			retries: 2,
		});
		// Appending writes to the file itself: no temporary name to choose.
		expect(shownFields(afterChange(upload, { ifExists: 'append' }))).not.toContain('atomicUpload');
	});

	it('Delete asks for a folder, with a folder placeholder, once Folder is chosen', () => {
		const deleting = afterChange({}, { operation: 'delete', deleteTarget: 'folder' });
		const shown = description.properties.filter((property) =>
			NodeHelpers.displayParameter(deleting, property, node, description, deleting),
		);
		const target = shown.find((property) => property.name === 'folder');
		expect(target?.placeholder).toBe('/inbound/2026-11');
		expect(shown.map((property) => property.name)).not.toContain('path');
		expect(shown.map((property) => property.name)).toContain('recursive');
	});

	it("Delete's Options offer the walk's limits only for a recursive Delete of a folder", () => {
		const offered = (parameters: INodeParameters) => {
			const options = description.properties.find(
				(property) =>
					property.name === 'options' &&
					NodeHelpers.displayParameter(parameters, property, node, description, parameters),
			);
			return (options?.options ?? [])
				.filter((option) =>
					NodeHelpers.displayParameter({}, option as never, node, description, parameters),
				)
				.map((option) => option.name);
		};
		const folder = afterChange({}, { operation: 'delete', deleteTarget: 'folder' });
		expect(offered(folder)).toEqual(['concurrency', 'includeConnectionLog']);
		expect(offered(afterChange(folder, { recursive: true }))).toEqual([
			'maxEntriesPerFolder',
			'maxFolders',
			'timeLimit',
			'concurrency',
			'includeConnectionLog',
		]);
	});

	it('a node of version 1 keeps its layout: everything in Options, one Path', () => {
		const v1 = { typeVersion: 1 };
		const parameters = NodeHelpers.getNodeParameters(
			description.properties,
			{ operation: 'download' },
			true,
			false,
			v1,
			description,
		) as INodeParameters;
		expect(Object.keys(parameters).sort()).toEqual(
			['protocol', 'operation', 'path', 'binaryPropertyName', 'options'].sort(),
		);
	});
});
