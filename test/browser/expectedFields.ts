/**
 * What the editor should show for each operation of the action node, derived from the node's own description (the
 * built `dist/`, the code the packed package ships) with n8n-workflow's display rules, so the browser test follows
 * the description instead of a copy of it.
 */
import * as path from 'path';

import {
	NodeHelpers,
	type INode,
	type INodeParameters,
	type INodeProperties,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { REPO } from '../../tools/n8n';

const ACTION_NODE_FILE = path.join(REPO, 'dist/nodes/FtpAutomation/FtpAutomation.node.js');

export interface OperationFields {
	/** The option's value, e.g. `download`. */
	value: string;
	/** The option's name as the Operation dropdown shows it, e.g. `Download`. */
	name: string;
	/** The labels of the parameters the editor shows for this operation, in description order. */
	labels: string[];
}

/** The action node's description as the built package exports it. */
export function actionNodeDescription(): INodeTypeDescription {
	const module = require(ACTION_NODE_FILE) as Record<string, new () => { description: unknown }>;
	const NodeClass = module.FtpAutomation;
	if (!NodeClass) throw new Error(`${ACTION_NODE_FILE} exports no FtpAutomation class`);
	return new NodeClass().description as INodeTypeDescription;
}

/** Parameters the editor renders with a label above the input (notices and hidden fields have none). */
function hasLabel(property: INodeProperties): boolean {
	return property.type !== 'hidden' && property.type !== 'notice';
}

/**
 * The parameter n8n's editor shows as the choice of credential type instead of as a field (its "main auth field"):
 * one that the credentials' displayOptions depend on, named `authentication`, or one whose every option selects a
 * credential. For this node that is Protocol: the user picks an FTP/FTPS or an SFTP credential, and n8n sets
 * Protocol to match. (Rule read from n8n's editor, nodeTypesUtils `getMainAuthField`, 1.x to 2.41.)
 */
export function credentialTypeField(description: INodeTypeDescription): string | undefined {
	const selecting = new Map<string, Set<string>>();
	for (const credential of description.credentials ?? [])
		for (const [name, values] of Object.entries(credential.displayOptions?.show ?? {}))
			for (const value of values ?? [])
				selecting.set(name, (selecting.get(name) ?? new Set()).add(String(value)));
	const candidates = description.properties.filter((property) => selecting.has(property.name));
	const byName = candidates.find(
		(property) =>
			property.name === 'authentication' &&
			!property.options?.some((option) => 'value' in option && option.value === 'none'),
	);
	const everyOptionSelects = candidates.find((property) =>
		(property.options ?? []).every(
			(option) => 'value' in option && selecting.get(property.name)!.has(String(option.value)),
		),
	);
	return (byName ?? everyOptionSelects)?.name;
}

/**
 * For each operation, in the Operation dropdown's order: which labelled parameters are shown once the user picks it,
 * starting from `node` and going down the list (the editor keeps the values of parameters the new operation shares,
 * and fills in defaults for the rest).
 */
export function fieldsPerOperation(
	description: INodeTypeDescription,
	node: Pick<INode, 'typeVersion' | 'parameters'>,
): OperationFields[] {
	const operation = description.properties.find((property) => property.name === 'operation');
	if (!operation?.options) throw new Error('the node has no Operation parameter with options');
	const credentialType = credentialTypeField(description);
	const labelled = description.properties.filter(
		(property) => hasLabel(property) && property.name !== credentialType,
	);
	// The user switches from one operation to the next: each keeps what the one before left.
	let current: INodeParameters = node.parameters;
	return operation.options.map((option) => {
		if (!('value' in option) || typeof option.value !== 'string')
			throw new Error(`Operation option ${JSON.stringify(option)} has no string value`);
		const values = NodeHelpers.getNodeParameters(
			description.properties,
			{ ...current, operation: option.value },
			true,
			false,
			node,
			description,
		);
		if (!values) throw new Error(`n8n computed no parameters for operation ${option.value}`);
		current = values;
		const labels = [
			...new Set(
				labelled
					.filter((property) =>
						NodeHelpers.displayParameter(values, property, node, description, values),
					)
					.map((property) => property.displayName),
			),
		];
		return { value: option.value, name: option.name, labels };
	});
}
