/**
 * The structure the code keeps (see ARCHITECTURE.md): no import cycles, counting type-only imports too (eslint's
 * import-x/no-cycle skips them); the transport knows nothing of the node layer and takes only types from
 * n8n-workflow; neither node imports the other's private folder; no file of the package grows past 450 lines.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const FAMILY = path.join(ROOT, 'nodes/FtpAutomation');

interface Import {
	from: string;
	/** The resolved file for a relative import; the module name otherwise. */
	to: string;
	typeOnly: boolean;
}

function sourceFiles(folder: string): string[] {
	return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(folder, entry.name);
		if (entry.isDirectory()) return sourceFiles(full);
		return entry.name.endsWith('.ts') ? [full] : [];
	});
}

function resolveImport(from: string, specifier: string): string {
	if (!specifier.startsWith('.')) return specifier;
	const base = path.resolve(path.dirname(from), specifier);
	const candidates = [`${base}.ts`, path.join(base, 'index.ts'), base];
	return candidates.find((candidate) => existsSync(candidate)) ?? base;
}

function isTypeOnly(statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
	if (ts.isExportDeclaration(statement)) return statement.isTypeOnly;
	const clause = statement.importClause;
	if (!clause) return false;
	if (clause.isTypeOnly) return true;
	const bindings = clause.namedBindings;
	return (
		clause.name === undefined &&
		bindings !== undefined &&
		ts.isNamedImports(bindings) &&
		bindings.elements.length > 0 &&
		bindings.elements.every((element) => element.isTypeOnly)
	);
}

function importsOf(file: string): Import[] {
	const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
	return source.statements.flatMap((statement) => {
		if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return [];
		const specifier = statement.moduleSpecifier;
		if (!specifier || !ts.isStringLiteral(specifier)) return [];
		return [
			{ from: file, to: resolveImport(file, specifier.text), typeOnly: isTypeOnly(statement) },
		];
	});
}

const files = [
	...sourceFiles(path.join(ROOT, 'nodes')),
	...sourceFiles(path.join(ROOT, 'credentials')),
];
const imports = files.flatMap(importsOf);
const relative = (file: string) => path.relative(ROOT, file);
const inside = (file: string, folder: string) =>
	file.startsWith(path.join(FAMILY, folder) + path.sep);

/** Every cycle's files, found by a depth-first search over all imports (value and type-only). */
function cycles(): string[][] {
	const found: string[][] = [];
	const state = new Map<string, 'open' | 'done'>();
	const stack: string[] = [];
	const visit = (file: string): void => {
		state.set(file, 'open');
		stack.push(file);
		for (const { to } of imports.filter((edge) => edge.from === file)) {
			if (!files.includes(to)) continue;
			if (state.get(to) === 'open') found.push(stack.slice(stack.indexOf(to)).map(relative));
			else if (!state.has(to)) visit(to);
		}
		stack.pop();
		state.set(file, 'done');
	};
	for (const file of files) if (!state.has(file)) visit(file);
	return found;
}

describe('the structure of the package', () => {
	it('sees the files it judges', () => {
		expect(files.length).toBeGreaterThan(40);
		expect(imports.length).toBeGreaterThan(150);
	});

	it('has no import cycles, type-only imports included', () => {
		expect(cycles()).toEqual([]);
	});

	it('keeps the transport below the node layer, taking only types from n8n-workflow', () => {
		const nodeLayer = ['actions', 'trigger', 'helpers', 'methods', 'descriptions'];
		const wrong = imports.filter(
			({ from, to, typeOnly }) =>
				inside(from, 'transport') &&
				((to.startsWith('n8n-workflow') && !typeOnly) ||
					nodeLayer.some((folder) => inside(to, folder)) ||
					/\.node\.(ts|json)$/.test(to)),
		);
		expect(wrong.map(({ from, to }) => `${relative(from)} -> ${relative(to)}`)).toEqual([]);
	});

	it("keeps each node's private folder to itself", () => {
		const wrong = imports.filter(
			({ from, to }) =>
				(inside(from, 'trigger') && inside(to, 'actions')) ||
				(inside(from, 'actions') && inside(to, 'trigger')),
		);
		expect(wrong.map(({ from, to }) => `${relative(from)} -> ${relative(to)}`)).toEqual([]);
	});

	it('keeps every file under 450 lines', () => {
		const long = files
			.map((file) => ({
				file: relative(file),
				lines: readFileSync(file, 'utf8').split('\n').length,
			}))
			.filter(({ lines }) => lines > 450);
		expect(long).toEqual([]);
	});
});
