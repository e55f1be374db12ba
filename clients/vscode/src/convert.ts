// VS Code's language model shapes <-> the bridge's wire types, as pure functions. Parts are
// recognised by their fields (LanguageModelTextPart has `value`, a tool call `callId`, `name` and
// `input`, ...), not with instanceof, so this runs and is tested outside VS Code.
import type {
  ChatMessage,
  ContentPart,
  ErrorChunk,
  ModelInfo,
  ProviderMetadata,
  StreamOptions,
  ToolSpec,
} from '@openllm-bridge/client';

/** VS Code's LanguageModelChatMessageRole values. */
export const Role = { User: 1, Assistant: 2, System: 3 } as const;
/** VS Code's LanguageModelChatToolMode values. */
export const ToolMode = { Auto: 1, Required: 2 } as const;

export interface VsMessage {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
  readonly name?: string | undefined;
}

export interface VsTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: object | undefined;
}

type Part = Record<string, unknown>;

const isText = (p: Part): p is { value: string } => typeof p.value === 'string';
const isToolCall = (p: Part): p is { callId: string; name: string; input: object } =>
  typeof p.callId === 'string' && typeof p.name === 'string' && 'input' in p;
const isToolResult = (p: Part): p is { callId: string; content: unknown[] } =>
  typeof p.callId === 'string' && Array.isArray(p.content);
const isData = (p: Part): p is { mimeType: string; data: Uint8Array } =>
  typeof p.mimeType === 'string' && p.data instanceof Uint8Array;

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const IMAGE_TOKENS = 1000; // what an image costs a model, about: its bytes as text would be far more

/** A data part as text: text and JSON decoded, anything else (an image) named with its size, not
 * serialised byte by byte (a screenshot would be megabytes of `{"0":137,...}`). */
export function dataText(part: { mimeType: string; data: Uint8Array }): string {
  const mime = part.mimeType.toLowerCase();
  if (mime.startsWith('text/') || mime.endsWith('json')) return Buffer.from(part.data).toString('utf8');
  return `[${part.mimeType}, ${part.data.length} bytes]`;
}

/** The text of tool-result content (text parts, data parts, strings). */
export function toolResultText(content: readonly unknown[]): string {
  return content
    .map((c) => {
      const part = c as Part;
      if (isText(part)) return part.value;
      if (isData(part)) return dataText(part);
      return typeof c === 'string' ? c : JSON.stringify(c);
    })
    .join('');
}

/** About how many tokens a message's parts take (VS Code asks, for budgeting). */
export function estimatePartTokens(content: readonly unknown[]): number {
  let tokens = 0;
  for (const raw of content) {
    const part = (typeof raw === 'string' ? { value: raw } : raw) as Part;
    if (isText(part)) tokens += estimateTokens(part.value);
    else if (isData(part)) tokens += IMAGE_TYPES.has(part.mimeType) ? IMAGE_TOKENS : estimateTokens(dataText(part));
    else if (isToolResult(part)) tokens += estimateTokens(toolResultText(part.content));
    else tokens += estimateTokens(JSON.stringify(part));
  }
  return tokens;
}

/**
 * The bridge's own assistant turns that called tools, by the ids of their calls. VS Code hands a
 * turn back as text and tool-call parts only, without what some models need to see again: the
 * signature of a Gemini 3 call, the signed thinking before an Anthropic call (with thinking on).
 * The turn the bridge built (chat/stream's result message) is kept here and sent back instead.
 */
export class TurnMemory {
  private readonly turns = new Map<string, ChatMessage>();
  private readonly limit: number;

  constructor(limit = 256) {
    this.limit = limit;
  }

  remember(message: ChatMessage): void {
    const key = callsKey(message);
    if (!key) return;
    this.turns.delete(key); // set again: the newest goes last, the oldest first out
    this.turns.set(key, message);
    while (this.turns.size > this.limit) this.turns.delete(this.turns.keys().next().value as string);
  }

  /** The kept turn that made exactly these calls, or the message as it is. */
  restore(message: ChatMessage): ChatMessage {
    const key = callsKey(message);
    return (key && this.turns.get(key)) || message;
  }
}

/** The ids of an assistant turn's tool calls, as one key ("" for a turn without calls). */
function callsKey(message: ChatMessage): string {
  if (message.role !== 'assistant' || typeof message.content === 'string') return '';
  return message.content.flatMap((p) => (p.type === 'tool_call' ? [p.id] : [])).join(' ');
}

function simplify(role: ChatMessage['role'], parts: ContentPart[], name?: string): ChatMessage {
  const textOnly = parts.every((p) => p.type === 'text');
  const content = textOnly ? parts.map((p) => (p as { text: string }).text).join('') : parts;
  return name ? { role, content, name } : { role, content };
}

/** VS Code chat messages -> bridge ChatMessages. Tool results become `tool` messages of their own;
 * an assistant turn the bridge made (in `memory`) goes back as the bridge made it. */
export function toBridgeMessages(messages: readonly VsMessage[], memory?: TurnMemory): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const message of messages) {
    const role = message.role === Role.Assistant ? 'assistant' : message.role === Role.System ? 'system' : 'user';
    const parts: ContentPart[] = [];
    const results: ContentPart[] = [];
    for (const raw of message.content) {
      const part = (typeof raw === 'string' ? { value: raw } : raw) as Part;
      if (isToolResult(part)) {
        results.push({ type: 'tool_result', tool_call_id: part.callId, content: toolResultText(part.content) });
      } else if (isToolCall(part)) {
        parts.push({ type: 'tool_call', id: part.callId, name: part.name, arguments: { ...part.input } });
      } else if (isText(part)) {
        parts.push({ type: 'text', text: part.value });
      } else if (isData(part) && IMAGE_TYPES.has(part.mimeType)) {
        const media = part.mimeType as 'image/png';
        parts.push({ type: 'image', media_type: media, data: Buffer.from(part.data).toString('base64') });
      } else if (isData(part) && !part.mimeType.startsWith('image/')) {
        parts.push({ type: 'text', text: dataText(part) }); // text/*, JSON: what the model reads
      }
    }
    if (results.length > 0) out.push({ role: 'tool', content: results });
    if (parts.length > 0) {
      const converted = simplify(role, parts, message.name);
      out.push(memory ? memory.restore(converted) : converted);
    }
  }
  return out;
}

/** The request options VS Code passes a provider -> the bridge's StreamOptions. */
export function toStreamOptions(options: {
  readonly modelOptions?: { readonly [name: string]: unknown } | undefined;
  readonly tools?: readonly VsTool[] | undefined;
  readonly toolMode?: number | undefined;
}): StreamOptions {
  const out: StreamOptions = {};
  const model = options.modelOptions ?? {};
  if (typeof model.temperature === 'number') out.temperature = model.temperature;
  const maxTokens = model.max_tokens ?? model.maxTokens;
  if (typeof maxTokens === 'number') out.max_tokens = maxTokens;
  if (typeof model.top_p === 'number') out.top_p = model.top_p;
  if (Array.isArray(model.stop)) out.stop = model.stop.filter((s): s is string => typeof s === 'string');
  if (options.tools && options.tools.length > 0) {
    out.tools = options.tools.map(
      (t): ToolSpec => ({
        name: t.name,
        description: t.description,
        parameters: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
      }),
    );
    out.tool_choice = options.toolMode === ToolMode.Required ? 'required' : 'auto';
  }
  return out;
}

export interface ModelEntry {
  id: string;
  name: string;
  family: string;
  version: string;
  detail: string;
  tooltip: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: { toolCalling: boolean; imageInput: boolean };
  provider: string;
  model: string;
}

/** A bridge model -> what VS Code's model picker shows. The id is `provider/model`. */
export function toModelEntry(model: ModelInfo, provider: ProviderMetadata | undefined): ModelEntry {
  const providerName = provider?.display_name ?? model.provider;
  return {
    id: `${model.provider}/${model.id}`,
    name: model.display_name ?? model.id,
    family: model.provider,
    version: model.id,
    detail: providerName,
    tooltip: `${model.id} from ${providerName}, through the Open LLM Bridge`,
    maxInputTokens: model.context_window ?? 128_000,
    maxOutputTokens: model.max_output_tokens ?? 4096,
    capabilities: {
      toolCalling: model.tools ?? provider?.capabilities.tools ?? false,
      imageInput: model.images ?? provider?.capabilities.images ?? false,
    },
    provider: model.provider,
    model: model.id,
  };
}

/** About four characters a token: VS Code asks for budgeting, the bridge reports real usage after. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const HINTS: Partial<Record<ErrorChunk['code'], string>> = {
  missing_key: 'Add a key with "Open LLM: Configure Providers and Keys" (or set the environment variable).',
  auth: 'The provider refused the key: replace it with "Open LLM: Configure Providers and Keys".',
  rate_limited: 'The provider is rate limiting you: wait a moment and try again.',
  network: "The provider could not be reached: check the network and the provider's base URL.",
  timeout: 'The provider did not answer in time: try again, or pick another model.',
  unknown_model: 'Pick another model: this one is not offered by the provider.',
  unknown_provider: 'Enable the provider in "Open LLM: Configure Providers and Keys".',
  context_length: 'The conversation is too long for this model: start a new chat or pick a model with a larger context.',
  invalid_config: 'Fix the provider settings in "Open LLM: Configure Providers and Keys".',
  host_unavailable: 'The bridge lost its connection to VS Code: run "Open LLM: Restart the Bridge".',
};

/** An error chunk -> a message that says what happened and what to do. */
export function describeError(chunk: Pick<ErrorChunk, 'code' | 'message'>): string {
  const hint = HINTS[chunk.code];
  if (!hint) return chunk.message;
  return /[.!?]$/.test(chunk.message) ? `${chunk.message} ${hint}` : `${chunk.message}. ${hint}`;
}
