// Generated from schemas/api-config.schema.json (sha256 4db27a78be14ec39714176282354aeed31dd97b33a39972c571bc2201851d473); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ProviderConfig } from './core.ts';

/** The store a key was found in. */
export type SecretSource = "env" | "dotenv" | "host" | "keychain" | "memory";

/** Where to store a key: auto is the host when it is connected, else the keychain. */
export type SecretDestination = "auto" | "host" | "keychain" | "memory";

/** A writable configuration layer: the user's or the workspace's config.yaml, or the editor host's settings. */
export type ConfigScope = "user" | "workspace" | "host";

/** The seed's settings (openLLM.secrets.primaryStore, checkEnvironment, checkDotEnv; openLLM.config.source, nativeLevel) as the resolvers apply them; the seed's "vscode" is "host" here. */
export interface ResolverSettings {
  primary_store: "host" | "keychain";
  check_environment: boolean;
  check_dotenv: boolean;
  config_source: "native" | "host";
  native_level: "user" | "workspace" | "both";
}

export interface SecretsResolveParams {
  provider: string;
  /** Include the value itself; off by default. */
  reveal?: boolean;
}

export interface SecretsResolveResult {
  provider: string;
  found: boolean;
  source: SecretSource | null;
  /** Exactly where: env:OPENAI_API_KEY, dotenv:/path/.env, keychain, host. */
  detail: string | null;
  /** sk-…abcd at most. */
  masked: string | null;
  /** Only when reveal was true and a key was found. */
  value?: string;
}

export type SecretsListParams = Record<string, never>;

/** Whether a provider has a key and where; never the value. */
export interface SecretLocation {
  provider: string;
  found: boolean;
  source: SecretSource | null;
  detail: string | null;
  masked: string | null;
  /** Lower-priority places that also hold a key (shadowed). */
  also_in: string[];
  /** Places that could not be asked now, with why (a locked or hung keychain, the host away): the key may be there. Absent when every place answered. */
  unreachable?: string[];
}

export interface SecretsListResult {
  secrets: SecretLocation[];
}

export interface SecretsStoreParams {
  provider: string;
  value: string;
  destination?: SecretDestination;
}

export interface SecretsStoreResult {
  provider: string;
  destination: "host" | "keychain" | "memory";
}

export interface SecretsDeleteParams {
  provider: string;
}

export interface SecretsDeleteResult {
  provider: string;
  deleted_from: string[];
  /** Read-only places that still hold a key, such as env:OPENAI_API_KEY. */
  still_in: string[];
  /** Writable stores that could not be reached (with why), which may still hold a key. */
  unreachable: string[];
}

export type ConfigProvidersParams = Record<string, never>;

export interface ConfigProvidersResult {
  providers: ProviderConfig[];
  settings: ResolverSettings;
}

export interface ConfigSetProviderParams {
  config: ProviderConfig;
  scope?: ConfigScope;
}

export interface ConfigSetProviderResult {
  provider: ProviderConfig;
  scope: ConfigScope;
  /** The file written; null for the host. */
  path: string | null;
}

export interface ConfigRemoveProviderParams {
  name: string;
  /** Absent: every layer that has it. */
  scope?: ConfigScope;
}

export interface ConfigRemoveProviderResult {
  name: string;
  removed_from: ConfigScope[];
}

export interface ConfigExportParams {
  /** Default: merged. */
  scope?: "user" | "workspace" | "merged";
}

export interface ConfigExportResult {
  scope: "user" | "workspace" | "merged";
  providers: ProviderConfig[];
}

export interface ConfigImportParams {
  providers: ProviderConfig[];
  scope: "user" | "workspace";
}

export interface ConfigImportResult {
  scope: "user" | "workspace";
  path: string;
  /** A copy of the file that was replaced, if there was one. */
  backup: string | null;
  count: number;
}
