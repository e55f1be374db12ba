// Generated from schemas/api-bridge.schema.json (sha256 492da523eae59fcfd7f53830686094f33ad32e9b94c72812801411a2a37ed4c2); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ToolCallPart, ToolSpec } from './core.ts';

/** The first request on a connection to a bridge started with a token; every other request is refused (unauthorized) until it succeeds. */
export interface AuthenticateParams {
  token: string;
}

export interface AuthenticateResult {
  authenticated: boolean;
}

export type BridgeStatusParams = Record<string, never>;

/** The editor host the bridge uses for secrets, config and tools (DESIGN.md surface 3). */
export interface HostStatus {
  connected: boolean;
  socket?: string | null;
}

/** Whether a provider can be used now; reason says why not (disabled, no key). */
export interface ProviderStatus {
  id: string;
  available: boolean;
  /** Where the key was found (env, host, keychain…); never the key. */
  key_source?: string | null;
  reason?: string;
}

export interface BridgeStatusResult {
  version: string;
  pid: number;
  host: HostStatus;
  providers: ProviderStatus[];
}

/** Sent by the bridge to every authenticated client after keys (secrets/changed) or provider configuration (config/changed) changed: the provider concerned, or null when anything may have changed. Drop caches and ask again. */
export interface ChangedParams {
  provider: string | null;
}

/** A request the bridge sends to its CLIENT (direction to_client: the client serves it) during a chat/stream with run_tools and approve_tools: may this tool call run? request_id is the chat/stream's id. */
export interface ToolApproveParams {
  request_id: number | string;
  call: ToolCallPart;
}

/** The client's answer to tools/approve. A refused call (or no valid answer) reaches the model as an error result carrying the reason. */
export interface ToolApproveResult {
  approved: boolean;
  reason?: string;
}

export type ToolsListParams = Record<string, never>;

/** The tools a model may be offered (the editor host's user tools; never internal ones). */
export interface ToolsListResult {
  tools: ToolSpec[];
}
