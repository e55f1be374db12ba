// Generated from schemas/mcp.schema.json (sha256 ab497ed28ba6e43f69a772e77b85cb047a8ba5de3f5233ca946dd6fdaaf5ce91); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ErrorChunk, FinishReason, ToolCallPart, Usage } from './core.ts';

/** What one `chat` call produced. `conversation_id` continues the conversation in a later call. */
export interface McpChatResult {
  provider: string;
  model: string;
  text: string;
  finish_reason: FinishReason;
  usage: Usage | null;
  conversation_id: string;
  tool_calls?: ToolCallPart[];
}

/** One model's answer in a `compare` call, with its timings; `error` is set when that model failed. */
export interface McpCompareEntry {
  provider: string;
  model: string;
  text: string;
  finish_reason: FinishReason;
  usage: Usage | null;
  seconds: number;
  first_chunk_seconds: number | null;
  error: ErrorChunk | null;
}

export interface McpCompareResult {
  results: McpCompareEntry[];
}
