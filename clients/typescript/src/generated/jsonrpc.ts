// Generated from schemas/jsonrpc.schema.json (sha256 12d978047e5180ed6b151bc9a8e407960b1dce7c510d19a648b31788a96835c3); do not edit.
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

/** The data member of a JSON-RPC error raised by the bridge: the error code of core.schema.json and whether a retry may help. */
export interface BridgeErrorData {
  code: ErrorCode;
  retryable: boolean;
  status?: number | null;
}
