// Open LLM Bridge for VS Code: wires the four roles together.
//   role 2  HostServer + VscodeHost   the bridge reads keys, settings and tools from VS Code
//   (life)  BridgeManager             spawns `openllm-bridge serve` with the host socket and token
//   role 3  OpenLLMChatProvider       the bridge's models in VS Code's model picker (vendor open-llm)
//   role 1  ConfigPanel               keys, providers, models, settings and where each comes from
//   role 4  ChatViewProvider, PlaygroundPanel, and the @openllm chat participant
import * as vscode from 'vscode';

import type { ProviderConfig } from '@openllm-bridge/client';

import { BridgeManager, redactingLog } from './bridgeManager.ts';
import { ConfigPanel } from './configPanel.ts';
import { HostServer } from './hostServer.ts';
import { OpenLLMChatProvider, VENDOR } from './lmProvider.ts';
import { registerParticipant } from './participant.ts';
import { Redactor } from './redact.ts';
import { ChatViewProvider, PlaygroundPanel } from './testViews.ts';
import { VscodeHost } from './vscodeHost.ts';

/** What other extensions (and the end-to-end test) can reach through the extension's exports. */
export interface OpenLLMApi {
  bridge: BridgeManager;
  host: { socket: string; connections: () => number };
}

function bare(providers: readonly ProviderConfig[]): ProviderConfig[] {
  return providers.map(({ source: _source, source_detail: _detail, ...rest }) => rest as ProviderConfig);
}

async function pickLevel(verb: string): Promise<'user' | 'workspace' | undefined> {
  const items = [
    { label: 'User', description: '~/.openllm/config.yaml', level: 'user' as const },
    { label: 'Workspace', description: '.openllm/config.yaml in this workspace', level: 'workspace' as const },
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: `${verb} which native config file?` });
  return pick?.level;
}

export async function activate(context: vscode.ExtensionContext): Promise<OpenLLMApi> {
  const channel = vscode.window.createOutputChannel('Open LLM', { log: true });
  const redactor = new Redactor();
  const log = redactingLog(channel, redactor);
  const host = await HostServer.start(new VscodeHost(context), (m) => log.error(`host: ${m}`));
  const bridge = new BridgeManager(log, { socket: host.socket, token: host.token });
  const provider = new OpenLLMChatProvider(bridge, log);
  const chatView = new ChatViewProvider(context.extensionUri);
  log.info(`host API listening on ${host.socket}`);

  const settings = () => vscode.workspace.getConfiguration('openLLM');
  const exportConfig = async () => {
    const level = await pickLevel('Export VS Code settings to');
    if (!level) return;
    const inspected = settings().inspect<ProviderConfig[]>('providers');
    const providers = bare((level === 'user' ? inspected?.globalValue : inspected?.workspaceValue) ?? []);
    const client = await bridge.ready();
    const done = await client.config.import({ providers, scope: level });
    const backup = done.backup ? ` (the old file is kept at ${done.backup})` : '';
    void vscode.window.showInformationMessage(`Open LLM: exported ${done.count} providers to ${done.path}${backup}.`);
  };
  const importConfig = async () => {
    const level = await pickLevel('Import into VS Code settings from');
    if (!level) return;
    const client = await bridge.ready();
    const { providers } = await client.config.export({ scope: level });
    const target = level === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
    await settings().update('providers', bare(providers), target);
    void vscode.window.showInformationMessage(`Open LLM: imported ${providers.length} providers into the ${level} settings.`);
  };
  const reportFailure = (what: () => Promise<unknown>) => async () => {
    try {
      await what();
    } catch (err) {
      log.error((err as Error).message);
      void vscode.window.showErrorMessage(`Open LLM: ${redactor.redact((err as Error).message)}`);
    }
  };

  context.subscriptions.push(
    channel,
    { dispose: () => void host.close() },
    bridge,
    vscode.lm.registerLanguageModelChatProvider(VENDOR, provider),
    registerParticipant(),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chatView),
    vscode.commands.registerCommand('openLLM.configure', () => ConfigPanel.show(context.extensionUri, bridge, log, redactor)),
    vscode.commands.registerCommand('openLLM.openPlayground', () => PlaygroundPanel.show(context.extensionUri, bridge, log)),
    vscode.commands.registerCommand('openLLM.exportConfig', reportFailure(exportConfig)),
    vscode.commands.registerCommand('openLLM.importConfig', reportFailure(importConfig)),
    vscode.commands.registerCommand('openLLM.restartBridge', reportFailure(() => bridge.restart())),
    vscode.commands.registerCommand('openLLM.showLog', () => channel.show()),
    bridge.onDidChange((client) => {
      if (!client) return;
      provider.refresh();
      void chatView.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openLLM.bridge')) void bridge.restart().catch(() => undefined);
      else if (e.affectsConfiguration('openLLM')) {
        host.configChanged();
        provider.refresh();
      }
    }),
    context.secrets.onDidChange((e) => {
      host.secretChanged(e.key);
      provider.refresh();
    }),
  );
  bridge.ready().catch(() => undefined);
  return { bridge, host: { socket: host.socket, connections: () => host.connectionCount } };
}

export function deactivate(): void {}
