// Generated from schemas/api-chat.schema.json (sha256 324eec664833e1a8a45591fd65fd2c7abfeb2c611b8e67ed83d102774c7a5d42); do not edit.
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
  /** With run_tools: ask the client (a tools/approve request) before each tool call runs. */
  approve_tools?: boolean;
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
