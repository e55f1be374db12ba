import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff } from '../src/backoff.ts';

test('restarts back off exponentially up to the cap', () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 8000, stableMs: 60_000 });
  const delays = [0, 1, 2, 3, 4, 5].map((i) => {
    b.started(i * 10);
    return b.stopped(i * 10 + 5);
  });
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
});

test('a bridge that stayed up long enough resets the backoff', () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30_000, stableMs: 60_000 });
  b.started(0);
  b.stopped(10);
  b.started(20);
  assert.equal(b.stopped(30), 2000);
  b.started(100);
  assert.equal(b.stopped(100 + 60_000), 1000);
  assert.equal(b.attempts, 1);
});
