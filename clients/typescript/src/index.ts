// @openllm-bridge/client: talk to the Open LLM Bridge from TypeScript (editor extensions, scripts).
export { BridgeClient, CancellationTokenSource } from './client.ts';
export type { BridgeMethod, CancellationToken, ConnectOptions, ParamsOf, ResultOf } from './client.ts';
export { ChatStream } from './chatStream.ts';
export {
  BridgeCancelledError,
  BridgeClosedError,
  BridgeError,
  BridgeNotFoundError,
  BridgeRpcError,
  BridgeStartError,
  BridgeTooLargeError,
  ErrorCodes,
  INSTALL_HINT,
} from './errors.ts';
export type * from './generated/index.ts';
export { METHODS } from './generated/index.ts';
export { spawnBridge } from './spawn.ts';
export type { SpawnedBridge, SpawnOptions } from './spawn.ts';
export { isValid, SchemaError, typeNames, validate } from './validate.ts';
