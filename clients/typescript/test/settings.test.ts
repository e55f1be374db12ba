// Keys and configuration through a real `openllm-bridge serve` whose keychain is a real Secret
// Service: gnome-keyring on a private D-Bus session (PEERS.md), so nothing touches the developer's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { BridgeClient, validate, type ChangedParams } from '../src/index.ts';
import { BRIDGE, bridgeEnv, startKeyring, type Keyring } from './helpers.ts';

const KEY = 'sk-ts-client-0123456789abcdef';

let client: BridgeClient;
let keyring: Keyring;
let home: string;
const changes: { method: string; params: ChangedParams }[] = [];

before(async () => {
  const env = bridgeEnv();
  home = env.OPENLLM_HOME!;
  keyring = await startKeyring(env);
  client = await BridgeClient.spawn({ command: BRIDGE, env: { ...env, DBUS_SESSION_BUS_ADDRESS: keyring.address } });
  client.onNotification('secrets/changed', (params) => changes.push({ method: 'secrets/changed', params }));
  client.onNotification('config/changed', (params) => changes.push({ method: 'config/changed', params }));
});

after(async () => {
  await client.close();
  keyring.stop();
});

test('a key stored with destination auto lands in the keychain (no editor host) and resolves from there', async () => {
  assert.deepEqual(await client.secrets.store({ provider: 'openai', value: KEY }), { provider: 'openai', destination: 'keychain' });
  const resolved = await client.secrets.resolve('openai');
  assert.equal(resolved.found, true);
  assert.equal(resolved.source, 'keychain');
  assert.equal(resolved.masked, 'sk-…cdef');
  assert.equal('value' in resolved, false, 'the value only comes when asked for');
  assert.equal((await client.secrets.resolve('openai', true)).value, KEY);
  const { secrets } = await client.secrets.list();
  assert.equal(secrets.find((s) => s.provider === 'openai')?.source, 'keychain');
  const status = await client.status();
  assert.equal(status.providers.find((p) => p.id === 'openai')?.available, true);
});

test('deleting the key says where it was removed from', async () => {
  await client.secrets.store({ provider: 'mistral', value: 'mistral-key-0123456789' });
  const deleted = await client.secrets.delete('mistral');
  assert.deepEqual(deleted.deleted_from, ['keychain']);
  assert.equal((await client.secrets.resolve('mistral')).found, false);
});

test('provider config is written to the user file, merged with its source, exported and imported', async () => {
  const saved = await client.config.setProvider({ config: { name: 'ollama', enabled: true, api_base: 'http://127.0.0.1:9', models: ['llama3'] }, scope: 'user' });
  assert.equal(saved.path, join(home, 'config.yaml'));
  assert.match(readFileSync(saved.path!, 'utf8'), /ollama/);
  const merged = await client.config.providers();
  validate('ConfigProvidersResult', merged);
  const ollama = merged.providers.find((p) => p.name === 'ollama');
  assert.equal(ollama?.source, 'user');
  assert.deepEqual(ollama?.models, ['llama3']);
  const exported = await client.config.export({ scope: 'user' });
  assert.deepEqual(exported.providers, [{ name: 'ollama', enabled: true, api_base: 'http://127.0.0.1:9', models: ['llama3'] }]);
  const imported = await client.config.import({ scope: 'user', providers: [{ name: 'mock', enabled: true }] });
  assert.equal(imported.count, 1);
  assert.ok(imported.backup, 'the replaced file was kept');
  assert.deepEqual((await client.config.providers()).providers.map((p) => p.name), ['mock']);
  const removed = await client.config.removeProvider({ name: 'mock' });
  assert.deepEqual(removed.removed_from, ['user']);
});

test('every write was announced to the client as secrets/changed or config/changed', async () => {
  const methods = new Set(changes.map((c) => c.method));
  assert.deepEqual([...methods].sort(), ['config/changed', 'secrets/changed']);
  assert.ok(changes.some((c) => c.method === 'secrets/changed' && c.params.provider === 'openai'));
});
