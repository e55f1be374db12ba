// Generated from schemas/core.schema.json (sha256 e8243eff5f55dee877d0ae495acb5c9e4e87b8e86371e3227600fec5814485cf); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

export type Role = "system" | "user" | "assistant" | "tool";

export interface TextPart {
  type: "text";
  text: string;
  /** The turn's TextChunk signature, sent back with its text (Gemini's thoughtSignature: the model's reasoning carries over to the next turn). Other providers leave it out. */
  signature?: string;
}

/** An image given inline as base64 (no data: prefix). */
export interface ImagePart {
  type: "image";
  media_type: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  data: string;
}

export interface ToolCallPart {
  type: "tool_call";
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** The call's ToolCallChunk signature, sent back with it: Gemini 3 refuses a tool call in the history without its thoughtSignature. Other providers leave it out. */
  signature?: string;
}

export interface ToolResultPart {
  type: "tool_result";
  tool_call_id: string;
  name?: string;
  content: string;
  is_error?: boolean;
}

/** A model's reasoning in an assistant turn sent back, as its ThinkingChunks gave it: the text with its signature, or a redacted block's data. Anthropic requires the turn's thinking before its tool calls when thinking is on; other providers leave it out. */
export interface ThinkingPart {
  type: "thinking";
  text: string;
  signature?: string;
  redacted?: string;
}

export type ContentPart = TextPart | ImagePart | ToolCallPart | ToolResultPart | ThinkingPart;

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  name?: string;
}

export interface ToolSpec {
  name: string;
  description?: string;
  /** A JSON Schema for the arguments. */
  parameters: Record<string, unknown>;
}

export interface NamedToolChoice {
  type: "tool";
  name: string;
}

export type ToolChoice = "auto" | "none" | "required" | NamedToolChoice;

export interface StreamOptions {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
  tools?: ToolSpec[];
  tool_choice?: ToolChoice;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

/** Why a request failed. The first ten come from providers; the rest from the bridge itself. */
export type ErrorCode = "auth" | "not_found" | "rate_limited" | "bad_request" | "context_length" | "server" | "network" | "timeout" | "cancelled" | "protocol" | "missing_key" | "unknown_provider" | "unknown_model" | "invalid_config" | "host_unavailable" | "unauthorized" | "tool_error" | "internal";

export interface TextChunk {
  type: "text";
  text: string;
  /** An opaque signature the provider attached to the reply's text (Gemini 3's thoughtSignature, often on a last chunk of empty text), to be sent back with the turn's text (TextPart). */
  signature?: string;
}

/** Reasoning text. Where the provider signs its reasoning (Anthropic), the block ends with a chunk of empty text and the signature, and a redacted block is one chunk of empty text with its data: a turn sent back with tool results must carry them (ThinkingPart). */
export interface ThinkingChunk {
  type: "thinking";
  text: string;
  signature?: string;
  redacted?: string;
}

/** One whole tool call, assembled from its deltas, arguments parsed. */
export interface ToolCallChunk {
  type: "tool_call";
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** An opaque signature the provider attached to the call (Gemini's thoughtSignature), to be sent back with it in the next turn. */
  signature?: string;
  /** The arguments as the model wrote them, when they are not a JSON object (arguments is then {}). The call cannot run as it is: a tool loop answers it with an error result the model can correct. */
  invalid_arguments?: string;
}

export interface UsageChunk {
  type: "usage";
  input_tokens: number;
  output_tokens: number;
}

export interface DoneChunk {
  type: "done";
  finish_reason: FinishReason;
}

export interface ErrorChunk {
  type: "error";
  code: ErrorCode;
  message: string;
  retryable: boolean;
  status: number | null;
}

export type StreamChunk = TextChunk | ThinkingChunk | ToolCallChunk | UsageChunk | DoneChunk | ErrorChunk;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface ProviderCapabilities {
  streaming: boolean;
  tools: boolean;
  images: boolean;
  thinking: boolean;
  model_discovery: boolean;
}

export interface ProviderMetadata {
  id: string;
  display_name: string;
  default_api_base: string | null;
  env_vars: string[];
  needs_key: boolean;
  capabilities: ProviderCapabilities;
}

/** One provider's settings as merged from YAML files and the editor host. Provider-specific fields (api_version, deployment, ...) are allowed. */
export interface ProviderConfig {
  name: string;
  enabled?: boolean;
  api_base?: string | null;
  models?: string[];
  api_key_env?: string;
  api_version?: string;
  deployment?: string;
  source?: "user" | "workspace" | "host" | "memory" | "default";
  source_detail?: string;
  [key: string]: unknown;
}

export interface ModelInfo {
  id: string;
  provider: string;
  display_name?: string;
  context_window?: number | null;
  max_output_tokens?: number | null;
  tools?: boolean;
  images?: boolean;
}
