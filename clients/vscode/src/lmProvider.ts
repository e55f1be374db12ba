// Role 3: the bridge's models in VS Code's language model API (vendor `open-llm`). The picker
// lists every model of every enabled provider (the configured `models`, else the provider's own
// list); a request streams from chat/stream as text and tool-call parts; the token cancels it.
// Other extensions reach these models with vscode.lm.selectChatModels({ vendor: 'open-llm' }).
import * as vscode from 'vscode';

import { BridgeCancelledError, CancellationTokenSource, type BridgeClient, type Usage } from '@openllm-bridge/client';

import type { BridgeManager, Log } from './bridgeManager.ts';
import {
  describeError,
  estimatePartTokens,
  estimateTokens,
  toBridgeMessages,
  toModelEntry,
  toStreamOptions,
  TurnMemory,
  type ModelEntry,
} from './convert.ts';

export const VENDOR = 'open-llm';

type Info = vscode.LanguageModelChatInformation & ModelEntry;

/** Every model of every enabled provider, as the picker shows them. */
export async function listModels(client: BridgeClient, log: Log): Promise<ModelEntry[]> {
  const [{ providers: metadata }, { providers: configs }] = await Promise.all([client.providers(), client.config.providers()]);
  const entries: ModelEntry[] = [];
  for (const config of configs.filter((c) => c.enabled !== false)) {
    const meta = metadata.find((m) => m.id === config.name);
    try {
      const models = config.models?.length
        ? config.models.map((id) => ({ id, provider: config.name }))
        : (await client.models(config.name)).models;
      entries.push(...models.map((m) => toModelEntry(m, meta)));
    } catch (err) {
      log.warn(`no models from ${config.name}: ${(err as Error).message}`);
    }
  }
  return entries;
}

/** Bridge usage of the last response per model, for the status bar and the playground. */
export const lastUsage = new Map<string, Usage>();

export class OpenLLMChatProvider implements vscode.LanguageModelChatProvider<Info> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private readonly bridge: BridgeManager;
  private readonly log: Log;
  private readonly turns = new TurnMemory(); // the bridge's tool-calling turns, signatures and all

  constructor(bridge: BridgeManager, log: Log) {
    this.bridge = bridge;
    this.log = log;
  }

  /** Ask VS Code to list the models again (after the bridge started or the config changed). */
  refresh(): void {
    this.changed.fire();
  }

  async provideLanguageModelChatInformation(options: vscode.PrepareLanguageModelChatModelOptions): Promise<Info[]> {
    try {
      const client = await this.bridge.ready();
      return (await listModels(client, this.log)) as Info[];
    } catch (err) {
      this.log.warn(`listing models failed: ${(err as Error).message}`);
      if (!options.silent) void vscode.window.showErrorMessage(`Open LLM: ${(err as Error).message}`);
      return [];
    }
  }

  async provideLanguageModelChatResponse(
    model: Info,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const client = await this.bridge.ready();
    const cancel = new CancellationTokenSource();
    const subscription = token.onCancellationRequested(() => cancel.cancel());
    const started = Date.now();
    try {
      const stream = client.chat(
        { provider: model.provider, model: model.model, messages: toBridgeMessages(messages, this.turns), options: toStreamOptions(options) },
        cancel.token,
      );
      for await (const chunk of stream) {
        if (chunk.type === 'text') progress.report(new vscode.LanguageModelTextPart(chunk.text));
        else if (chunk.type === 'tool_call') progress.report(new vscode.LanguageModelToolCallPart(chunk.id, chunk.name, chunk.arguments));
        else if (chunk.type === 'usage') lastUsage.set(model.id, { input_tokens: chunk.input_tokens, output_tokens: chunk.output_tokens });
        else if (chunk.type === 'error' && chunk.code !== 'cancelled') throw new Error(describeError(chunk));
      }
      const result = await stream.result;
      this.turns.remember(result.message);
      this.log.info(`${model.id}: ${result.finish_reason} in ${Date.now() - started} ms, usage ${JSON.stringify(result.usage)}`);
    } catch (err) {
      if (err instanceof BridgeCancelledError || token.isCancellationRequested) return;
      this.log.error(`${model.id}: ${(err as Error).message}`);
      throw err;
    } finally {
      subscription.dispose();
      cancel.dispose();
    }
  }

  async provideTokenCount(_model: Info, text: string | vscode.LanguageModelChatRequestMessage): Promise<number> {
    return typeof text === 'string' ? estimateTokens(text) : estimatePartTokens(text.content);
  }
}
