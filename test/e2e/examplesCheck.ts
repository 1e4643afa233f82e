/**
 * The check of test/unit/examples.test.ts, shared with test/e2e/examples.e2e.ts (which runs it against the
 * descriptions of the package as n8n loaded it): is a node of this package in a saved workflow one that n8n opens
 * as saved? Every parameter (and every key of a collection such as Options) exists in the description of the
 * node's version, is shown with the values the workflow sets (n8n's own display rules decide, as in the editor),
 * has the declared type and, for a list of choices, an allowed value; required fields are set; every credential is
 * one the node offers for its Protocol and is referred to by id and name only.
 */
import {
	NodeHelpers,
	type INode,
	type INodeCredentialDescription,
	type INodeParameters,
	type INodeProperties,
	type INodePropertyCollection,
	type INodePropertyOptions,
	type INodeTypeDescription,
	type NodeParameterValueType,
} from 'n8n-workflow';

/** A saved workflow as examples/*.json hold it (the parts the checks read). */
export interface ExampleWorkflow {
	id: string;
	name: string;
	nodes: INode[];
	connections: Record<string, { main: Array<Array<{ node: string }> | null> }>;
}

export const PACKAGE = 'n8n-nodes-ftp-automation';

export function packageNodes(workflow: ExampleWorkflow): INode[] {
	return workflow.nodes.filter((node) => node.type.startsWith(`${PACKAGE}.`));
}

const isExpression = (value: unknown) => typeof value === 'string' && value.startsWith('=');

const isFieldGroup = (
	option: INodePropertyOptions | INodeProperties | INodePropertyCollection,
): option is INodePropertyCollection => 'values' in option && Array.isArray(option.values);

/** What is wrong with one value of a field (`label` names it in the report). */
function problemsOfValue(
	label: string,
	property: INodeProperties,
	value: NodeParameterValueType,
	root: INodeParameters,
	node: INode,
	description: INodeTypeDescription,
): string[] {
	if (isExpression(value)) return [];
	const problems: string[] = [];
	const { type } = property;
	if (type === 'options') {
		const allowed = ((property.options ?? []) as INodePropertyOptions[]).map(
			(option) => option.value,
		);
		if (!allowed.includes(value as string)) {
			problems.push(`${label} = ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`);
		}
	} else if (type === 'string' || type === 'number' || type === 'boolean') {
		if (typeof value !== type)
			problems.push(`${label} = ${JSON.stringify(value)} is not a ${type}`);
		const { minValue, maxValue } = property.typeOptions ?? {};
		if (typeof value === 'number' && typeof minValue === 'number' && value < minValue) {
			problems.push(`${label} = ${value} is below the minimum ${minValue}`);
		}
		if (typeof value === 'number' && typeof maxValue === 'number' && value > maxValue) {
			problems.push(`${label} = ${value} is above the maximum ${maxValue}`);
		}
	} else if (type === 'collection') {
		const values = (value ?? {}) as INodeParameters;
		const fields = (property.options ?? []) as INodeProperties[];
		for (const [key, inner] of Object.entries(values)) {
			const field = fields.find(
				(candidate) =>
					candidate.name === key &&
					NodeHelpers.displayParameter(values, candidate, node, description, root),
			);
			if (!field) {
				const exists = fields.some((candidate) => candidate.name === key);
				problems.push(
					`${label}.${key} ${exists ? 'is hidden by its display conditions' : 'is not an option of this node version'}`,
				);
				continue;
			}
			problems.push(...problemsOfValue(`${label}.${key}`, field, inner, root, node, description));
		}
	} else if (type === 'fixedCollection') {
		const groups = (property.options ?? []).filter(isFieldGroup);
		for (const [groupName, entries] of Object.entries((value ?? {}) as INodeParameters)) {
			const group = groups.find((candidate) => candidate.name === groupName);
			if (!group) {
				problems.push(`${label}.${groupName} is not a group of this field`);
				continue;
			}
			const list = (Array.isArray(entries) ? entries : [entries]) as INodeParameters[];
			list.forEach((entry, index) =>
				problems.push(
					...problemsOfValue(
						`${label}.${groupName}[${index}]`,
						{ ...property, type: 'collection', options: group.values },
						entry,
						root,
						node,
						description,
					),
				),
			);
		}
	}
	return problems;
}

/** Everything wrong with one node of this package in an example: empty when n8n would open it as saved. */
export function problemsOfNode(node: INode, description: INodeTypeDescription): string[] {
	const versions = [description.version].flat();
	if (!versions.includes(node.typeVersion)) {
		return [`typeVersion ${node.typeVersion} is not one of ${JSON.stringify(versions)}`];
	}
	const problems: string[] = [];
	const parameters = node.parameters ?? {};
	// With defaults filled in, as the editor decides what to show.
	const root =
		NodeHelpers.getNodeParameters(
			description.properties,
			parameters,
			true,
			false,
			node,
			description,
		) ?? {};
	const shown = (property: INodeProperties | INodeCredentialDescription) =>
		NodeHelpers.displayParameter(root, property, node, description);

	for (const [name, value] of Object.entries(parameters)) {
		// n8n adds Poll Times to every polling node itself; it is not in the node's description.
		if (name === 'pollTimes' && description.polling) continue;
		const property = description.properties.find(
			(candidate) => candidate.name === name && shown(candidate),
		);
		if (!property) {
			const exists = description.properties.some((candidate) => candidate.name === name);
			problems.push(
				`${name} ${exists ? 'is hidden by its display conditions' : `is not a parameter of version ${node.typeVersion}`}`,
			);
			continue;
		}
		problems.push(...problemsOfValue(name, property, value, root, node, description));
	}
	for (const property of description.properties) {
		if (
			property.required &&
			shown(property) &&
			[undefined, ''].includes(root[property.name] as string)
		) {
			problems.push(`${property.name} is required and empty`);
		}
	}

	const offered = (description.credentials ?? []).filter(shown);
	for (const [type, reference] of Object.entries(node.credentials ?? {})) {
		if (!offered.some((credential) => credential.name === type)) {
			problems.push(
				`credential ${type} is not offered for this Protocol (offered: ${offered.map(({ name }) => name).join(', ')})`,
			);
		}
		if (Object.keys(reference).sort().join() !== 'id,name') {
			problems.push(`credential ${type} holds more than an id and a name`);
		}
	}
	for (const credential of offered) {
		if (credential.required && !node.credentials?.[credential.name]) {
			problems.push(`credential ${credential.name} is missing`);
		}
	}
	return problems;
}
