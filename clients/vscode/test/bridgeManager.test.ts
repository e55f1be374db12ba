// BridgeManager with a real `openllm-bridge serve` (the repo's .venv) and the `vscode` stand-in of
// test/stub: no bridge process outlives the manager that started it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

// @ts-expect-error: the stand-in is plain JavaScript (test/stub/vscode.mjs)
import { settings } from 'vscode';

import { BridgeManager, type Log } from '../src/bridgeManager.ts';

const BRIDGE = resolve(import.meta.dirname, '..', '..', '..', '.venv', 'bin', 'openllm-bridge');
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const NO_HOST = { socket: '/nonexistent/host.sock', token: 'x'.repeat(64) }; // the bridge serves without one

before(() => {
  settings['bridge.path'] = BRIDGE;
  const home = mkdtempSync(join(tmpdir(), 'openllm-vscode-test-'));
  Object.assign(process.env, { HOME: home, OPENLLM_HOME: join(home, 'openllm') });
});

/** The `openllm-bridge serve` processes this process started that are still running (pid and command). */
function bridgesRunning(): string[] {
  const out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('serve --socket'));
}

after(() => {
  // A regression leaks them: stopped here, so that it fails the test instead of holding the run open.
  for (const line of bridgesRunning()) process.kill(Number(line.trim().split(' ')[0]), 'SIGKILL');
});

test('a bridge that drops the connection but lives on is stopped before another starts', { timeout: 30_000 }, async () => {
  const manager = new BridgeManager(quiet, NO_HOST);
  try {
    const client = await manager.ready();
    const bridge = client.process!.process;
    const exited = once(bridge, 'exit');
    (client as unknown as { socket: Socket }).socket.destroy(); // as when the bridge closes it
    await exited; // stopped, not left running beside the next one
    assert.equal(manager.current, null);
  } finally {
    manager.dispose();
  }
});

test('a bridge still starting when the manager is disposed is stopped', { timeout: 30_000 }, async () => {
  const manager = new BridgeManager(quiet, NO_HOST);
  const starting = manager.ready();
  manager.dispose(); // deactivated while the process starts
  await assert.rejects(starting, /shutting down/);
  assert.deepEqual(bridgesRunning(), []);
});
