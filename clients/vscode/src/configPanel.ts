// Role 1: the configuration webview. Keys per provider are stored through the bridge's write
// routing (secrets/store with destination auto, which lands in VS Code's SecretStorage while the
// host is connected); providers are enabled, given base URLs and models (from discovery) through
// config/setProvider; the seed's settings are edited in place; and a status table says where
// every key and every provider setting comes from. The page never sees a key once it is stored.
import * as vscode from 'vscode';

import type { BridgeClient, ConfigScope, ProviderConfig } from '@openllm-bridge/client';

import type { BridgeManager, Log } from './bridgeManager.ts';
import type { Redactor } from './redact.ts';
import { webviewHtml, webviewOptions } from './webview.ts';

type Inbound =
  | { type: 'ready' }
  | { type: 'saveKey'; provider: string; value: string }
  | { type: 'deleteKey'; provider: string }
  | { type: 'saveProvider'; provider: string; enabled: boolean; api_base: string; models: string[] }
  | { type: 'discover'; provider: string }
  | { type: 'setting'; key: string; value: unknown }
  | { type: 'command'; command: string };

const SETTINGS = ['secrets.primaryStore', 'secrets.checkEnvironment', 'secrets.checkDotEnv', 'config.source', 'config.nativeLevel'];

/** Where config/setProvider writes, by the seed's openLLM.config.source and nativeLevel. */
export function writeScope(config: vscode.WorkspaceConfiguration): ConfigScope {
  if (config.get('config.source') !== 'native') return 'host';
  return config.get('config.nativeLevel') === 'workspace' ? 'workspace' : 'user';
}

export async function configState(client: BridgeClient): Promise<unknown> {
  const [meta, config, secrets, status] = await Promise.all([
    client.providers(),
    client.config.providers(),
    client.secrets.list(),
    client.status(),
  ]);
  const providers = meta.providers.map((m) => {
    const conf: ProviderConfig | undefined = config.providers.find((c) => c.name === m.id);
    return {
      id: m.id,
      display_name: m.display_name,
      needs_key: m.needs_key,
      env_vars: m.env_vars,
      default_api_base: m.default_api_base,
      model_discovery: m.capabilities.model_discovery,
      config: conf ?? null,
      key: secrets.secrets.find((s) => s.provider === m.id) ?? null,
      status: status.providers.find((p) => p.id === m.id) ?? null,
    };
  });
  const settings = vscode.workspace.getConfiguration('openLLM');
  return {
    providers,
    resolver: config.settings,
    settings: Object.fromEntries(SETTINGS.map((k) => [k, settings.get(k)])),
    bridge: { version: status.version, pid: status.pid, host: status.host },
  };
}

export class ConfigPanel {
  static current: ConfigPanel | null = null;
  private readonly panel: vscode.WebviewPanel;
  private readonly bridge: BridgeManager;
  private readonly log: Log;
  private readonly redactor: Redactor;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, bridge: BridgeManager, log: Log, redactor: Redactor): ConfigPanel {
    if (ConfigPanel.current) {
      ConfigPanel.current.panel.reveal();
      return ConfigPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('openLLM.config', 'Open LLM: Providers and Keys', vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: true,
    });
    ConfigPanel.current = new ConfigPanel(panel, extensionUri, bridge, log, redactor);
    return ConfigPanel.current;
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, bridge: BridgeManager, log: Log, redactor: Redactor) {
    this.panel = panel;
    this.bridge = bridge;
    this.log = log;
    this.redactor = redactor;
    panel.webview.html = webviewHtml(
      panel.webview,
      extensionUri,
      'config.js',
      'Open LLM: Providers and Keys',
      '<main id="openllm-config"><p class="muted">Connecting to the bridge…</p></main>',
    );
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: Inbound) => void this.handle(m)),
      panel.onDidDispose(() => this.dispose()),
      bridge.onDidChange((client) => client && void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('openLLM') && void this.refresh()),
    );
  }

  private post(message: unknown): void {
    void this.panel.webview.postMessage(message);
  }

  async refresh(): Promise<void> {
    try {
      const client = await this.bridge.ready();
      this.post({ type: 'state', state: await configState(client) });
    } catch (err) {
      this.post({ type: 'error', text: `The bridge is not running: ${(err as Error).message}` });
    }
  }

  private async handle(message: Inbound): Promise<void> {
    try {
      const client = await this.bridge.ready();
      switch (message.type) {
        case 'ready':
          break;
        case 'saveKey': {
          this.redactor.register(message.value);
          const stored = await client.secrets.store({ provider: message.provider, value: message.value, destination: 'auto' });
          this.log.info(`stored the ${message.provider} key in ${stored.destination}`);
          this.post({ type: 'notice', text: `Stored the ${message.provider} key in ${stored.destination === 'host' ? 'VS Code SecretStorage' : stored.destination}.` });
          break;
        }
        case 'deleteKey': {
          const deleted = await client.secrets.delete(message.provider);
          const still = deleted.still_in.length ? ` It is still set in ${deleted.still_in.join(', ')}.` : '';
          this.post({ type: 'notice', text: `Removed the ${message.provider} key from ${deleted.deleted_from.join(', ') || 'nowhere'}.${still}` });
          break;
        }
        case 'saveProvider': {
          const scope = writeScope(vscode.workspace.getConfiguration('openLLM'));
          const config: ProviderConfig = { name: message.provider, enabled: message.enabled, models: message.models };
          config.api_base = message.api_base || null; // an emptied field removes a custom URL
          const saved = await client.config.setProvider({ config, scope });
          this.post({ type: 'notice', text: `Saved ${message.provider} to ${saved.path ?? 'VS Code settings'}.` });
          break;
        }
        case 'discover': {
          const { models } = await client.models(message.provider);
          this.post({ type: 'models', provider: message.provider, models: models.map((m) => m.id) });
          return;
        }
        case 'setting':
          if (!SETTINGS.includes(message.key)) return;
          await vscode.workspace.getConfiguration('openLLM').update(message.key, message.value, vscode.ConfigurationTarget.Global);
          break;
        case 'command':
          if (message.command.startsWith('openLLM.')) await vscode.commands.executeCommand(message.command);
          break;
      }
      await this.refresh();
    } catch (err) {
      this.log.error(`configuration: ${(err as Error).message}`);
      this.post({ type: 'error', text: this.redactor.redact((err as Error).message) });
    }
  }

  dispose(): void {
    ConfigPanel.current = null;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
