// Generated from schemas/api-bridge.schema.json (sha256 f0f7a6f5d0392821e799b0646a27a073abdd5df299bcdd61465b30787ffb59fb); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ToolSpec } from './core.ts';

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

export type ToolsListParams = Record<string, never>;

/** The tools a model may be offered (the editor host's user tools; never internal ones). */
export interface ToolsListResult {
  tools: ToolSpec[];
}
