// Starting the bridge fails clearly: a missing command says how to install the bridge, a command
// that dies before its ready line is quoted with what it wrote to stderr. The stand-ins are small
// shell scripts that behave like `openllm-bridge serve` does at start-up (or fails to).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

import { BridgeNotFoundError, BridgeStartError, INSTALL_HINT, spawnBridge } from '../src/index.ts';

/** An executable that runs `body` with the arguments `serve --socket PATH`. */
function standIn(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'standin-')), 'openllm-bridge');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('a missing bridge command names the command and the install command', async () => {
  await assert.rejects(spawnBridge({ command: '/nonexistent/openllm-bridge' }), (err: unknown) => {
    assert.ok(err instanceof BridgeNotFoundError);
    assert.match(err.message, /\/nonexistent\/openllm-bridge/);
    assert.ok(err.message.includes(INSTALL_HINT));
    return true;
  });
});

test('a bridge that exits before it is ready is reported with its stderr', async () => {
  const logs: string[] = [];
  const command = standIn('echo "serve: no such option" >&2; exit 3');
  await assert.rejects(spawnBridge({ command, onLog: (l) => logs.push(l) }), (err: unknown) => {
    assert.ok(err instanceof BridgeStartError);
    assert.match(err.message, /exited \(3\) before it was ready/);
    assert.match(err.message, /no such option/);
    return true;
  });
  assert.deepEqual(logs, ['serve: no such option']);
});

test('a bridge that never prints its ready line times out', async () => {
  const command = standIn('echo started >&2; exec sleep 30');
  await assert.rejects(spawnBridge({ command, readyTimeoutMs: 300 }), /did not become ready in 300 ms\nstarted/);
});

test('the ready line gives socket and pid; stop() ends the process and removes the socket directory', async () => {
  const command = standIn('printf \'{"socket": "%s", "pid": %d}\\n\' "$3" $$; exec sleep 30');
  const bridge = await spawnBridge({ command, host: { socket: '/run/host.sock', token: 't0k' } });
  assert.match(bridge.socket, /openllm-bridge-[^/]+\/bridge\.sock$/);
  assert.equal(bridge.pid, bridge.process.pid);
  await bridge.stop();
  assert.equal(bridge.process.signalCode, 'SIGTERM');
  assert.equal(existsSync(dirname(bridge.socket)), false);
});

test('the host socket and token reach the bridge as OPENLLM_HOST_SOCKET and OPENLLM_HOST_TOKEN', async () => {
  const command = standIn('echo "$OPENLLM_HOST_SOCKET $OPENLLM_HOST_TOKEN $OPENLLM_LOG_LEVEL" >&2; exit 1');
  const logs: string[] = [];
  await assert.rejects(
    spawnBridge({ command, host: { socket: '/run/host.sock', token: 't0k' }, logLevel: 'debug', onLog: (l) => logs.push(l) }),
  );
  assert.deepEqual(logs, ['/run/host.sock t0k debug']);
});
