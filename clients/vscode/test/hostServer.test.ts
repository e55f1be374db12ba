// The host RPC server over a real Unix socket, driven by vscode-jsonrpc as the bridge would be:
// the token is required on every request, params are checked against schemas/host.schema.json,
// each method reaches the backend, and change notifications reach every connected bridge.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';

import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

import { validate, type HostConfigScope, type HostTool, type ProviderConfig } from '@openllm-bridge/client';

import { HostServer, UNAUTHORIZED, type HostBackend } from '../src/hostServer.ts';

class MemoryBackend implements HostBackend {
  readonly name = 'test-host';
  readonly version = '1.0';
  readonly secrets = new Map<string, string>();
  readonly config: Record<HostConfigScope, ProviderConfig[]> = { user: [], workspace: [] };
  async getSecret(key: string) {
    return this.secrets.get(key);
  }
  async storeSecret(key: string, value: string) {
    this.secrets.set(key, value);
  }
  async deleteSecret(key: string) {
    return this.secrets.delete(key);
  }
  async getConfig(provider: string, scope: HostConfigScope) {
    return this.config[scope].filter((p) => provider === '*' || p.name === provider);
  }
  async setConfig(provider: string, scope: HostConfigScope, config: ProviderConfig | null) {
    const rest = this.config[scope].filter((p) => p.name !== provider);
    this.config[scope] = config ? [...rest, config] : rest;
  }
  getSettings() {
    return { secrets: { primaryStore: 'host' as const, checkEnvironment: true, checkDotEnv: false } };
  }
  workspaceRoot() {
    return '/work/project';
  }
  workspaceFolders() {
    return ['/work/project', '/work/lib'];
  }
  async listTools(includeInternal: boolean): Promise<HostTool[]> {
    const tools: HostTool[] = [{ name: 'search', description: 'Search', inputSchema: { type: 'object' } }];
    return includeInternal ? [...tools, { name: 'openllm_status', inputSchema: { type: 'object' }, _internal: true }] : tools;
  }
  async callTool(name: string, args: Record<string, unknown>) {
    if (name !== 'search') throw new Error(`no tool ${name}`);
    return { content: [{ type: 'text' as const, text: `found ${String(args.q)}` }] };
  }
}

let server: HostServer;
let backend: MemoryBackend;
let bridge: MessageConnection;

async function connect(): Promise<MessageConnection> {
  const sock = createConnection(server.socket);
  await new Promise((resolve) => sock.once('connect', resolve));
  const connection = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
  connection.listen();
  return connection;
}

before(async () => {
  backend = new MemoryBackend();
  server = await HostServer.start(backend);
  bridge = await connect();
});

after(async () => {
  bridge.dispose();
  await server.close();
});

test('the socket is private: 0600 in a 0700 directory', () => {
  assert.equal(statSync(server.socket).mode & 0o777, 0o600);
  assert.equal(statSync(dirname(server.socket)).mode & 0o777, 0o700);
  assert.match(server.token, /^[0-9a-f]{64}$/);
});

test('a request without the token, or with another one, is refused', async () => {
  for (const params of [{}, { auth: 'wrong' }, { auth: server.token.slice(1) }]) {
    await assert.rejects(bridge.sendRequest('lifecycle/ping', params), (err: { code: number; message: string }) => {
      assert.equal(err.code, UNAUTHORIZED);
      assert.equal(err.message, 'Unauthorized');
      return true;
    });
  }
});

test('ping and capabilities answer as the schema says', async () => {
  const auth = server.token;
  assert.deepEqual(await bridge.sendRequest('lifecycle/ping', { auth }), { pong: true });
  const caps = await bridge.sendRequest('lifecycle/capabilities', { auth });
  validate('HostCapabilitiesResult', caps);
  assert.equal((caps as { methods: string[] }).methods.length, 12);
});

test('secrets are stored, read and deleted through the backend', async () => {
  const auth = server.token;
  const key = 'openllm.openai.apiKey';
  assert.deepEqual(await bridge.sendRequest('secrets/get', { auth, key }), { value: null });
  assert.deepEqual(await bridge.sendRequest('secrets/store', { auth, key, value: 'sk-test-1234567890' }), { stored: true });
  assert.equal(backend.secrets.get(key), 'sk-test-1234567890');
  assert.deepEqual(await bridge.sendRequest('secrets/get', { auth, key }), { value: 'sk-test-1234567890' });
  assert.deepEqual(await bridge.sendRequest('secrets/delete', { auth, key }), { deleted: true });
  assert.deepEqual(await bridge.sendRequest('secrets/delete', { auth, key }), { deleted: false });
});

test('config is read and written per scope', async () => {
  const auth = server.token;
  const config = { name: 'ollama', enabled: true, api_base: 'http://127.0.0.1:11434', models: ['llama3'] };
  await bridge.sendRequest('config/set', { auth, provider: 'ollama', scope: 'workspace', config });
  assert.deepEqual(await bridge.sendRequest('config/get', { auth, provider: '*', scope: 'workspace' }), { providers: [config] });
  assert.deepEqual(await bridge.sendRequest('config/get', { auth, provider: 'ollama', scope: 'user' }), { providers: [] });
  await bridge.sendRequest('config/set', { auth, provider: 'ollama', scope: 'workspace', config: null });
  assert.deepEqual(backend.config.workspace, []);
  const settings = await bridge.sendRequest('config/getSettings', { auth });
  validate('HostSettings', settings);
});

test('workspace folders and tools', async () => {
  const auth = server.token;
  assert.deepEqual(await bridge.sendRequest('workspace/getRoot', { auth }), { root: '/work/project' });
  assert.deepEqual(await bridge.sendRequest('workspace/getPaths', { auth }), { folders: ['/work/project', '/work/lib'] });
  const listed = (await bridge.sendRequest('tools/list', { auth })) as { tools: HostTool[] };
  assert.deepEqual(listed.tools.map((t) => t.name), ['search']);
  const all = (await bridge.sendRequest('tools/list', { auth, includeInternal: true })) as { tools: HostTool[] };
  assert.deepEqual(all.tools.map((t) => t.name), ['search', 'openllm_status']);
  assert.deepEqual(await bridge.sendRequest('tools/call', { auth, name: 'search', arguments: { q: 'x' } }), {
    content: [{ type: 'text', text: 'found x' }],
  });
});

test('bad params get -32602 naming the field; a failing backend gets -32603', async () => {
  const auth = server.token;
  await assert.rejects(bridge.sendRequest('config/get', { auth, provider: 'Bad Name', scope: 'user' }), (err: { code: number; message: string }) => {
    assert.equal(err.code, -32602);
    assert.match(err.message, /HostConfigGetParams at \/provider/);
    return true;
  });
  await assert.rejects(bridge.sendRequest('tools/call', { auth, name: 'nope', arguments: {} }), (err: { code: number; message: string }) => {
    assert.equal(err.code, -32603);
    assert.match(err.message, /no tool nope/);
    return true;
  });
});

test('change notifications reach every connected bridge', async () => {
  const second = await connect();
  const seen: unknown[] = [];
  const got = new Promise<void>((resolve) => {
    const record = (p: unknown) => {
      seen.push(p);
      if (seen.length === 4) resolve();
    };
    for (const c of [bridge, second]) {
      c.onNotification('notifications/configChanged', record);
      c.onNotification('notifications/secretChanged', record);
    }
  });
  // Wait until the server has accepted the second connection before notifying.
  await second.sendRequest('lifecycle/ping', { auth: server.token });
  server.configChanged({ scope: 'user' });
  server.secretChanged('openllm.openai.apiKey');
  await got;
  assert.deepEqual(seen.filter((p) => JSON.stringify(p).includes('scope')).length, 2);
  second.dispose();
});
