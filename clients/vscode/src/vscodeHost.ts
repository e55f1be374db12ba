// The host backend over VS Code's own APIs: keys in SecretStorage (context.secrets), provider
// settings in `openLLM.providers` at user, workspace or folder scope, the seed's settings, the
// workspace folders, and tools from vscode.lm.tools plus the extension's internal openllm_* tools.
import * as vscode from 'vscode';

import type { HostConfigScope, HostSettings, HostTool, HostToolsCallResult, ProviderConfig } from '@openllm-bridge/client';

import type { HostBackend } from './hostServer.ts';
import { toolResultText } from './convert.ts';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

interface InternalTool extends HostTool {
  run(args: Record<string, unknown>): Promise<string>;
}

/** Tools for the bridge itself (never shown to a model or an agent; _internal marks them). */
const INTERNAL_TOOLS: InternalTool[] = [
  {
    name: 'openllm_active_editor',
    description: 'The file open in the active editor, its language and the selected text.',
    inputSchema: { type: 'object', properties: {} },
    _internal: true,
    run: async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return JSON.stringify({ file: null });
      return JSON.stringify({
        file: editor.document.uri.fsPath,
        language: editor.document.languageId,
        selection: editor.document.getText(editor.selection),
      });
    },
  },
  {
    name: 'openllm_show_message',
    description: 'Show a message to the user in VS Code.',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    _internal: true,
    run: async (args) => {
      void vscode.window.showInformationMessage(String(args.message));
      return 'shown';
    },
  },
];

function target(scope: HostConfigScope, folder: vscode.WorkspaceFolder | undefined): vscode.ConfigurationTarget {
  if (scope === 'user') return vscode.ConfigurationTarget.Global;
  return folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
}

function folderFor(workspacePath: string | undefined): vscode.WorkspaceFolder | undefined {
  if (!workspacePath) return undefined;
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === workspacePath);
}

/** The seed's "vscode" store and source are the host schema's "host". */
export function hostSettings(config: vscode.WorkspaceConfiguration): HostSettings {
  return {
    secrets: {
      primaryStore: config.get('secrets.primaryStore') === 'keychain' ? 'keychain' : 'host',
      checkEnvironment: config.get<boolean>('secrets.checkEnvironment') ?? true,
      checkDotEnv: config.get<boolean>('secrets.checkDotEnv') ?? false,
    },
    config: {
      source: config.get('config.source') === 'native' ? 'native' : 'host',
      nativeLevel: config.get<'user' | 'workspace' | 'both'>('config.nativeLevel') ?? 'both',
    },
    tools: {
      enabled: config.get<boolean>('tools.enabled') ?? true,
      include: config.get<string[]>('tools.include') ?? [],
      exclude: config.get<string[]>('tools.exclude') ?? [],
    },
  };
}

export class VscodeHost implements HostBackend {
  readonly name = 'vscode';
  readonly version: string;
  private readonly secrets: vscode.SecretStorage;

  constructor(context: vscode.ExtensionContext) {
    this.secrets = context.secrets;
    this.version = `${vscode.version} (extension ${String(context.extension.packageJSON.version)})`;
  }

  getSecret(key: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(key));
  }

  async storeSecret(key: string, value: string): Promise<void> {
    await this.secrets.store(key, value);
  }

  async deleteSecret(key: string): Promise<boolean> {
    const existed = (await this.secrets.get(key)) !== undefined;
    await this.secrets.delete(key);
    return existed;
  }

  private providersAt(scope: HostConfigScope, folder: vscode.WorkspaceFolder | undefined): ProviderConfig[] {
    const inspected = vscode.workspace.getConfiguration('openLLM', folder?.uri).inspect<ProviderConfig[]>('providers');
    const value = scope === 'user' ? inspected?.globalValue : folder ? inspected?.workspaceFolderValue : inspected?.workspaceValue;
    return Array.isArray(value) ? value : [];
  }

  async getConfig(provider: string, scope: HostConfigScope, workspacePath?: string): Promise<ProviderConfig[]> {
    return this.providersAt(scope, folderFor(workspacePath)).filter((p) => provider === '*' || p.name === provider);
  }

  async setConfig(provider: string, scope: HostConfigScope, config: ProviderConfig | null, workspacePath?: string): Promise<void> {
    const folder = folderFor(workspacePath);
    const current = this.providersAt(scope, folder);
    const index = current.findIndex((p) => p.name === provider);
    const stored = config ? { ...config, name: provider } : null;
    // Where a provider's settings come from is the bridge's to say; only the settings are kept.
    if (stored) {
      delete stored.source;
      delete stored.source_detail;
    }
    const next = current.filter((p) => p.name !== provider);
    if (stored) next.splice(index < 0 ? next.length : index, 0, stored);
    if (scope === 'workspace' && !vscode.workspace.workspaceFolders?.length) {
      throw new Error('no workspace is open, so there are no workspace settings to write');
    }
    await vscode.workspace.getConfiguration('openLLM', folder?.uri).update('providers', next, target(scope, folder));
  }

  getSettings(): HostSettings {
    return hostSettings(vscode.workspace.getConfiguration('openLLM'));
  }

  workspaceRoot(): string | null {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? null;
  }

  workspaceFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  }

  async listTools(includeInternal: boolean): Promise<HostTool[]> {
    const user = vscode.lm.tools
      .filter((t) => TOOL_NAME.test(t.name) && !t.name.startsWith('openllm_'))
      .map((t): HostTool => ({
        name: t.name,
        description: t.description,
        inputSchema: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object' },
      }));
    const internal = INTERNAL_TOOLS.map(({ run: _run, ...tool }): HostTool => tool);
    return includeInternal ? [...user, ...internal] : user;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<HostToolsCallResult> {
    try {
      const internal = INTERNAL_TOOLS.find((t) => t.name === name);
      if (internal) return { content: [{ type: 'text', text: await internal.run(args) }] };
      const result = await vscode.lm.invokeTool(name, { input: args, toolInvocationToken: undefined });
      return { content: [{ type: 'text', text: toolResultText(result.content) }] };
    } catch (err) {
      return { content: [{ type: 'text', text: `The tool ${name} failed: ${(err as Error).message}` }], isError: true };
    }
  }
}
