// Generate TypeScript types from the JSON Schema files in ../../schemas (the one source of truth).
//
// Each schema file's $defs become one module of src/generated/, the x-methods tables become typed
// method maps (src/generated/methods.ts), and the schema documents themselves are copied into
// src/generated/schemas.ts so the package validates messages without reading files at run time
// (an extension bundle has no schemas/ directory). The same rules as protocol/_codegen.py.
//
//   node scripts/codegen.ts          rewrite src/generated/
//   node scripts/codegen.ts --check  exit 1 on drift (test/codegen.test.ts runs it)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Schema = { [key: string]: unknown } | boolean;
type SchemaObject = { [key: string]: unknown };

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_DIR = resolve(PACKAGE_DIR, '..', '..', 'schemas');
const OUT_DIR = join(PACKAGE_DIR, 'src', 'generated');

export function moduleName(schemaFile: string): string {
  return schemaFile.replace(/\.schema\.json$/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function literal(value: unknown): string {
  return JSON.stringify(value);
}

function docComment(text: unknown, indent: string): string[] {
  if (typeof text !== 'string' || text === '') return [];
  return [`${indent}/** ${text.replace(/\*\//g, '*\\/')} */`];
}

class ModuleWriter {
  readonly name: string;
  readonly schema: SchemaObject;
  readonly source: string;
  readonly imports = new Map<string, Set<string>>();
  readonly file: string;

  constructor(file: string) {
    this.file = file;
    this.source = readFileSync(join(SCHEMA_DIR, file), 'utf8');
    this.schema = JSON.parse(this.source) as SchemaObject;
    this.name = moduleName(file);
  }

  private ref(ref: string): string {
    const [target, pointer] = ref.split('#/$defs/');
    if (target) {
      const other = moduleName(target);
      if (other !== this.name) {
        if (!this.imports.has(other)) this.imports.set(other, new Set());
        this.imports.get(other)!.add(pointer!);
      }
    }
    return pointer!;
  }

  type(node: Schema, indent: string): string {
    if (node === true || (typeof node === 'object' && Object.keys(node).length === 0)) return 'unknown';
    if (node === false) return 'never';
    if (typeof node.$ref === 'string') return this.ref(node.$ref);
    if ('const' in node) return literal(node.const);
    if (Array.isArray(node.enum)) return node.enum.map(literal).join(' | ');
    for (const combinator of ['oneOf', 'anyOf']) {
      const options = node[combinator];
      if (Array.isArray(options)) return options.map((sub: Schema) => this.type(sub, indent)).join(' | ');
    }
    const kinds = node.type;
    if (Array.isArray(kinds)) return kinds.map((kind) => this.type({ ...node, type: kind }, indent)).join(' | ');
    if (kinds === 'array') {
      const items = this.type((node.items as Schema | undefined) ?? true, indent);
      return /[|&]/.test(items) ? `Array<${items}>` : `${items}[]`;
    }
    if (kinds === 'object') return this.objectType(node, indent);
    const scalars: Record<string, string> = {
      string: 'string',
      integer: 'number',
      number: 'number',
      boolean: 'boolean',
      null: 'null',
    };
    const scalar = scalars[String(kinds)];
    if (scalar === undefined) throw new Error(`${this.file}: cannot type ${JSON.stringify(node)}`);
    return scalar;
  }

  private members(node: SchemaObject, indent: string): string[] {
    const props = (node.properties ?? {}) as Record<string, Schema>;
    const required = new Set((node.required as string[] | undefined) ?? []);
    const lines: string[] = [];
    for (const [prop, sub] of Object.entries(props)) {
      const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(prop) ? prop : literal(prop);
      if (typeof sub === 'object') lines.push(...docComment(sub.description, indent));
      lines.push(`${indent}${key}${required.has(prop) ? '' : '?'}: ${this.type(sub, indent + '  ')};`);
    }
    if (node.additionalProperties !== false) lines.push(`${indent}[key: string]: unknown;`);
    return lines;
  }

  private objectType(node: SchemaObject, indent: string): string {
    if (node.properties === undefined) return 'Record<string, unknown>';
    if (Object.keys(node.properties as object).length === 0 && node.additionalProperties === false) {
      return 'Record<string, never>';
    }
    return `{\n${this.members(node, indent + '  ').join('\n')}\n${indent}}`;
  }

  definition(name: string, node: SchemaObject): string {
    const doc = docComment(node.description, '');
    const props = node.properties as object | undefined;
    if (node.type === 'object' && props !== undefined && Object.keys(props).length > 0) {
      return [...doc, `export interface ${name} {`, ...this.members(node, '  '), '}'].join('\n');
    }
    return [...doc, `export type ${name} = ${this.type(node, '')};`].join('\n');
  }

  render(): string {
    const defs = (this.schema.$defs ?? {}) as Record<string, SchemaObject>;
    const bodies = Object.entries(defs).map(([name, node]) => this.definition(name, node));
    const digest = createHash('sha256').update(this.source).digest('hex');
    const head = [
      `// Generated from schemas/${this.file} (sha256 ${digest}); do not edit.`,
      '// Regenerate with: npm run codegen (in clients/typescript)',
    ];
    if (this.imports.size > 0) head.push('');
    for (const [other, names] of [...this.imports].sort()) {
      head.push(`import type { ${[...names].sort().join(', ')} } from './${other}.ts';`);
    }
    return [...head, '', bodies.join('\n\n')].join('\n') + '\n';
  }
}

interface MethodEntry {
  name: string;
  surface: string;
  /** to_server: the surface's server serves it (the default); to_client: its client does. */
  direction: 'to_server' | 'to_client';
  kind: 'request' | 'notification';
  params: string;
  result?: string;
  module: string;
}

function methodsModule(writers: ModuleWriter[]): string {
  const entries: MethodEntry[] = [];
  for (const writer of writers) {
    const surface = (writer.schema['x-surface'] as string | undefined) ?? 'bridge';
    const table = (writer.schema['x-methods'] ?? {}) as Record<string, Omit<MethodEntry, 'name'>>;
    for (const [name, spec] of Object.entries(table)) {
      const direction = spec.direction ?? 'to_server';
      entries.push({ name, surface, direction, kind: spec.kind, params: spec.params, result: spec.result, module: writer.name });
    }
  }
  const owners = new Map<string, string>();
  for (const writer of writers) {
    for (const def of Object.keys((writer.schema.$defs ?? {}) as object)) owners.set(def, writer.name);
  }
  const used = new Map<string, Set<string>>();
  const use = (type: string): string => {
    const owner = owners.get(type);
    if (owner === undefined) throw new Error(`x-methods names ${type}, which no schema defines`);
    if (!used.has(owner)) used.set(owner, new Set());
    used.get(owner)!.add(type);
    return type;
  };
  const surfaces = [...new Set(entries.map((e) => e.surface))].sort();
  const out: string[] = [];
  for (const surface of surfaces) {
    const title = surface[0]!.toUpperCase() + surface.slice(1);
    const mine = entries.filter((e) => e.surface === surface);
    out.push(`/** Requests the ${surface} serves: method -> params and result. */`);
    out.push(`export interface ${title}Requests {`);
    for (const e of mine.filter((m) => m.kind === 'request' && m.direction === 'to_server')) {
      out.push(`  ${literal(e.name)}: { params: ${use(e.params)}; result: ${use(e.result!)} };`);
    }
    out.push('}', '');
    out.push(`/** Requests the ${surface} sends to its client (direction to_client): method -> params and result. */`);
    out.push(`export interface ${title}ClientRequests {`);
    for (const e of mine.filter((m) => m.kind === 'request' && m.direction === 'to_client')) {
      out.push(`  ${literal(e.name)}: { params: ${use(e.params)}; result: ${use(e.result!)} };`);
    }
    out.push('}', '');
    out.push(`/** Notifications of the ${surface} surface: method -> params. */`);
    out.push(`export interface ${title}Notifications {`);
    for (const e of mine.filter((m) => m.kind === 'notification')) out.push(`  ${literal(e.name)}: ${use(e.params)};`);
    out.push('}', '');
  }
  const table = entries.map(
    (e) =>
      `  { method: ${literal(e.name)}, surface: ${literal(e.surface)}, direction: ${literal(e.direction)}, kind: ${literal(e.kind)}, ` +
      `params: ${literal(e.params)}, result: ${e.result === undefined ? 'null' : literal(e.result)} },`,
  );
  out.push('/** Every method of every surface, with the schema type names of its params and result. */');
  out.push('export const METHODS = [', ...table, '] as const;');
  const head = ['// Generated from the x-methods of schemas/*.schema.json; do not edit.', ''];
  for (const [module, names] of [...used].sort()) {
    head.push(`import type { ${[...names].sort().join(', ')} } from './${module}.ts';`);
  }
  return [...head, '', ...out].join('\n') + '\n';
}

function schemasModule(writers: ModuleWriter[]): string {
  const lines = ['// Generated: the schema documents of schemas/*.schema.json, for validation; do not edit.', ''];
  lines.push('export const SCHEMA_DOCUMENTS: Record<string, object> = {');
  for (const writer of writers) lines.push(`  ${literal(writer.file)}: ${JSON.stringify(writer.schema)},`);
  lines.push('};');
  return lines.join('\n') + '\n';
}

/** Every generated file, path -> text. */
export function generate(): Map<string, string> {
  const files = readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort();
  const writers = files.map((f) => new ModuleWriter(f));
  const out = new Map<string, string>();
  const index: string[] = ['// Generated: re-exports every generated module; do not edit.', ''];
  for (const writer of writers) {
    out.set(join(OUT_DIR, `${writer.name}.ts`), writer.render());
    index.push(`export type * from './${writer.name}.ts';`);
  }
  out.set(join(OUT_DIR, 'methods.ts'), methodsModule(writers));
  out.set(join(OUT_DIR, 'schemas.ts'), schemasModule(writers));
  index.push(`export type * from './methods.ts';`, `export { METHODS } from './methods.ts';`);
  out.set(join(OUT_DIR, 'index.ts'), index.join('\n') + '\n');
  return out;
}

/** Paths that differ from what the schemas give (missing, stale or left over). */
export function drift(): string[] {
  const wanted = generate();
  const stale = [...wanted].filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
  const extra = existsSync(OUT_DIR)
    ? readdirSync(OUT_DIR)
        .map((f) => join(OUT_DIR, f))
        .filter((p) => !wanted.has(p))
    : [];
  return [...stale.map(([path]) => path), ...extra].map((p) => relative(PACKAGE_DIR, p));
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const paths = drift();
    for (const path of paths) console.error(`out of date: ${path} (run: npm run codegen)`);
    return paths.length > 0 ? 1 : 0;
  }
  const wanted = generate();
  mkdirSync(OUT_DIR, { recursive: true });
  for (const file of readdirSync(OUT_DIR)) if (!wanted.has(join(OUT_DIR, file))) unlinkSync(join(OUT_DIR, file));
  for (const [path, text] of wanted) writeFileSync(path, text);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
