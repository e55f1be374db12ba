import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mask, Redactor } from '../src/redact.ts';

test('registered keys are masked wherever they appear, whatever their shape', () => {
  const r = new Redactor();
  r.register('my-own-secret-value-123');
  assert.equal(r.redact('stored my-own-secret-value-123 for openai'), 'stored my-…-123 for openai');
});

test('well-known key shapes are masked even when never registered', () => {
  const r = new Redactor();
  const line = 'key sk-ant-abcdefghijklmnop1234 and AIzaSyA1234567890abcdefghijklmnopqrstu, Bearer abcdefghijklmnopqrstuvwxyz';
  const out = r.redact(line);
  assert.doesNotMatch(out, /abcdefghijklmnop1234|AIzaSyA1234567890abcdefghijklmnopqrstu|qrstuvwxyz/);
  assert.match(out, /sk-…1234/);
});

test('short values are masked completely', () => {
  assert.equal(mask('abc'), '…');
  assert.equal(mask('sk-1234567890abcd'), 'sk-…abcd');
});
