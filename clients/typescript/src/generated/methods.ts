// Generated from the x-methods of schemas/*.schema.json; do not edit.

import type { ChatChunkParams, ChatStreamParams, ChatStreamResult, ModelsListParams, ModelsListResult, ProvidersListParams, ProvidersListResult } from './apiChat.ts';

/** Requests the bridge serves: method -> params and result. */
export interface BridgeRequests {
  "chat/stream": { params: ChatStreamParams; result: ChatStreamResult };
  "providers/list": { params: ProvidersListParams; result: ProvidersListResult };
  "models/list": { params: ModelsListParams; result: ModelsListResult };
}

/** Notifications of the bridge surface: method -> params. */
export interface BridgeNotifications {
  "chat/chunk": ChatChunkParams;
}

/** Every method of every surface, with the schema type names of its params and result. */
export const METHODS = [
  { method: "chat/stream", surface: "bridge", kind: "request", params: "ChatStreamParams", result: "ChatStreamResult" },
  { method: "chat/chunk", surface: "bridge", kind: "notification", params: "ChatChunkParams", result: null },
  { method: "providers/list", surface: "bridge", kind: "request", params: "ProvidersListParams", result: "ProvidersListResult" },
  { method: "models/list", surface: "bridge", kind: "request", params: "ModelsListParams", result: "ModelsListResult" },
] as const;
