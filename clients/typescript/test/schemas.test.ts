// The same example messages as tests/test_schemas.py, with the same expectations: every valid one
// passes, every invalid one fails at the JSON path it names, and every type has both kinds.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SCHEMA_DIR } from '../scripts/codegen.ts';
import { isValid, SchemaError, typeNames, validate } from '../src/validate.ts';

interface Cases {
  valid: unknown[];
  invalid: { message: unknown; path: string }[];
}

const EXAMPLES_DIR = join(SCHEMA_DIR, 'examples');
const examples = new Map<string, Cases>();
for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.examples.json')).sort()) {
  for (const [type, cases] of Object.entries(JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')))) {
    assert.ok(!examples.has(type), `${type} has examples in two files`);
    examples.set(type, cases as Cases);
  }
}

test('every type has valid and invalid examples, and every example names a type', () => {
  const missing = typeNames().filter((t) => !examples.get(t)?.valid.length || !examples.get(t)?.invalid.length);
  assert.deepEqual(missing, []);
  const unknown = [...examples.keys()].filter((t) => !typeNames().includes(t));
  assert.deepEqual(unknown, []);
});

for (const [type, cases] of examples) {
  describe(type, () => {
    cases.valid.forEach((message, i) => {
      test(`valid ${i}`, () => {
        validate(type, message);
        assert.equal(isValid(type, message), true);
      });
    });
    cases.invalid.forEach(({ message, path }, i) => {
      test(`invalid ${i} fails at ${path || '/'}`, () => {
        assert.equal(isValid(type, message), false);
        assert.throws(
          () => validate(type, message),
          (err: unknown) => err instanceof SchemaError && err.path === path && err.message.includes(type),
        );
      });
    });
  });
}

test('a deliberately broken chunk is rejected with the field and the reason', () => {
  assert.throws(
    () => validate('StreamChunk', { type: 'usage', input_tokens: 1, output_tokens: 'many' }),
    /StreamChunk at \/output_tokens: must be integer/,
  );
});
