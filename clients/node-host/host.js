#!/usr/bin/env node
// The reference editor host in Node, served with vscode-jsonrpc over a Unix socket the way a
// VS Code extension serves the bridge (the seed's RpcServer.ts role). Same API, state file,
// tools and test controls as clients/python-host/host.py; see clients/README.md.
//
//   node clients/node-host/host.js --socket PATH [--token T] [--folder DIR] [--control]
//
// vscode-jsonrpc frames with Content-Length only (no NDJSON), as VS Code does.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const rpc = require('vscode-jsonrpc/node');

const NAME = 'openllm-node-host';
const VERSION = '0.1.0';
const UNAUTHORIZED = -32001;
const SCOPES = ['user', 'workspace'];

const FAULTS = {
  garbage: Buffer.from('\x00\xffnot json-rpc '.repeat(80000), 'latin1'),
  badjson: Buffer.from('Content-Length: 12\r\n\r\nnot json {{{'),
  truncated: Buffer.from('Content-Length: 200\r\n\r\n{"jsonrpc":"2.0","id":'),
  huge: Buffer.concat([Buffer.from('Content-Length: 1073741824\r\n\r\n'), Buffer.alloc(1024 * 1024, 'x')]),
};

function schema(properties) {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(properties).map(([k, t]) => [k, { type: t }])),
    required: Object.keys(properties),
  };
}

const TOOLS = [
  { name: 'echo', description: 'Repeat the text given.', inputSchema: schema({ text: 'string' }) },
  { name: 'add', description: 'Add two numbers.', inputSchema: schema({ a: 'number', b: 'number' }) },
  { name: 'workspace_root', description: 'The open workspace folder.', inputSchema: schema({}) },
  { name: 'fail', description: 'Always fails with the message given.', inputSchema: schema({ message: 'string' }) },
  { name: 'sleep', description: 'Wait some seconds, then answer.', inputSchema: schema({ seconds: 'number' }) },
  { name: 'openllm_status', description: 'Bridge status panel (internal).', inputSchema: schema({}) },
  { name: 'reload_window', description: 'Reload the editor.', inputSchema: schema({}), _internal: true },
];

const isInternal = (tool) => tool._internal === true || tool.name.startsWith('openllm_');

class State {
  constructor(folder) {
    this.file = folder ? path.join(folder, 'host-state.json') : null;
    const data = this.file && fs.existsSync(this.file) ? JSON.parse(fs.readFileSync(this.file, 'utf8')) : {};
    this.secrets = { ...(data.secrets || {}) };
    this.config = Object.fromEntries(SCOPES.map((s) => [s, { ...((data.config || {})[s] || {}) }]));
    this.settings = { ...(data.settings || {}) };
    const folders = (data.workspace || {}).folders;
    this.folders = folders !== undefined ? [...folders] : folder ? [path.resolve(folder)] : [];
  }

  save() {
    if (!this.file) return;
    const data = { secrets: this.secrets, config: this.config, settings: this.settings, workspace: { folders: this.folders } };
    const tmp = this.file + '.tmp';
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  async runTool(name, args) {
    switch (name) {
      case 'echo': return String(args.text ?? '');
      case 'add': {
        const a = Number(args.a), b = Number(args.b);
        if (Number.isNaN(a) || Number.isNaN(b)) throw new TypeError(`bad arguments for add: ${JSON.stringify(args)}`);
        return String(a + b);
      }
      case 'workspace_root': return this.folders[0] ?? '(no folder open)';
      case 'fail': throw new Error(String(args.message ?? 'the tool failed'));
      case 'sleep': {
        const seconds = Number(args.seconds ?? 1);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        return `slept ${args.seconds ?? 1}s`;
      }
      case 'openllm_status': return 'ok';
      default: return 'reloaded';
    }
  }
}

function need(params, name, type) {
  if (typeof params[name] !== type) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, `${name} must be a ${type}`);
  return params[name];
}

function scopeOf(params) {
  const scope = need(params, 'scope', 'string');
  if (!SCOPES.includes(scope)) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, `scope must be user or workspace, not ${scope}`);
  return scope;
}

class Host {
  constructor(state, token, control) {
    this.state = state;
    this.token = token;
    this.control = control;
    this.connections = new Set();
    const s = state;
    this.methods = {
      'lifecycle/ping': async () => ({ pong: true }),
      'lifecycle/capabilities': async () => ({ name: NAME, version: VERSION, methods: Object.keys(this.methods).filter((m) => !m.startsWith('_')).sort() }),
      'secrets/get': async (p) => ({ value: s.secrets[need(p, 'key', 'string')] ?? null }),
      'secrets/store': async (p) => {
        const key = need(p, 'key', 'string');
        const value = need(p, 'value', 'string');
        if (!value) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, 'value must not be empty');
        s.secrets[key] = value;
        s.save();
        this.broadcast('notifications/secretChanged', { key });
        return { stored: true };
      },
      'secrets/delete': async (p) => {
        const key = need(p, 'key', 'string');
        const deleted = key in s.secrets;
        if (deleted) {
          delete s.secrets[key];
          s.save();
          this.broadcast('notifications/secretChanged', { key });
        }
        return { deleted };
      },
      'config/get': async (p) => {
        const provider = need(p, 'provider', 'string');
        const all = s.config[scopeOf(p)];
        return { providers: provider === '*' ? Object.values(all) : provider in all ? [all[provider]] : [] };
      },
      'config/set': async (p) => {
        const provider = need(p, 'provider', 'string');
        const scope = scopeOf(p);
        if (provider === '*' || !('config' in p)) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, 'config/set takes one provider and a config');
        if (p.config === null) delete s.config[scope][provider];
        else s.config[scope][provider] = { ...p.config, name: provider };
        s.save();
        this.broadcast('notifications/configChanged', { scope, provider });
        return { ok: true };
      },
      'config/getSettings': async () => s.settings,
      'workspace/getRoot': async () => ({ root: s.folders[0] ?? null }),
      'workspace/getPaths': async () => ({ folders: s.folders }),
      'tools/list': async (p) => ({ tools: TOOLS.filter((t) => p.includeInternal === true || !isInternal(t)) }),
      'tools/call': async (p) => {
        const name = need(p, 'name', 'string');
        if (!TOOLS.some((t) => t.name === name)) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, `unknown tool '${name}'`);
        try {
          return { content: [{ type: 'text', text: await s.runTool(name, p.arguments || {}) }] };
        } catch (error) {
          return { content: [{ type: 'text', text: String(error.message) }], isError: true };
        }
      },
    };
    if (control) {
      this.methods['_control/notify'] = async (p) => {
        const method = need(p, 'method', 'string');
        if (!method.startsWith('notifications/')) throw new rpc.ResponseError(rpc.ErrorCodes.InvalidParams, 'only notifications/* can be sent');
        return { sent: this.broadcast(method, p.params || {}) };
      };
    }
  }

  broadcast(method, params) {
    for (const c of this.connections) c.connection.sendNotification(method, params);
    return this.connections.size;
  }

  accept(socket) {
    const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(socket), new rpc.StreamMessageWriter(socket));
    const entry = { connection, socket };
    connection.onRequest(async (method, params) => {
      const p = params && typeof params === 'object' && !Array.isArray(params) ? { ...params } : {};
      const auth = p.auth;
      delete p.auth;
      if (typeof auth !== 'string' || auth !== this.token) throw new rpc.ResponseError(UNAUTHORIZED, 'Unauthorized');
      if (method === '_control/fault' && this.control) {
        socket.write(FAULTS[p.mode] || FAULTS.garbage, () => { if (p.mode === 'truncated') socket.end(); });
        return new Promise(() => {}); // never answered: the broken bytes are the answer
      }
      const handler = this.methods[method];
      if (!handler) throw new rpc.ResponseError(rpc.ErrorCodes.MethodNotFound, `Unhandled method ${method}`);
      return handler(p);
    });
    connection.onClose(() => this.connections.delete(entry));
    connection.onError(([error]) => process.stderr.write(`host: connection error: ${String(error).slice(0, 200)}\n`));
    socket.on('error', () => connection.dispose());
    socket.on('close', () => { this.connections.delete(entry); connection.dispose(); });
    this.connections.add(entry);
    connection.listen();
  }
}

function parseArgs(argv) {
  const args = { token: process.env.OPENLLM_HOST_TOKEN, control: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--control') args.control = true;
    else if (['--socket', '--token', '--folder'].includes(flag)) args[flag.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!args.socket) throw new Error('give --socket PATH');
  if (!args.token) throw new Error('give --token or set OPENLLM_HOST_TOKEN');
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const host = new Host(new State(args.folder), args.token, args.control);
  fs.rmSync(args.socket, { force: true });
  const server = net.createServer((socket) => host.accept(socket));
  const oldUmask = process.umask(0o177); // the socket file is born 0600
  server.listen(args.socket, () => {
    process.umask(oldUmask);
    fs.chmodSync(args.socket, 0o600);
    process.stdout.write(JSON.stringify({ socket: args.socket, pid: process.pid }) + '\n');
  });
  const stop = () => {
    server.close();
    fs.rmSync(args.socket, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
