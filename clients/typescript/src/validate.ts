// Validate messages against schemas/ with ajv (draft 2020-12), reporting the JSON pointer of the
// field at fault the way the Python side does (protocol/_schemas.py), so both languages pass the
// same examples with the same paths.
//
// ajv answers "valid or not" for any schema location; which field is to blame is worked out here
// by walking the schema: an object's own faults (a missing or extra property) are reported at the
// object, otherwise at the first bad child; a oneOf over objects tagged by "type" reports the
// branch whose tag matches (an unknown tag at /type), other oneOfs the deepest fault of any branch.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';

import { SCHEMA_DOCUMENTS } from './generated/schemas.ts';

const BASE_URI = 'https://openllm-bridge.dev/schemas/';

/** A message does not match its schema; `path` is a JSON pointer to the bad field. */
export class SchemaError extends Error {
  readonly typeName: string;
  readonly path: string;
  readonly reason: string;

  constructor(typeName: string, path: string, reason: string) {
    super(`${typeName} at ${path || '/'}: ${reason}`);
    this.name = 'SchemaError';
    this.typeName = typeName;
    this.path = path;
    this.reason = reason;
  }
}

type Node = { [key: string]: unknown };
interface Location {
  uri: string;
  pointer: string;
}
interface Fault {
  path: string;
  reason: string;
}

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
const documents = new Map<string, Node>();
for (const [file, doc] of Object.entries(SCHEMA_DOCUMENTS)) {
  ajv.addSchema(doc);
  documents.set(BASE_URI + file, doc as Node);
}
const owners = new Map<string, string>();
for (const [uri, doc] of documents) {
  for (const name of Object.keys((doc.$defs ?? {}) as Node)) owners.set(name, uri);
}
const compiled = new Map<string, ValidateFunction>();

/** Every type name the schemas define. */
export function typeNames(): string[] {
  return [...owners.keys()];
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function validator(at: Location): ValidateFunction {
  const key = `${at.uri}#${at.pointer}`;
  const known = compiled.get(key);
  if (known !== undefined) return known;
  const fn = ajv.compile({ $ref: key });
  compiled.set(key, fn);
  return fn;
}

function nodeAt(at: Location): Node | boolean {
  let node: unknown = documents.get(at.uri);
  for (const raw of at.pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Node)[segment];
  }
  return node as Node | boolean;
}

function follow(at: Location): { at: Location; node: Node | boolean } {
  let node = nodeAt(at);
  while (typeof node === 'object' && typeof node.$ref === 'string') {
    const target = new URL(node.$ref, at.uri);
    at = { uri: target.href.replace(/#.*$/, ''), pointer: decodeURIComponent(target.hash.slice(1)) };
    node = nodeAt(at);
  }
  return { at, node };
}

function child(at: Location, ...segments: string[]): Location {
  return { uri: at.uri, pointer: at.pointer + segments.map((s) => '/' + escape(s)).join('') };
}

function tagOf(branch: Location): unknown {
  const { node } = follow(branch);
  if (typeof node !== 'object') return undefined;
  const type = (node.properties as Node | undefined)?.type as Node | undefined;
  return type?.const;
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length - 1;
}

function locate(start: Location, instance: unknown, path: string): Fault | null {
  const check = validator(start);
  if (check(instance)) return null;
  const { at, node } = follow(start);
  if (typeof node !== 'object') return { path, reason: 'no value is allowed here' };
  const choice = Array.isArray(node.oneOf) ? 'oneOf' : Array.isArray(node.anyOf) ? 'anyOf' : null;
  if (choice !== null) {
    const branches = (node[choice] as unknown[]).map((_b, i) => child(at, choice, String(i)));
    const tags = branches.map(tagOf);
    const tagged = typeof instance === 'object' && instance !== null && 'type' in instance;
    if (tagged && tags.some((t) => t !== undefined)) {
      const wanted = (instance as Node).type;
      const index = tags.findIndex((t) => t === wanted);
      if (index < 0) return { path: `${path}/type`, reason: `unknown type ${JSON.stringify(wanted)}` };
      return locate(branches[index]!, instance, path);
    }
    const faults = branches.map((b) => locate(b, instance, path)).filter((f): f is Fault => f !== null);
    const deepest = faults.reduce<Fault | null>((best, f) => (best && depth(best.path) >= depth(f.path) ? best : f), null);
    return deepest ?? { path, reason: `must match exactly one of ${choice}` };
  }
  const checkHere = validator(at);
  checkHere(instance);
  const errors = checkHere.errors ?? [];
  const own = errors.find((e) => e.instancePath === '');
  if (own !== undefined) return { path, reason: own.message ?? own.keyword };
  const first = errors[0];
  if (first === undefined) return { path, reason: 'invalid' };
  const segment = first.instancePath.split('/')[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
  const value = (instance as Record<string, unknown>)[segment];
  const where = `${path}/${escape(segment)}`;
  if (Array.isArray(instance)) {
    const index = Number(segment);
    const prefix = node.prefixItems as unknown[] | undefined;
    const items = prefix !== undefined && index < prefix.length ? child(at, 'prefixItems', segment) : child(at, 'items');
    return locate(items, value, where) ?? { path: where, reason: 'invalid item' };
  }
  const props = (node.properties ?? {}) as Node;
  const sub = segment in props ? child(at, 'properties', segment) : child(at, 'additionalProperties');
  return locate(sub, value, where) ?? { path: where, reason: 'invalid property' };
}

function typeLocation(typeName: string): Location {
  const uri = owners.get(typeName);
  if (uri === undefined) throw new Error(`no schema defines ${typeName}`);
  return { uri, pointer: `/$defs/${escape(typeName)}` };
}

/** Whether `instance` is a valid `typeName`. */
export function isValid(typeName: string, instance: unknown): boolean {
  return validator(typeLocation(typeName))(instance);
}

/** Throw a {@link SchemaError} naming the bad field when `instance` is not a valid `typeName`. */
export function validate(typeName: string, instance: unknown): void {
  const fault = locate(typeLocation(typeName), instance, '');
  if (fault !== null) throw new SchemaError(typeName, fault.path, fault.reason);
}
