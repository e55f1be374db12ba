// Generated from schemas/host.schema.json (sha256 53b10418b517b3ee8158c30608f0f4b18b7d9c6a3b373f18fa00901b1852bc26); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ProviderConfig } from './core.ts';

/** Params of the methods that take nothing but the token. */
export interface HostAuthParams {
  auth: string;
}

export interface HostPingResult {
  pong: true;
}

/** Who the host is and which of the host methods it serves. */
export interface HostCapabilitiesResult {
  name: string;
  version: string;
  methods: string[];
}

export interface HostSecretGetParams {
  auth: string;
  key: string;
}

/** The stored value, or null when the host has none under that key. */
export interface HostSecretGetResult {
  value: string | null;
}

export interface HostSecretStoreParams {
  auth: string;
  key: string;
  value: string;
}

export interface HostSecretStoreResult {
  stored: true;
}

export interface HostSecretDeleteParams {
  auth: string;
  key: string;
}

/** Whether there was a value to delete. */
export interface HostSecretDeleteResult {
  deleted: boolean;
}

export type HostConfigScope = "user" | "workspace";

/** One provider's settings, or every provider's with provider "*". workspacePath picks a workspace folder in a multi-root workspace. */
export interface HostConfigGetParams {
  auth: string;
  provider: string;
  scope: HostConfigScope;
  workspacePath?: string;
}

export interface HostConfigGetResult {
  providers: ProviderConfig[];
}

/** Replace one provider's settings at a scope; config null removes them. */
export interface HostConfigSetParams {
  auth: string;
  provider: string;
  scope: HostConfigScope;
  config: ProviderConfig | null;
  workspacePath?: string;
}

export interface HostConfigSetResult {
  ok: true;
}

/** The seed's openLLM.secrets.* settings; primaryStore "host" is the seed's "vscode". */
export interface HostSecretSettings {
  primaryStore?: "host" | "keychain";
  checkEnvironment?: boolean;
  checkDotEnv?: boolean;
}

/** The seed's openLLM.config.* settings; source "host" is the seed's "vscode". */
export interface HostConfigSettings {
  source?: "host" | "native";
  nativeLevel?: "user" | "workspace" | "both";
}

/** Which tools a model may see: all off, glob patterns to include and exclude, names turned off. */
export interface HostToolSettings {
  enabled?: boolean;
  include?: string[];
  exclude?: string[];
  disabled?: string[];
}

/** The host's own settings for the bridge (config/getSettings); every part optional. */
export interface HostSettings {
  secrets?: HostSecretSettings;
  config?: HostConfigSettings;
  tools?: HostToolSettings;
}

/** The folder whose .openllm/config.yaml is the workspace config; null with no folder open. */
export interface HostWorkspaceRootResult {
  root: string | null;
}

/** Every folder of the (multi-root) workspace, the root first. */
export interface HostWorkspacePathsResult {
  folders: string[];
}

/** A tool as MCP lists it. Internal tools (_internal true, or a name starting openllm_) are for the bridge itself and never shown to a model or an agent. */
export interface HostTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  _internal?: boolean;
}

export interface HostToolsListParams {
  auth: string;
  includeInternal?: boolean;
}

export interface HostToolsListResult {
  tools: HostTool[];
}

export interface HostToolsCallParams {
  auth: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface HostTextContent {
  type: "text";
  text: string;
}

/** As MCP's CallToolResult: text content, and isError when the tool failed (the model sees that as an error result). */
export interface HostToolsCallResult {
  content: HostTextContent[];
  isError?: boolean;
}

/** Host to bridge: provider settings (or the host settings) changed; drop cached config. */
export interface HostConfigChangedParams {
  scope?: HostConfigScope;
  provider?: string;
}

/** Host to bridge: the secret under key changed or was deleted; drop cached keys. */
export interface HostSecretChangedParams {
  key: string;
}
