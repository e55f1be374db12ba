// What the tests against a real bridge share: the command, a clean environment, a private keyring.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repo's own bridge (scripts/setup.sh installs it), or OPENLLM_BRIDGE_COMMAND. */
export const BRIDGE =
  process.env.OPENLLM_BRIDGE_COMMAND ?? resolve(import.meta.dirname, '..', '..', '..', '.venv', 'bin', 'openllm-bridge');

const KEY_VARS = /^(OPENAI|ANTHROPIC|GEMINI|GOOGLE|MISTRAL|AZURE|AZURE_OPENAI|OPENROUTER)_API_KEY$/;

/** A clean environment: a private OPENLLM_HOME, HOME and XDG dirs, no provider keys, no session bus. */
export function bridgeEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'openllm-test-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !KEY_VARS.test(k) && !k.startsWith('DBUS_') && !k.startsWith('XDG_')),
  );
  return {
    ...env,
    HOME: home,
    OPENLLM_HOME: join(home, 'openllm'),
    XDG_DATA_HOME: join(home, 'share'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
  };
}

export interface Keyring {
  address: string;
  stop(): void;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const done = spawnSync(command, args, { env, input, encoding: 'utf8', timeout: 10_000 });
  if (done.error) throw new Error(`${command} failed to run (${done.error.message}): install the Debian packages of scripts/apt-packages.txt`);
  return done.stdout;
}

/**
 * A private D-Bus session bus with an unlocked gnome-keyring on it (PEERS.md), so a bridge
 * given `env` (plus DBUS_SESSION_BUS_ADDRESS) stores keys in a real Secret Service.
 */
export async function startKeyring(env: NodeJS.ProcessEnv): Promise<Keyring> {
  const [address, pid] = run('dbus-daemon', ['--session', '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'], env)
    .trim()
    .split(/\s+/);
  const busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: address };
  const keyring: ChildProcess = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env: busEnv,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  keyring.stdin!.end('test-password');
  const stop = (): void => {
    keyring.kill('SIGTERM');
    process.kill(Number(pid), 'SIGTERM');
  };
  // Poll the bus (an external process) until the Secret Service has an owner, with a deadline.
  const deadline = Date.now() + 10_000;
  const query = ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'];
  while (!run('dbus-send', query, busEnv).includes('boolean true')) {
    if (Date.now() > deadline) {
      stop();
      throw new Error('gnome-keyring did not appear on the private bus within 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { address: address!, stop };
}
