// Generated from schemas/api-chat.schema.json (sha256 f517a17b66808e46eb5c337d409ae1b1b02579e2c37879fbfe21f99160b59790); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ChatMessage, FinishReason, ModelInfo, ProviderMetadata, StreamChunk, StreamOptions, Usage } from './core.ts';

/** What a caller asks the engine for: the same shape on every surface. */
export interface ChatRequest {
  provider: string;
  model: string;
  messages: ChatMessage[];
  options?: StreamOptions;
  api_base?: string;
}

export interface ChatStreamParams {
  provider: string;
  model: string;
  messages: ChatMessage[];
  options?: StreamOptions;
  api_base?: string;
  /** Run the tool-calling loop in the bridge with the host's tools. */
  run_tools?: boolean;
  max_tool_rounds?: number;
}

export interface ChatStreamResult {
  message: ChatMessage;
  finish_reason: FinishReason;
  usage: Usage | null;
}

export interface ChatChunkParams {
  request_id: number | string;
  chunk: StreamChunk;
}

export type ProvidersListParams = Record<string, never>;

export interface ProvidersListResult {
  providers: ProviderMetadata[];
}

export interface ModelsListParams {
  provider: string;
}

export interface ModelsListResult {
  models: ModelInfo[];
}
