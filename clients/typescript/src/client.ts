// The bridge API (DESIGN.md surface 1) over vscode-jsonrpc on a Unix socket: every method typed
// from schemas/, params and results checked against the same schemas as the Python side, chat as
// an AsyncIterable, cancellation through a CancellationToken (vscode-jsonrpc sends $/cancelRequest).
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';

import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type Message,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

import { ChatStream } from './chatStream.ts';
import { BridgeCancelledError, BridgeClosedError, BridgeRpcError, BridgeTooLargeError, ErrorCodes } from './errors.ts';
import {
  METHODS,
  type BridgeNotifications,
  type BridgeRequests,
  type ChatChunkParams,
  type ChatStreamParams,
  type ToolApproveParams,
  type ToolApproveResult,
} from './generated/index.ts';
import { spawnBridge, type SpawnedBridge, type SpawnOptions } from './spawn.ts';
import { validate } from './validate.ts';

export type BridgeMethod = keyof BridgeRequests;
export type ParamsOf<M extends BridgeMethod> = BridgeRequests[M]['params'];
export type ResultOf<M extends BridgeMethod> = BridgeRequests[M]['result'];

export interface ConnectOptions {
  /** Check params before sending and results on arrival against schemas/ (default true). */
  validate?: boolean;
  /** The token of a bridge started with one: sent first, as bridge/authenticate. */
  token?: string;
  /** The bridge's message limit (its --max-frame-bytes, default 16 MiB): a larger request is refused here. */
  maxMessageBytes?: number;
}

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const ENVELOPE_BYTES = 128; // jsonrpc, id and method around the params, with room to spare

/** Remembers the id vscode-jsonrpc gives each outgoing request, so chat/chunk can be routed to it. */
class RecordingWriter extends StreamMessageWriter {
  lastRequestId: number | string | null = null;

  override write(msg: Message): Promise<void> {
    const id = (msg as { id?: number | string; method?: string }).id;
    if (id !== undefined && 'method' in msg) this.lastRequestId = id;
    return super.write(msg);
  }
}

const schemaTypes = new Map<string, { params: string; result: string | null }>(
  METHODS.filter((m) => m.surface === 'bridge' && m.direction === 'to_server').map((m) => [m.method, { params: m.params, result: m.result }]),
);

export class BridgeClient {
  readonly connection: MessageConnection;
  private readonly socket: Socket;
  private readonly writer: RecordingWriter;
  private readonly streams = new Map<number | string, ChatStream>();
  private readonly validating: boolean;
  private readonly maxMessageBytes: number;
  private spawned: SpawnedBridge | null = null;
  private closed = false;

  private constructor(socket: Socket, options: ConnectOptions) {
    this.socket = socket;
    this.validating = options.validate ?? true;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.writer = new RecordingWriter(socket);
    this.connection = createMessageConnection(new StreamMessageReader(socket), this.writer);
    this.connection.onNotification('chat/chunk', (params: ChatChunkParams) => {
      if (this.validating) validate('ChatChunkParams', params);
      this.streams.get(params.request_id)?.push(params.chunk);
    });
    this.connection.onClose(() => {
      // vscode-jsonrpc settles pending requests only on dispose: without it a chat in flight when
      // the bridge went away would wait forever. They reject with BridgeClosedError (send).
      this.closed = true;
      this.connection.dispose();
    });
    this.connection.listen();
  }

  /** Connect to a bridge already serving on `socketPath`. */
  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<BridgeClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
    const client = new BridgeClient(socket, options);
    if (options.token !== undefined) {
      try {
        await client.request('bridge/authenticate', { token: options.token });
      } catch (err) {
        await client.close();
        throw err;
      }
    }
    return client;
  }

  /**
   * Start `openllm-bridge serve` and connect to it; `close()` stops it again. Unless a token is
   * given, a random one is made, so only this client can use the bridge.
   */
  static async spawn(options: SpawnOptions & ConnectOptions = {}): Promise<BridgeClient> {
    options = { ...options, token: options.token ?? randomBytes(24).toString('hex') };
    const bridge = await spawnBridge(options);
    try {
      const client = await BridgeClient.connect(bridge.socket, options);
      client.spawned = bridge;
      return client;
    } catch (err) {
      await bridge.stop();
      throw err;
    }
  }

  /** The bridge process when this client started it. */
  get process(): SpawnedBridge | null {
    return this.spawned;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Fires when the connection ends (the bridge exited or `close()` was called). */
  onClose(listener: () => void): void {
    this.connection.onClose(listener);
  }

  /** Handle a notification the bridge sends, e.g. `secrets/changed` and `config/changed` after a write. */
  onNotification<M extends keyof BridgeNotifications>(method: M, handler: (params: BridgeNotifications[M]) => void): void {
    const type = METHODS.find((m) => m.surface === 'bridge' && m.method === method)?.params;
    this.connection.onNotification(method, (params: BridgeNotifications[M]) => {
      if (this.validating && type) validate(type, params);
      handler(params);
    });
  }

  /**
   * Answer the bridge's `tools/approve` requests (a chat/stream with run_tools and approve_tools asks
   * before each tool call runs). Without a handler every call is refused.
   */
  onToolApproval(handler: (params: ToolApproveParams) => ToolApproveResult | Promise<ToolApproveResult>): void {
    this.connection.onRequest('tools/approve', async (params: ToolApproveParams) => {
      if (this.validating) validate('ToolApproveParams', params);
      const answer = await handler(params);
      if (this.validating) validate('ToolApproveResult', answer);
      return answer;
    });
  }

  /** Send one typed request; the answer is checked against its schema. */
  async request<M extends BridgeMethod>(method: M, params: ParamsOf<M>, token?: CancellationToken): Promise<ResultOf<M>> {
    return this.send(method, params, token).promise;
  }

  private send<M extends BridgeMethod>(
    method: M,
    params: ParamsOf<M>,
    token?: CancellationToken,
  ): { id: number | string; promise: Promise<ResultOf<M>> } {
    if (this.closed) throw new BridgeClosedError(method, false);
    const types = schemaTypes.get(method);
    if (this.validating && types) validate(types.params, params);
    const bytes = Buffer.byteLength(JSON.stringify(params)) + Buffer.byteLength(method) + ENVELOPE_BYTES;
    if (bytes > this.maxMessageBytes) throw new BridgeTooLargeError(method, bytes, this.maxMessageBytes);
    const sent = token ? this.connection.sendRequest(method, params, token) : this.connection.sendRequest(method, params);
    const id = this.writer.lastRequestId!;
    const promise = (sent as Promise<ResultOf<M>>).then(
      (result) => {
        if (this.validating && types?.result) validate(types.result, result);
        return result;
      },
      (err: unknown) => {
        throw this.closed && !token?.isCancellationRequested ? new BridgeClosedError(method, true) : toBridgeError(method, err, token);
      },
    );
    return { id, promise };
  }

  /**
   * Stream a chat: iterate the chunks as they arrive, then read `result`. Cancelling `token`, or
   * leaving the loop early, sends $/cancelRequest; the bridge closes the upstream request and the
   * stream ends.
   */
  chat(params: ChatStreamParams, token?: CancellationToken): ChatStream {
    // Our own source, so that a loop left early cancels the request as the caller's token would.
    const source = new CancellationTokenSource();
    const linked = token?.onCancellationRequested(() => source.cancel());
    if (token?.isCancellationRequested) source.cancel(); // an already cancelled token fires no event
    let sent: { id: number | string; promise: Promise<ResultOf<'chat/stream'>> };
    try {
      sent = this.send('chat/stream', params, source.token);
    } catch (err) {
      linked?.dispose(); // refused before sending (closed, too large): nothing to listen for
      source.dispose();
      throw err;
    }
    const { id, promise } = sent;
    const flow = { pause: () => this.socket.pause(), resume: () => this.socket.resume() };
    const stream = new ChatStream(promise, flow, () => source.cancel());
    this.streams.set(id, stream);
    const forget = (): void => {
      this.streams.delete(id);
      linked?.dispose();
      source.dispose();
    };
    promise.then(forget, forget);
    return stream;
  }

  providers(): Promise<ResultOf<'providers/list'>> {
    return this.request('providers/list', {});
  }

  models(provider: string, token?: CancellationToken): Promise<ResultOf<'models/list'>> {
    return this.request('models/list', { provider }, token);
  }

  /** Version, host connection and which providers can be used now. */
  status(): Promise<ResultOf<'bridge/status'>> {
    return this.request('bridge/status', {});
  }

  /** The tools a model may be offered (the editor host's user tools). */
  tools(): Promise<ResultOf<'tools/list'>> {
    return this.request('tools/list', {});
  }

  /** Where keys are and go: `resolve` answers found and source (the value only with reveal). */
  readonly secrets = {
    resolve: (provider: string, reveal = false) => this.request('secrets/resolve', reveal ? { provider, reveal } : { provider }),
    list: () => this.request('secrets/list', {}),
    store: (params: ParamsOf<'secrets/store'>) => this.request('secrets/store', params),
    delete: (provider: string) => this.request('secrets/delete', { provider }),
  };

  /** The merged provider configuration (with the source of each), and writes to one layer. */
  readonly config = {
    providers: () => this.request('config/providers', {}),
    setProvider: (params: ParamsOf<'config/setProvider'>) => this.request('config/setProvider', params),
    removeProvider: (params: ParamsOf<'config/removeProvider'>) => this.request('config/removeProvider', params),
    export: (params: ParamsOf<'config/export'> = {}) => this.request('config/export', params),
    import: (params: ParamsOf<'config/import'>) => this.request('config/import', params),
  };

  /** Close the connection, and stop the bridge if this client started it. */
  async close(): Promise<void> {
    this.closed = true;
    this.connection.dispose();
    this.socket.destroy();
    await this.spawned?.stop();
  }
}

function toBridgeError(method: string, err: unknown, token?: CancellationToken): unknown {
  if (err instanceof ResponseError) {
    if (err.code === ErrorCodes.RequestCancelled || token?.isCancellationRequested) return new BridgeCancelledError(method);
    return new BridgeRpcError(method, err.code, err.message, err.data);
  }
  return err;
}

export { CancellationTokenSource };
export type { CancellationToken };
