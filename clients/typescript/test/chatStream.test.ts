// The chat stream's queue: a slow reader pauses the socket past the high-water mark and resumes
// it once drained; a failure surfaces from the iterator; a cancellation just ends it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BridgeCancelledError, BridgeRpcError, ChatStream, type ChatStreamResult } from '../src/index.ts';

const RESULT: ChatStreamResult = { message: { role: 'assistant', content: '' }, finish_reason: 'stop', usage: null };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('a reader that falls behind pauses the socket, and draining the queue resumes it', async () => {
  const events: string[] = [];
  const response = deferred<ChatStreamResult>();
  const stream = new ChatStream(response.promise, { pause: () => events.push('pause'), resume: () => events.push('resume') });
  const reader = stream[Symbol.asyncIterator]();
  const first = reader.next(); // the loop has started and waits for a chunk
  for (let i = 0; i < 300; i++) stream.push({ type: 'text', text: `w${i} ` });
  assert.deepEqual(events, ['pause']);
  response.resolve(RESULT);
  let count = 0;
  for (let next = await first; !next.done; next = await reader.next()) {
    assert.equal(next.value.type, 'text');
    count++;
    if (count === 235) assert.deepEqual(events, ['pause'], 'still above the low-water mark');
  }
  assert.equal(count, 300);
  assert.deepEqual(events, ['pause', 'resume']);
  assert.equal(await stream.result, RESULT);
});

test('chunks nobody iterates (the caller awaits only the result) queue without pausing the socket', async () => {
  const events: string[] = [];
  const response = deferred<ChatStreamResult>();
  const stream = new ChatStream(response.promise, { pause: () => events.push('pause'), resume: () => events.push('resume') });
  for (let i = 0; i < 1000; i++) stream.push({ type: 'text', text: `w${i} ` });
  response.resolve(RESULT);
  assert.equal(await stream.result, RESULT);
  assert.deepEqual(events, []);
});

test('a failed request throws from the iterator after the chunks that came first', async () => {
  const response = deferred<ChatStreamResult>();
  const stream = new ChatStream(response.promise, { pause: () => undefined, resume: () => undefined });
  stream.push({ type: 'text', text: 'partial' });
  response.reject(new BridgeRpcError('chat/stream', -32015, 'upstream failed'));
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) if (chunk.type === 'text') seen.push(chunk.text);
    })(),
    /upstream failed/,
  );
  assert.deepEqual(seen, ['partial']);
});

test('a cancelled request ends the iteration quietly; result says it was cancelled', async () => {
  const response = deferred<ChatStreamResult>();
  const stream = new ChatStream(response.promise, { pause: () => undefined, resume: () => undefined });
  response.reject(new BridgeCancelledError('chat/stream'));
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.deepEqual(chunks, []);
  await assert.rejects(stream.result, BridgeCancelledError);
});

test('leaving the loop early abandons the stream: abandon is called once, later chunks are dropped', async () => {
  const events: string[] = [];
  const response = deferred<ChatStreamResult>();
  const flow = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  const stream = new ChatStream(response.promise, flow, () => events.push('abandon'));
  const reader = stream[Symbol.asyncIterator]();
  const first = reader.next();
  for (let i = 0; i < 300; i++) stream.push({ type: 'text', text: `w${i} ` });
  assert.equal((await first).done, false);
  await reader.return?.(undefined); // what a `break` does
  assert.deepEqual(events, ['pause', 'abandon', 'resume']);
  for (let i = 0; i < 300; i++) stream.push({ type: 'text', text: 'late' });
  assert.deepEqual(events, ['pause', 'abandon', 'resume'], 'no pause for chunks nobody reads');
  response.resolve(RESULT);
  const after: unknown[] = [];
  for await (const chunk of stream) after.push(chunk);
  assert.deepEqual(after, []);
});
