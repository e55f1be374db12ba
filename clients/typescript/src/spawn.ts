// Start `openllm-bridge serve` on a socket in a private directory and wait until it says it is
// ready: one JSON line `{"socket": PATH, "pid": N}` on stdout (DESIGN.md). Everything the bridge
// logs goes to stderr, which is handed to the caller line by line (the extension's output channel).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { BridgeNotFoundError, BridgeStartError } from './errors.ts';

export interface SpawnOptions {
  /** The bridge command; default `openllm-bridge` from PATH. */
  command?: string;
  /** Extra arguments after `serve --socket PATH`. */
  args?: string[];
  /** Environment of the bridge; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** The editor host the bridge calls back (DESIGN.md surface 3): passed as OPENLLM_HOST_SOCKET/TOKEN. */
  host?: { socket: string; token: string };
  /** The token the bridge requires (OPENLLM_BRIDGE_TOKEN); the client sends it with bridge/authenticate. */
  token?: string;
  /** Log level for the bridge (OPENLLM_LOG_LEVEL). */
  logLevel?: string;
  /** Working directory (the workspace, whose .openllm/config.yaml the bridge reads). */
  cwd?: string;
  /** Each line the bridge writes to stderr. */
  onLog?: (line: string) => void;
  /** How long to wait for the ready line, in ms; default 20 s. */
  readyTimeoutMs?: number;
}

export interface SpawnedBridge {
  socket: string;
  pid: number;
  process: ChildProcess;
  /** Stop the process and remove its socket directory. */
  stop(): Promise<void>;
}

function whenExited(child: ChildProcess): Promise<void> {
  const gone = child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function spawnBridge(options: SpawnOptions = {}): Promise<SpawnedBridge> {
  const command = options.command ?? 'openllm-bridge';
  const dir = mkdtempSync(join(tmpdir(), 'openllm-bridge-'));
  const socket = join(dir, 'bridge.sock');
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  if (options.host) {
    env.OPENLLM_HOST_SOCKET = options.host.socket;
    env.OPENLLM_HOST_TOKEN = options.host.token;
  }
  if (options.logLevel) env.OPENLLM_LOG_LEVEL = options.logLevel;
  env.OPENLLM_PARENT_PID = String(process.pid); // the bridge stops should this process die first
  if (options.token !== undefined) env.OPENLLM_BRIDGE_TOKEN = options.token;
  else delete env.OPENLLM_BRIDGE_TOKEN;
  const child = spawn(command, ['serve', '--socket', socket, ...(options.args ?? [])], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    options.onLog?.(line);
  });
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // A bridge that does not stop on SIGTERM within 5 s is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await whenExited(child);
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  try {
    const ready = await new Promise<{ socket: string; pid: number }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BridgeStartError(`${command} serve did not become ready in ${timeoutMs} ms`, stderrTail.join('\n'))),
        timeoutMs,
      );
      const done = (): void => clearTimeout(timer);
      child.once('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(err.code === 'ENOENT' ? new BridgeNotFoundError(command, { cause: err }) : err);
      });
      child.once('exit', (code, signal) => {
        done();
        // Let the last stderr lines arrive before quoting them.
        setImmediate(() =>
          reject(new BridgeStartError(`${command} serve exited (${signal ?? code}) before it was ready`, stderrTail.join('\n'))),
        );
      });
      createInterface({ input: child.stdout! }).once('line', (line) => {
        done();
        try {
          resolve(JSON.parse(line) as { socket: string; pid: number });
        } catch {
          reject(new BridgeStartError(`${command} serve printed ${JSON.stringify(line)} instead of its ready line`, ''));
        }
      });
    });
    return { socket: ready.socket, pid: ready.pid, process: child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
