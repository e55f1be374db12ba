// A vscode-jsonrpc client, as a VS Code extension connects, driven by tests/test_rpc_peers.py.
// Prints one JSON line per step so the test can check what the real library saw.
const net = require('net');
const rpc = require('vscode-jsonrpc/node');

const say = (step, value) => process.stdout.write(JSON.stringify({step, ...value}) + '\n');

const sock = net.connect(process.argv[2]);
sock.on('connect', async () => {
  const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(sock), new rpc.StreamMessageWriter(sock));
  const source = new rpc.CancellationTokenSource();
  let chunks = 0;
  conn.onNotification('chat/chunk', () => {
    chunks += 1;
    if (chunks === 2) source.cancel();  // vscode-jsonrpc sends $/cancelRequest {id}
  });
  conn.listen();
  const fail = async (step, method, params) => {
    try {
      await conn.sendRequest(method, params);
      say(step, {ok: true});
    } catch (e) {
      say(step, {code: e.code, message: e.message, data: e.data});
    }
  };
  say('models', {ids: (await conn.sendRequest('models/list', {provider: 'mock'})).models.map((m) => m.id)});
  await fail('unknown', 'no/such', {});
  await fail('invalid', 'models/list', {});
  const slow = {provider: 'mock', model: 'slow', messages: [{role: 'user', content: 'a b c d e f g h i j k l m n o p'}]};
  try {
    await conn.sendRequest('chat/stream', slow, source.token);
    say('cancel', {ok: true});
  } catch (e) {
    say('cancel', {code: e.code, message: e.message, chunks});
  }
  const text = {provider: 'mock', model: 'echo', messages: [{role: 'user', content: 'héllo ☃ 𝄞'}]};
  say('echo', {result: await conn.sendRequest('chat/stream', text)});
  conn.dispose();
  sock.end();
});
