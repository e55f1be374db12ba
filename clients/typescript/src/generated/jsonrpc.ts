// Generated from schemas/jsonrpc.schema.json (sha256 01530604a387e833a4c6aef57b846527eb75550beb2466e8955a72c5b4433def); do not edit.
// Regenerate with: npm run codegen (in clients/typescript)

import type { ErrorCode } from './core.ts';

export type RequestId = number | string;

export interface Request {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: Record<string, unknown> | unknown[];
}

export interface Notification {
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown> | unknown[];
}

export interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface SuccessResponse {
  jsonrpc: "2.0";
  id: RequestId;
  result: unknown;
}

export interface ErrorResponse {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: ErrorObject;
}

/** Cancel a request in flight, as LSP and vscode-jsonrpc send it. The request is answered with -32800. */
export interface CancelRequestParams {
  id: RequestId;
  [key: string]: unknown;
}

/** Cancel a request in flight, as MCP sends it. */
export interface CancelledParams {
  requestId: RequestId;
  reason?: string;
  [key: string]: unknown;
}

/** The data member of a JSON-RPC error raised by the bridge: the error code of core.schema.json and whether a retry may help. */
export interface BridgeErrorData {
  code: ErrorCode;
  retryable: boolean;
  status?: number | null;
}
