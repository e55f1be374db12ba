// The generated types and schema copies match schemas/ (the source of truth), as the Python
// side's `python -m protocol._codegen --check` does for its TypedDicts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { drift } from '../scripts/codegen.ts';
import { METHODS } from '../src/generated/index.ts';

test('src/generated is up to date with schemas/ (else run: npm run codegen)', () => {
  assert.deepEqual(drift(), []);
});

test('the method table names the bridge chat methods with their schema types', () => {
  const stream = METHODS.find((m) => m.method === 'chat/stream');
  assert.deepEqual(stream, {
    method: 'chat/stream',
    surface: 'bridge',
    direction: 'to_server',
    kind: 'request',
    params: 'ChatStreamParams',
    result: 'ChatStreamResult',
  });
  for (const m of METHODS) assert.equal(m.kind === 'notification', m.result === null, m.method);
  assert.equal(METHODS.find((m) => m.method === 'tools/approve')?.direction, 'to_client');
});
