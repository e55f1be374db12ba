// Generated from the x-methods of schemas/*.schema.json; do not edit.

import type { AuthenticateParams, AuthenticateResult, BridgeStatusParams, BridgeStatusResult, ChangedParams, ToolApproveParams, ToolApproveResult, ToolsListParams, ToolsListResult } from './apiBridge.ts';
import type { ChatChunkParams, ChatStreamParams, ChatStreamResult, ModelsListParams, ModelsListResult, ProvidersListParams, ProvidersListResult } from './apiChat.ts';
import type { ConfigExportParams, ConfigExportResult, ConfigImportParams, ConfigImportResult, ConfigProvidersParams, ConfigProvidersResult, ConfigRemoveProviderParams, ConfigRemoveProviderResult, ConfigSetProviderParams, ConfigSetProviderResult, SecretsDeleteParams, SecretsDeleteResult, SecretsListParams, SecretsListResult, SecretsResolveParams, SecretsResolveResult, SecretsStoreParams, SecretsStoreResult } from './apiConfig.ts';
import type { HostAuthParams, HostCapabilitiesResult, HostConfigChangedParams, HostConfigGetParams, HostConfigGetResult, HostConfigSetParams, HostConfigSetResult, HostPingResult, HostSecretChangedParams, HostSecretDeleteParams, HostSecretDeleteResult, HostSecretGetParams, HostSecretGetResult, HostSecretStoreParams, HostSecretStoreResult, HostSettings, HostToolsCallParams, HostToolsCallResult, HostToolsListParams, HostToolsListResult, HostWorkspacePathsResult, HostWorkspaceRootResult } from './host.ts';
import type { CancelRequestParams, CancelledParams } from './jsonrpc.ts';

/** Requests the bridge serves: method -> params and result. */
export interface BridgeRequests {
  "bridge/authenticate": { params: AuthenticateParams; result: AuthenticateResult };
  "bridge/status": { params: BridgeStatusParams; result: BridgeStatusResult };
  "tools/list": { params: ToolsListParams; result: ToolsListResult };
  "chat/stream": { params: ChatStreamParams; result: ChatStreamResult };
  "providers/list": { params: ProvidersListParams; result: ProvidersListResult };
  "models/list": { params: ModelsListParams; result: ModelsListResult };
  "secrets/resolve": { params: SecretsResolveParams; result: SecretsResolveResult };
  "secrets/list": { params: SecretsListParams; result: SecretsListResult };
  "secrets/store": { params: SecretsStoreParams; result: SecretsStoreResult };
  "secrets/delete": { params: SecretsDeleteParams; result: SecretsDeleteResult };
  "config/providers": { params: ConfigProvidersParams; result: ConfigProvidersResult };
  "config/setProvider": { params: ConfigSetProviderParams; result: ConfigSetProviderResult };
  "config/removeProvider": { params: ConfigRemoveProviderParams; result: ConfigRemoveProviderResult };
  "config/export": { params: ConfigExportParams; result: ConfigExportResult };
  "config/import": { params: ConfigImportParams; result: ConfigImportResult };
}

/** Requests the bridge sends to its client (direction to_client): method -> params and result. */
export interface BridgeClientRequests {
  "tools/approve": { params: ToolApproveParams; result: ToolApproveResult };
}

/** Notifications of the bridge surface: method -> params. */
export interface BridgeNotifications {
  "secrets/changed": ChangedParams;
  "config/changed": ChangedParams;
  "chat/chunk": ChatChunkParams;
  "$/cancelRequest": CancelRequestParams;
  "notifications/cancelled": CancelledParams;
}

/** Requests the host serves: method -> params and result. */
export interface HostRequests {
  "lifecycle/ping": { params: HostAuthParams; result: HostPingResult };
  "lifecycle/capabilities": { params: HostAuthParams; result: HostCapabilitiesResult };
  "secrets/get": { params: HostSecretGetParams; result: HostSecretGetResult };
  "secrets/store": { params: HostSecretStoreParams; result: HostSecretStoreResult };
  "secrets/delete": { params: HostSecretDeleteParams; result: HostSecretDeleteResult };
  "config/get": { params: HostConfigGetParams; result: HostConfigGetResult };
  "config/set": { params: HostConfigSetParams; result: HostConfigSetResult };
  "config/getSettings": { params: HostAuthParams; result: HostSettings };
  "workspace/getRoot": { params: HostAuthParams; result: HostWorkspaceRootResult };
  "workspace/getPaths": { params: HostAuthParams; result: HostWorkspacePathsResult };
  "tools/list": { params: HostToolsListParams; result: HostToolsListResult };
  "tools/call": { params: HostToolsCallParams; result: HostToolsCallResult };
}

/** Requests the host sends to its client (direction to_client): method -> params and result. */
export interface HostClientRequests {
}

/** Notifications of the host surface: method -> params. */
export interface HostNotifications {
  "notifications/configChanged": HostConfigChangedParams;
  "notifications/secretChanged": HostSecretChangedParams;
}

/** Every method of every surface, with the schema type names of its params and result. */
export const METHODS = [
  { method: "bridge/authenticate", surface: "bridge", direction: "to_server", kind: "request", params: "AuthenticateParams", result: "AuthenticateResult" },
  { method: "bridge/status", surface: "bridge", direction: "to_server", kind: "request", params: "BridgeStatusParams", result: "BridgeStatusResult" },
  { method: "tools/list", surface: "bridge", direction: "to_server", kind: "request", params: "ToolsListParams", result: "ToolsListResult" },
  { method: "tools/approve", surface: "bridge", direction: "to_client", kind: "request", params: "ToolApproveParams", result: "ToolApproveResult" },
  { method: "secrets/changed", surface: "bridge", direction: "to_client", kind: "notification", params: "ChangedParams", result: null },
  { method: "config/changed", surface: "bridge", direction: "to_client", kind: "notification", params: "ChangedParams", result: null },
  { method: "chat/stream", surface: "bridge", direction: "to_server", kind: "request", params: "ChatStreamParams", result: "ChatStreamResult" },
  { method: "chat/chunk", surface: "bridge", direction: "to_client", kind: "notification", params: "ChatChunkParams", result: null },
  { method: "providers/list", surface: "bridge", direction: "to_server", kind: "request", params: "ProvidersListParams", result: "ProvidersListResult" },
  { method: "models/list", surface: "bridge", direction: "to_server", kind: "request", params: "ModelsListParams", result: "ModelsListResult" },
  { method: "secrets/resolve", surface: "bridge", direction: "to_server", kind: "request", params: "SecretsResolveParams", result: "SecretsResolveResult" },
  { method: "secrets/list", surface: "bridge", direction: "to_server", kind: "request", params: "SecretsListParams", result: "SecretsListResult" },
  { method: "secrets/store", surface: "bridge", direction: "to_server", kind: "request", params: "SecretsStoreParams", result: "SecretsStoreResult" },
  { method: "secrets/delete", surface: "bridge", direction: "to_server", kind: "request", params: "SecretsDeleteParams", result: "SecretsDeleteResult" },
  { method: "config/providers", surface: "bridge", direction: "to_server", kind: "request", params: "ConfigProvidersParams", result: "ConfigProvidersResult" },
  { method: "config/setProvider", surface: "bridge", direction: "to_server", kind: "request", params: "ConfigSetProviderParams", result: "ConfigSetProviderResult" },
  { method: "config/removeProvider", surface: "bridge", direction: "to_server", kind: "request", params: "ConfigRemoveProviderParams", result: "ConfigRemoveProviderResult" },
  { method: "config/export", surface: "bridge", direction: "to_server", kind: "request", params: "ConfigExportParams", result: "ConfigExportResult" },
  { method: "config/import", surface: "bridge", direction: "to_server", kind: "request", params: "ConfigImportParams", result: "ConfigImportResult" },
  { method: "lifecycle/ping", surface: "host", direction: "to_server", kind: "request", params: "HostAuthParams", result: "HostPingResult" },
  { method: "lifecycle/capabilities", surface: "host", direction: "to_server", kind: "request", params: "HostAuthParams", result: "HostCapabilitiesResult" },
  { method: "secrets/get", surface: "host", direction: "to_server", kind: "request", params: "HostSecretGetParams", result: "HostSecretGetResult" },
  { method: "secrets/store", surface: "host", direction: "to_server", kind: "request", params: "HostSecretStoreParams", result: "HostSecretStoreResult" },
  { method: "secrets/delete", surface: "host", direction: "to_server", kind: "request", params: "HostSecretDeleteParams", result: "HostSecretDeleteResult" },
  { method: "config/get", surface: "host", direction: "to_server", kind: "request", params: "HostConfigGetParams", result: "HostConfigGetResult" },
  { method: "config/set", surface: "host", direction: "to_server", kind: "request", params: "HostConfigSetParams", result: "HostConfigSetResult" },
  { method: "config/getSettings", surface: "host", direction: "to_server", kind: "request", params: "HostAuthParams", result: "HostSettings" },
  { method: "workspace/getRoot", surface: "host", direction: "to_server", kind: "request", params: "HostAuthParams", result: "HostWorkspaceRootResult" },
  { method: "workspace/getPaths", surface: "host", direction: "to_server", kind: "request", params: "HostAuthParams", result: "HostWorkspacePathsResult" },
  { method: "tools/list", surface: "host", direction: "to_server", kind: "request", params: "HostToolsListParams", result: "HostToolsListResult" },
  { method: "tools/call", surface: "host", direction: "to_server", kind: "request", params: "HostToolsCallParams", result: "HostToolsCallResult" },
  { method: "notifications/configChanged", surface: "host", direction: "to_client", kind: "notification", params: "HostConfigChangedParams", result: null },
  { method: "notifications/secretChanged", surface: "host", direction: "to_client", kind: "notification", params: "HostSecretChangedParams", result: null },
  { method: "$/cancelRequest", surface: "bridge", direction: "to_server", kind: "notification", params: "CancelRequestParams", result: null },
  { method: "notifications/cancelled", surface: "bridge", direction: "to_server", kind: "notification", params: "CancelledParams", result: null },
] as const;
