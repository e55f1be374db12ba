// What can go wrong talking to the bridge, as three error classes:
//
//   BridgeError                 base: anything this package throws on purpose
//   ├── BridgeNotFoundError     `openllm-bridge` is not installed (says how to install it)
//   ├── BridgeStartError        the process started but never said it was ready (stderr tail inside)
//   ├── BridgeClosedError       the connection is closed (the bridge exited, dropped it, or close())
//   ├── BridgeTooLargeError     a request over the bridge's message limit, refused before it is sent
//   └── BridgeRpcError          the bridge answered a request with a JSON-RPC error (code, data)
//       └── BridgeCancelledError  ... because the caller cancelled it

import type { ErrorCode } from './generated/index.ts';

export const INSTALL_HINT =
  'Install the bridge with `pipx install .` in a checkout of openllm-bridge (or `pip install --user .`), ' +
  'or set the path to the `openllm-bridge` command.';

export class BridgeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BridgeNotFoundError extends BridgeError {
  readonly command: string;

  constructor(command: string, options?: ErrorOptions) {
    super(`The Open LLM Bridge command was not found: ${command}. ${INSTALL_HINT}`, options);
    this.command = command;
  }
}

export class BridgeStartError extends BridgeError {
  readonly stderr: string;

  constructor(message: string, stderr: string) {
    super(stderr.trim() ? `${message}\n${stderr.trim()}` : message);
    this.stderr = stderr;
  }
}

export class BridgeClosedError extends BridgeError {
  readonly method: string;

  constructor(method: string, sent: boolean) {
    super(
      sent
        ? `${method}: the connection to the bridge closed before the answer came`
        : `${method}: the connection to the bridge is closed; connect again`,
    );
    this.method = method;
  }
}

export class BridgeTooLargeError extends BridgeError {
  readonly method: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(method: string, bytes: number, limit: number) {
    super(
      `${method}: the request is ${bytes} bytes, over the bridge's limit of ${limit} ` +
        '(it would refuse it and close the connection); send smaller or fewer images, or start the bridge with --max-frame-bytes',
    );
    this.method = method;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The JSON-RPC spec's error codes and LSP's RequestCancelled; bridge failures use -32000..-32099. */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  RequestCancelled: -32800,
} as const;

export class BridgeRpcError extends BridgeError {
  readonly code: number;
  readonly data: unknown;
  readonly method: string;

  constructor(method: string, code: number, message: string, data?: unknown) {
    super(`${method}: ${message} (code ${code})`);
    this.method = method;
    this.code = code;
    this.data = data;
  }

  /** The bridge's precise reason (data.code: missing_key, unauthorized, ...); switch on this, not the number. */
  get reason(): ErrorCode | undefined {
    const code = (this.data as { code?: unknown } | null | undefined)?.code;
    return typeof code === 'string' ? (code as ErrorCode) : undefined;
  }

  /** Whether trying again may help (data.retryable). */
  get retryable(): boolean {
    return (this.data as { retryable?: unknown } | null | undefined)?.retryable === true;
  }
}

export class BridgeCancelledError extends BridgeRpcError {
  constructor(method: string) {
    super(method, ErrorCodes.RequestCancelled, 'cancelled');
  }
}
