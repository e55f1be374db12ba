// VS Code's message and model shapes -> the bridge's, checked against the bridge's own schemas.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { validate } from '@openllm-bridge/client';

import {
  describeError,
  estimatePartTokens,
  Role,
  toBridgeMessages,
  toModelEntry,
  toolResultText,
  toStreamOptions,
  ToolMode,
  TurnMemory,
} from '../src/convert.ts';

// Plain objects with the fields of VS Code's part classes.
const text = (value: string) => ({ value });
const toolCall = (callId: string, name: string, input: object) => ({ callId, name, input });
const toolResult = (callId: string, content: unknown[]) => ({ callId, content });
const image = (data: number[]) => ({ mimeType: 'image/png', data: new Uint8Array(data) });

test('a conversation with text, an image, a tool call and its result becomes valid bridge messages', () => {
  const messages = toBridgeMessages([
    { role: Role.User, content: [text('What is '), text('2+2?'), image([1, 2, 3])] },
    { role: Role.Assistant, content: [text('Let me add.'), toolCall('c1', 'add', { a: 2, b: 2 })] },
    { role: Role.User, content: [toolResult('c1', [text('4')]), text('Thanks')] },
  ]);
  assert.deepEqual(messages, [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is ' },
        { type: 'text', text: '2+2?' },
        { type: 'image', media_type: 'image/png', data: 'AQID' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me add.' },
        { type: 'tool_call', id: 'c1', name: 'add', arguments: { a: 2, b: 2 } },
      ],
    },
    { role: 'tool', content: [{ type: 'tool_result', tool_call_id: 'c1', content: '4' }] },
    { role: 'user', content: 'Thanks' },
  ]);
  for (const m of messages) validate('ChatMessage', m);
});

test('text-only messages collapse to a string; unknown parts are dropped', () => {
  assert.deepEqual(toBridgeMessages([{ role: Role.User, content: [text('a'), { weird: true }, text('b')] }]), [
    { role: 'user', content: 'ab' },
  ]);
});

test('model options and tools become StreamOptions the schema accepts', () => {
  const options = toStreamOptions({
    modelOptions: { temperature: 0.5, maxTokens: 100, unrelated: 'x' },
    tools: [{ name: 'add', description: 'Add two numbers', inputSchema: { type: 'object' } }, { name: 'now', description: '' }],
    toolMode: ToolMode.Required,
  });
  assert.deepEqual(options, {
    temperature: 0.5,
    max_tokens: 100,
    tools: [
      { name: 'add', description: 'Add two numbers', parameters: { type: 'object' } },
      { name: 'now', description: '', parameters: { type: 'object', properties: {} } },
    ],
    tool_choice: 'required',
  });
  validate('StreamOptions', options);
});

test('a bridge model shows in the picker as provider/model with its limits and capabilities', () => {
  const entry = toModelEntry(
    { id: 'gpt-4o', provider: 'openai', display_name: 'GPT-4o', context_window: 128000, max_output_tokens: 16384, images: true },
    {
      id: 'openai',
      display_name: 'OpenAI',
      default_api_base: null,
      env_vars: [],
      needs_key: true,
      capabilities: { streaming: true, tools: true, images: false, thinking: false, model_discovery: true },
    },
  );
  assert.equal(entry.id, 'openai/gpt-4o');
  assert.equal(entry.name, 'GPT-4o');
  assert.equal(entry.detail, 'OpenAI');
  assert.deepEqual(entry.capabilities, { toolCalling: true, imageInput: true });
  assert.equal(entry.maxOutputTokens, 16384);
});

test('errors say what to do', () => {
  assert.equal(
    describeError({ code: 'missing_key', message: 'no key for openai' }),
    'no key for openai. Add a key with "Open LLM: Configure Providers and Keys" (or set the environment variable).',
  );
  assert.equal(describeError({ code: 'server', message: 'Overloaded' }), 'Overloaded');
});

test("a tool-calling turn the bridge made goes back as it made it, signatures and thinking included", () => {
  const memory = new TurnMemory();
  const made = {
    role: 'assistant' as const,
    content: [
      { type: 'thinking' as const, text: 'add them', signature: 'sig-thinking' },
      { type: 'text' as const, text: 'Let me add.' },
      { type: 'tool_call' as const, id: 'c1', name: 'add', arguments: { a: 2, b: 2 }, signature: 'sig-call' },
    ],
  };
  validate('ChatMessage', made);
  memory.remember(made);
  memory.remember({ role: 'assistant', content: 'no calls: not kept' });
  const back = toBridgeMessages(
    [
      { role: Role.User, content: [text('2+2?')] },
      { role: Role.Assistant, content: [text('Let me add.'), toolCall('c1', 'add', { a: 2, b: 2 })] }, // as VS Code hands it back
      { role: Role.Assistant, content: [toolCall('c9', 'other', {})] }, // not the bridge's: as it is
    ],
    memory,
  );
  assert.deepEqual(back[1], made);
  assert.deepEqual(back[2], { role: 'assistant', content: [{ type: 'tool_call', id: 'c9', name: 'other', arguments: {} }] });
});

test('the memory of turns is bounded', () => {
  const memory = new TurnMemory(2);
  const turn = (id: string) => ({ role: 'assistant' as const, content: [{ type: 'tool_call' as const, id, name: 't', arguments: {}, signature: id }] });
  for (const id of ['a', 'b', 'c']) memory.remember(turn(id));
  const plain = (id: string) => ({ role: 'assistant' as const, content: [{ type: 'tool_call' as const, id, name: 't', arguments: {} }] });
  assert.deepEqual(memory.restore(plain('a')), plain('a')); // the oldest went
  assert.deepEqual(memory.restore(plain('c')), turn('c'));
});

test('data parts are read as text, or named with their size, never serialised byte by byte', () => {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s));
  const png = { mimeType: 'image/png', data: new Uint8Array(2048) };
  const result = toolResultText([text('a '), { mimeType: 'application/json', data: bytes('{"x":1}') }, { mimeType: 'text/plain', data: bytes(' b ') }, png]);
  assert.equal(result, 'a {"x":1} b [image/png, 2048 bytes]');
  assert.deepEqual(toBridgeMessages([{ role: Role.User, content: [{ mimeType: 'text/markdown', data: bytes('# notes') }] }]), [
    { role: 'user', content: '# notes' },
  ]);
  const big = { mimeType: 'image/png', data: new Uint8Array(500_000) };
  assert.ok(estimatePartTokens([text('describe this'), big]) < 2000, 'an image counts as an image, not as its bytes');
});
