// Role 2: the editor host's JSON-RPC server (DESIGN.md surface 3, schemas/host.schema.json). The
// bridge connects to it for secrets, settings, workspace folders and tools. It listens on a Unix
// socket made 0600 inside a fresh 0700 directory, and every request must carry params.auth equal
// to a random token (compared in constant time) or it is answered -32001 Unauthorized.
//
// This module knows JSON-RPC and the host schema but not VS Code: a HostBackend does the work
// (vscodeHost.ts over VS Code's APIs; an in-memory one in the tests).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

import {
  METHODS,
  SchemaError,
  validate,
  type HostConfigChangedParams,
  type HostConfigScope,
  type HostRequests,
  type HostSettings,
  type HostTool,
  type HostToolsCallResult,
  type ProviderConfig,
} from '@openllm-bridge/client';

export const UNAUTHORIZED = -32001;

export interface HostBackend {
  readonly name: string;
  readonly version: string;
  getSecret(key: string): Promise<string | undefined>;
  storeSecret(key: string, value: string): Promise<void>;
  /** Whether there was a value to delete. */
  deleteSecret(key: string): Promise<boolean>;
  /** Providers at one scope; all of them for provider "*". */
  getConfig(provider: string, scope: HostConfigScope, workspacePath?: string): Promise<ProviderConfig[]>;
  /** Replace one provider's settings at a scope; null removes them. */
  setConfig(provider: string, scope: HostConfigScope, config: ProviderConfig | null, workspacePath?: string): Promise<void>;
  getSettings(): HostSettings;
  workspaceRoot(): string | null;
  workspaceFolders(): string[];
  listTools(includeInternal: boolean): Promise<HostTool[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<HostToolsCallResult>;
}

type Handlers = { [M in keyof HostRequests]: (params: HostRequests[M]['params']) => Promise<HostRequests[M]['result']> };

const hostMethods = METHODS.filter((m) => m.surface === 'host');

export class HostServer {
  readonly socket: string;
  readonly token: string;
  private readonly server: Server;
  private readonly dir: string;
  private readonly connections = new Set<MessageConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly backend: HostBackend;
  private readonly onError: (message: string) => void;

  private constructor(server: Server, dir: string, socket: string, token: string, backend: HostBackend, onError: (m: string) => void) {
    this.server = server;
    this.dir = dir;
    this.socket = socket;
    this.token = token;
    this.backend = backend;
    this.onError = onError;
    server.on('connection', (sock) => this.accept(sock));
  }

  /** Listen on a new private socket with a new token. */
  static async start(backend: HostBackend, onError: (message: string) => void = () => undefined): Promise<HostServer> {
    const dir = mkdtempSync(join(tmpdir(), 'openllm-host-'));
    const socket = join(dir, 'host.sock');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    chmodSync(socket, 0o600);
    return new HostServer(server, dir, socket, randomBytes(32).toString('hex'), backend, onError);
  }

  private authorized(auth: unknown): boolean {
    if (typeof auth !== 'string') return false;
    const given = Buffer.from(auth);
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private accept(sock: Socket): void {
    const connection = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
    const handlers = this.handlers();
    for (const spec of hostMethods) {
      if (spec.kind !== 'request') continue;
      const handler = handlers[spec.method as keyof HostRequests] as (params: unknown) => Promise<unknown>;
      connection.onRequest(spec.method, async (params: unknown) => {
        if (!this.authorized((params as { auth?: unknown } | null)?.auth)) throw new ResponseError(UNAUTHORIZED, 'Unauthorized');
        try {
          validate(spec.params, params);
        } catch (err) {
          if (err instanceof SchemaError) throw new ResponseError(-32602, err.message);
          throw err;
        }
        try {
          return await handler(params);
        } catch (err) {
          if (err instanceof ResponseError) throw err;
          this.onError(`${spec.method} failed: ${(err as Error).message}`);
          throw new ResponseError(-32603, (err as Error).message);
        }
      });
    }
    connection.onClose(() => this.connections.delete(connection));
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => connection.dispose());
    this.connections.add(connection);
    connection.listen();
  }

  private handlers(): Handlers {
    const b = this.backend;
    return {
      'lifecycle/ping': async () => ({ pong: true }),
      'lifecycle/capabilities': async () => ({
        name: b.name,
        version: b.version,
        methods: hostMethods.filter((m) => m.kind === 'request').map((m) => m.method),
      }),
      'secrets/get': async ({ key }) => ({ value: (await b.getSecret(key)) ?? null }),
      'secrets/store': async ({ key, value }) => {
        await b.storeSecret(key, value);
        return { stored: true };
      },
      'secrets/delete': async ({ key }) => ({ deleted: await b.deleteSecret(key) }),
      'config/get': async ({ provider, scope, workspacePath }) => ({
        providers: await b.getConfig(provider, scope, workspacePath),
      }),
      'config/set': async ({ provider, scope, config, workspacePath }) => {
        await b.setConfig(provider, scope, config, workspacePath);
        return { ok: true };
      },
      'config/getSettings': async () => b.getSettings(),
      'workspace/getRoot': async () => ({ root: b.workspaceRoot() }),
      'workspace/getPaths': async () => ({ folders: b.workspaceFolders() }),
      'tools/list': async ({ includeInternal }) => ({ tools: await b.listTools(includeInternal ?? false) }),
      'tools/call': async ({ name, arguments: args }) => b.callTool(name, args),
    };
  }

  /** How many bridges are connected now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Tell every connected bridge that provider settings (or the host's settings) changed. */
  configChanged(params: HostConfigChangedParams = {}): void {
    for (const c of this.connections) void c.sendNotification('notifications/configChanged', params);
  }

  /** Tell every connected bridge that the secret under `key` changed or was deleted. */
  secretChanged(key: string): void {
    for (const c of this.connections) void c.sendNotification('notifications/secretChanged', { key });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.dispose();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
