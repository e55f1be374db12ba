// The bridge's lifecycle inside VS Code: start `openllm-bridge serve` (the path is a setting),
// hand it the host socket and token, log what it says to the output channel (keys masked),
// restart it with backoff when it dies, and tell the user how to install it when it is missing.
import * as vscode from 'vscode';

import { BridgeClient, BridgeNotFoundError, INSTALL_HINT } from '@openllm-bridge/client';

import { Backoff } from './backoff.ts';
import type { Redactor } from './redact.ts';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The output channel, with every line passed through the redactor first. */
export function redactingLog(channel: vscode.LogOutputChannel, redactor: Redactor): Log {
  return {
    info: (m) => channel.info(redactor.redact(m)),
    warn: (m) => channel.warn(redactor.redact(m)),
    error: (m) => channel.error(redactor.redact(m)),
  };
}

export interface HostEndpoint {
  socket: string;
  token: string;
}

export class BridgeManager implements vscode.Disposable {
  private client: BridgeClient | null = null;
  private starting: Promise<BridgeClient> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** No start before this time (ms): the backoff holds for on-demand starts as well. */
  private notBefore = 0;
  private disposed = false;
  private lastError: Error | null = null;
  private readonly backoff = new Backoff();
  private readonly changed = new vscode.EventEmitter<BridgeClient | null>();
  /** Fires with the new client after each (re)start, and with null when the bridge went away. */
  readonly onDidChange = this.changed.event;
  private readonly log: Log;
  private readonly host: HostEndpoint;

  constructor(log: Log, host: HostEndpoint) {
    this.log = log;
    this.host = host;
  }

  get current(): BridgeClient | null {
    return this.client;
  }

  /** The running bridge, starting it if needed. Rejects with the reason it cannot run. */
  ready(): Promise<BridgeClient> {
    if (this.client?.isClosed) this.lost(this.client); // closed, and its close event not yet handled
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(): Promise<BridgeClient> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (this.disposed) throw new Error('the Open LLM extension is shutting down');
    const settings = vscode.workspace.getConfiguration('openLLM');
    // Only the user's own setting: a workspace must not choose the program the extension runs.
    const command = settings.inspect<string>('bridge.path')?.globalValue || 'openllm-bridge';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.log.info(`starting ${command} serve`);
    try {
      const client = await BridgeClient.spawn({
        command,
        host: this.host,
        logLevel: settings.get<string>('bridge.logLevel') ?? 'warning',
        ...(folder ? { cwd: folder } : {}),
        onLog: (line) => this.log.info(`[bridge] ${line}`),
      });
      if (this.disposed) {
        // Deactivated while it started: nobody would stop this one later.
        await client.close();
        throw new Error('the Open LLM extension is shutting down');
      }
      this.backoff.started(Date.now());
      this.lastError = null;
      this.client = client;
      this.log.info(`bridge ready on ${client.process?.socket} (pid ${client.process?.pid})`);
      client.onClose(() => this.lost(client));
      this.changed.fire(client);
      return client;
    } catch (err) {
      if (this.disposed) throw err;
      this.lastError = err as Error;
      this.log.error(`the bridge did not start: ${(err as Error).message}`);
      if (err instanceof BridgeNotFoundError) {
        void this.offerInstall(command);
      } else {
        this.scheduleRestart(this.backoff.stopped(Date.now()));
      }
      throw err;
    }
  }

  private lost(client: BridgeClient): void {
    if (this.client !== client) return;
    this.client = null;
    const code = client.process?.process.exitCode ?? client.process?.process.signalCode;
    // The connection may have gone while the process lives on (it dropped us): stop it, and its
    // socket directory goes with it, before a new one is started.
    void client.close();
    if (this.disposed) return;
    this.log.warn(`the bridge stopped (${code ?? 'connection closed'})`);
    // Backoff first: listeners told below may ask for the bridge again at once.
    this.scheduleRestart(this.backoff.stopped(Date.now()));
    this.changed.fire(null);
  }

  private scheduleRestart(delay: number): void {
    this.notBefore = Date.now() + delay;
    if (this.disposed || this.restartTimer) return;
    this.log.info(`restarting the bridge in ${Math.round(delay / 1000)} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.ready().catch(() => undefined);
    }, delay);
  }

  private async offerInstall(command: string): Promise<void> {
    const settings = 'Set the Path';
    const choice = await vscode.window.showErrorMessage(
      `Open LLM: the bridge command "${command}" was not found. ${INSTALL_HINT}`,
      settings,
      'Retry',
    );
    if (choice === settings) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'openLLM.bridge.path');
    } else if (choice === 'Retry') {
      this.ready().catch(() => undefined);
    }
  }

  /** Why the bridge is not running, if it is not. */
  get problem(): string | null {
    return this.client ? null : (this.lastError?.message ?? null);
  }

  /** Stop the bridge and start a fresh one (the command, after settings changed). */
  async restart(): Promise<BridgeClient> {
    const old = this.client;
    this.client = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.notBefore = 0;
    await old?.close();
    return this.ready();
  }

  dispose(): void {
    this.disposed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    void this.client?.close();
    this.changed.dispose();
  }
}
