// Role 4, the test UIs. The sidebar chat talks to one model through VS Code's language model API
// (so it exercises role 3 exactly as other extensions do); the playground sends one prompt to
// several models at once through the bridge and shows the answers side by side as they stream,
// with time to first token, total time and token usage for each.
import * as vscode from 'vscode';

import { CancellationTokenSource, type BridgeClient, type ChatMessage } from '@openllm-bridge/client';

import type { BridgeManager, Log } from './bridgeManager.ts';
import { describeError } from './convert.ts';
import { listModels, VENDOR } from './lmProvider.ts';
import { webviewHtml, webviewOptions } from './webview.ts';

type ChatInbound = { type: 'ready' } | { type: 'send'; model: string; text: string } | { type: 'stop' } | { type: 'clear' };

export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'openLLM.chatView';
  private readonly extensionUri: vscode.Uri;
  private view: vscode.WebviewView | null = null;
  private history: vscode.LanguageModelChatMessage[] = [];
  private running: vscode.CancellationTokenSource | null = null;

  constructor(extensionUri: vscode.Uri) {
    this.extensionUri = extensionUri;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'chat.js', 'Open LLM Chat', '<main id="openllm-chat"></main>');
    view.webview.onDidReceiveMessage((m: ChatInbound) => void this.handle(m));
  }

  /** Send the models again (after the bridge restarted or the config changed). */
  async refresh(): Promise<void> {
    const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
    void this.view?.webview.postMessage({ type: 'models', models: models.map((m) => ({ id: m.id, name: `${m.name} (${m.family})` })) });
  }

  private async handle(message: ChatInbound): Promise<void> {
    const post = (m: unknown) => void this.view?.webview.postMessage(m);
    if (message.type === 'ready') return this.refresh();
    if (message.type === 'stop') return this.running?.cancel();
    if (message.type === 'clear') {
      this.history = [];
      return;
    }
    const [model] = await vscode.lm.selectChatModels({ vendor: VENDOR, id: message.model });
    if (!model) return post({ type: 'error', text: `The model ${message.model} is not available.` });
    this.history.push(vscode.LanguageModelChatMessage.User(message.text));
    this.running = new vscode.CancellationTokenSource();
    const started = Date.now();
    let answer = '';
    try {
      const response = await model.sendRequest(this.history, {}, this.running.token);
      for await (const text of response.text) {
        answer += text;
        post({ type: 'delta', text });
      }
      this.history.push(vscode.LanguageModelChatMessage.Assistant(answer));
      post({ type: 'done', ms: Date.now() - started });
    } catch (err) {
      post({ type: 'error', text: (err as Error).message });
    } finally {
      this.running.dispose();
      this.running = null;
    }
  }
}

type PlaygroundInbound = { type: 'ready' } | { type: 'run'; prompt: string; system: string; models: string[] } | { type: 'stop' };

export class PlaygroundPanel {
  static current: PlaygroundPanel | null = null;
  private readonly panel: vscode.WebviewPanel;
  private readonly bridge: BridgeManager;
  private readonly log: Log;
  private running: CancellationTokenSource | null = null;

  static show(extensionUri: vscode.Uri, bridge: BridgeManager, log: Log): PlaygroundPanel {
    if (PlaygroundPanel.current) {
      PlaygroundPanel.current.panel.reveal();
      return PlaygroundPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('openLLM.playground', 'Open LLM: Playground', vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: true,
    });
    PlaygroundPanel.current = new PlaygroundPanel(panel, extensionUri, bridge, log);
    return PlaygroundPanel.current;
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, bridge: BridgeManager, log: Log) {
    this.panel = panel;
    this.bridge = bridge;
    this.log = log;
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'playground.js', 'Open LLM Playground', '<main id="openllm-playground"></main>');
    panel.webview.onDidReceiveMessage((m: PlaygroundInbound) => void this.handle(m));
    panel.onDidDispose(() => {
      this.running?.cancel();
      PlaygroundPanel.current = null;
    });
  }

  private post(message: unknown): void {
    void this.panel.webview.postMessage(message);
  }

  private async handle(message: PlaygroundInbound): Promise<void> {
    try {
      const client = await this.bridge.ready();
      if (message.type === 'ready') {
        const models = await listModels(client, this.log);
        this.post({ type: 'models', models: models.map((m) => ({ id: m.id, name: m.name, provider: m.detail })) });
      } else if (message.type === 'stop') {
        this.running?.cancel();
      } else {
        this.running?.cancel();
        const source = new CancellationTokenSource();
        this.running = source;
        await Promise.all(message.models.map((id) => this.runOne(client, id, message, source)));
        this.post({ type: 'finished' });
      }
    } catch (err) {
      this.post({ type: 'error', text: (err as Error).message });
    }
  }

  private async runOne(client: BridgeClient, id: string, run: { prompt: string; system: string }, source: CancellationTokenSource): Promise<void> {
    const slash = id.indexOf('/');
    const messages: ChatMessage[] = run.system ? [{ role: 'system', content: run.system }] : [];
    messages.push({ role: 'user', content: run.prompt });
    const started = Date.now();
    let firstMs: number | null = null;
    let failed = false;
    try {
      const stream = client.chat({ provider: id.slice(0, slash), model: id.slice(slash + 1), messages }, source.token);
      for await (const chunk of stream) {
        if (chunk.type === 'text') {
          firstMs ??= Date.now() - started;
          this.post({ type: 'delta', model: id, text: chunk.text });
        } else if (chunk.type === 'error') {
          failed = true;
          this.post({ type: 'failed', model: id, text: describeError(chunk) });
        }
      }
      const result = await stream.result;
      if (failed) return; // the failure stays shown, not overwritten by a summary
      this.post({ type: 'done', model: id, firstMs, totalMs: Date.now() - started, usage: result.usage, finish: result.finish_reason });
    } catch (err) {
      this.post({ type: 'failed', model: id, text: (err as Error).message });
    }
  }
}
