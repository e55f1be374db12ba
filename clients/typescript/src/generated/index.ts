// Generated: re-exports every generated module; do not edit.

export type * from './apiBridge.ts';
export type * from './apiChat.ts';
export type * from './apiConfig.ts';
export type * from './core.ts';
export type * from './host.ts';
export type * from './jsonrpc.ts';
export type * from './mcp.ts';
export type * from './methods.ts';
export { METHODS } from './methods.ts';
