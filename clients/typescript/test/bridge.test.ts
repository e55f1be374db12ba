// The client against a real `openllm-bridge serve` (the repo's .venv, or OPENLLM_BRIDGE_COMMAND),
// offline with the mock provider: streaming, cancellation, the token, status and models, with
// every message checked against schemas/ on the way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  BridgeCancelledError,
  BridgeClient,
  BridgeClosedError,
  BridgeTooLargeError,
  BridgeRpcError,
  CancellationTokenSource,
  validate,
  type StreamChunk,
} from '../src/index.ts';
import { BRIDGE as COMMAND, bridgeEnv } from './helpers.ts';

let client: BridgeClient;
const logs: string[] = [];

before(async () => {
  client = await BridgeClient.spawn({ command: COMMAND, env: bridgeEnv(), logLevel: 'info', onLog: (l) => logs.push(l) });
});

after(async () => {
  await client.close();
});

test('a chat streams its chunks in order, then the result', async () => {
  const stream = client.chat({ provider: 'mock', model: 'echo', messages: [{ role: 'user', content: 'hello from typescript' }] });
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
  assert.deepEqual(text, ['You', ' said:', ' hello', ' from', ' typescript']);
  assert.deepEqual(chunks.at(-2), { type: 'usage', input_tokens: 3, output_tokens: 5 });
  assert.deepEqual(chunks.at(-1), { type: 'done', finish_reason: 'stop' });
  const result = await stream.result;
  assert.deepEqual(result.message, { role: 'assistant', content: 'You said: hello from typescript' });
  assert.equal(result.finish_reason, 'stop');
});

test('concurrent chats on one connection each get their own chunks', async () => {
  const prompts = ['alpha beta', 'gamma delta epsilon', 'zeta'];
  const texts = await Promise.all(
    prompts.map(async (prompt) => {
      let text = '';
      for await (const chunk of client.chat({ provider: 'mock', model: 'slow', messages: [{ role: 'user', content: prompt }] })) {
        if (chunk.type === 'text') text += chunk.text;
      }
      return text;
    }),
  );
  assert.deepEqual(texts, prompts.map((p) => `You said: ${p}`));
});

test('cancelling the token sends $/cancelRequest: the stream ends early and result says cancelled', async () => {
  const source = new CancellationTokenSource();
  const stream = client.chat({ provider: 'mock', model: 'slow', messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }] }, source.token);
  let seen = 0;
  for await (const chunk of stream) {
    if (chunk.type === 'text' && ++seen === 2) source.cancel();
  }
  assert.ok(seen < 11, `the stream went on after the cancel (${seen} text chunks)`);
  await assert.rejects(stream.result, BridgeCancelledError);
  // The connection still works afterwards.
  const { providers } = await client.providers();
  assert.ok(providers.some((p) => p.id === 'mock'));
});

test('leaving the loop early cancels the request and the connection goes on', { timeout: 20_000 }, async () => {
  // 100,000 chunks: those still coming after the break would pause the socket for good if queued.
  const stream = client.chat({ provider: 'mock', model: 'long', messages: [{ role: 'user', content: '100000' }] });
  let seen = 0;
  for await (const chunk of stream) {
    if (chunk.type === 'text' && ++seen === 3) break;
  }
  await assert.rejects(stream.result, BridgeCancelledError);
  const { providers } = await client.providers();
  assert.ok(providers.some((p) => p.id === 'mock'));
});

test('a provider error arrives as an error chunk and a done chunk, and the result says error', async () => {
  const stream = client.chat({ provider: 'mock', model: 'error', messages: [{ role: 'user', content: 'rate_limited' }] });
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks[0]?.type, 'error');
  assert.equal((chunks[0] as { code: string }).code, 'rate_limited');
  assert.deepEqual(chunks.at(-1), { type: 'done', finish_reason: 'error' });
  assert.equal((await stream.result).finish_reason, 'error');
});

test('status, providers and models answer with schema-valid results', async () => {
  const status = await client.status();
  validate('BridgeStatusResult', status);
  assert.equal(status.pid, client.process?.pid);
  assert.equal(status.host.connected, false);
  const { models } = await client.models('mock');
  assert.ok(models.some((m) => m.id === 'tools' && m.tools === true));
});

test('bad params are refused before they are sent, naming the field', async () => {
  await assert.rejects(
    client.request('models/list', { provider: '' }),
    /ModelsListParams at \/provider/,
  );
});

test('an unknown provider is a JSON-RPC error with the bridge code', async () => {
  await assert.rejects(client.models('nope'), (err: unknown) => {
    assert.ok(err instanceof BridgeRpcError);
    assert.equal(err.reason, 'unknown_provider');
    assert.match(err.message, /nope/);
    return true;
  });
});

test('a client without the token is refused', async () => {
  const socket = client.process!.socket;
  const intruder = await BridgeClient.connect(socket);
  await assert.rejects(intruder.providers(), (err: unknown) => err instanceof BridgeRpcError && err.reason === 'unauthorized');
  await intruder.close();
  await assert.rejects(BridgeClient.connect(socket, { token: 'wrong' }), BridgeRpcError);
});

test('the bridge logged one line per chat, to stderr', () => {
  assert.ok(logs.some((l) => /chat provider=mock model=echo .*outcome=ok/.test(l)), logs.join('\n'));
});

/** A bridge of its own whose mock `slow` model sends a chunk every 2 ms. */
async function quickSlowBridge(): Promise<BridgeClient> {
  const own = await BridgeClient.spawn({ command: COMMAND, env: bridgeEnv() });
  await own.config.setProvider({ config: { name: 'mock', delay: 0.002 }, scope: 'user' });
  return own;
}

const WORDS = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');

test('awaiting only the result of a trickling chat neither stalls it nor the connection', { timeout: 20_000 }, async () => {
  const own = await quickSlowBridge();
  try {
    const stream = own.chat({ provider: 'mock', model: 'slow', messages: [{ role: 'user', content: WORDS }] });
    const result = await stream.result; // 402 chunks arrive one by one, more than the 256 that pause an iteration
    assert.equal(result.usage?.output_tokens, 402);
    assert.equal((await own.status()).pid, own.process?.pid);
  } finally {
    await own.close();
  }
});

test('a chat whose bridge dies mid-stream ends with BridgeClosedError, not a hang', { timeout: 20_000 }, async () => {
  const own = await quickSlowBridge();
  try {
    const stream = own.chat({ provider: 'mock', model: 'slow', messages: [{ role: 'user', content: WORDS }] });
    let seen = 0;
    await assert.rejects(async () => {
      for await (const chunk of stream) {
        if (chunk.type === 'text' && ++seen === 3) own.process!.process.kill('SIGKILL');
      }
    }, BridgeClosedError);
    await assert.rejects(stream.result, /chat\/stream: the connection to the bridge closed before the answer came/);
    assert.ok(own.isClosed);
    await assert.rejects(own.status(), BridgeClosedError);
  } finally {
    await own.close();
  }
});

test('a token cancelled before the chat is sent cancels it', async () => {
  const source = new CancellationTokenSource();
  source.cancel();
  const stream = client.chat({ provider: 'mock', model: 'slow', messages: [{ role: 'user', content: WORDS }] }, source.token);
  await assert.rejects(stream.result, BridgeCancelledError);
});

test("a request over the bridge's message limit is refused before it is sent; the connection goes on", () => {
  const huge = 'x'.repeat(17 * 1024 * 1024);
  assert.throws(
    () => client.chat({ provider: 'mock', model: 'echo', messages: [{ role: 'user', content: huge }] }),
    (err: unknown) => err instanceof BridgeTooLargeError && /over the bridge's limit of 16777216/.test(err.message),
  );
  return client.providers().then(({ providers }) => assert.ok(providers.some((p) => p.id === 'mock')));
});
