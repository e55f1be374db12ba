// The end-to-end probe: an ordinary extension reaching the Open LLM models through vscode.lm,
// as the issue asks: a streamed answer, a tool call round trip through vscode.lm.tools, and the
// bridge's answer to secrets/resolve (through the Open LLM extension's exported API). It writes
// what it saw to <workspace>/.e2e/probe.json for the test to read.
const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');

async function collect(response) {
  const parts = [];
  for await (const part of response.stream) {
    if (part instanceof vscode.LanguageModelTextPart) parts.push({ text: part.value });
    else if (part instanceof vscode.LanguageModelToolCallPart) parts.push({ call: { id: part.callId, name: part.name, input: part.input }, part });
  }
  return parts;
}

async function probe() {
  const out = {};
  const step = async (name, run) => {
    try {
      out[name] = await run();
    } catch (err) {
      out[name] = { error: String(err && err.stack ? err.stack : err) };
    }
  };
  let models = [];
  await step('models', async () => {
    models = await vscode.lm.selectChatModels({ vendor: 'open-llm' });
    return models.map((m) => ({ id: m.id, vendor: m.vendor, name: m.name, family: m.family, maxInputTokens: m.maxInputTokens }));
  });
  await step('stream', async () => {
    const echo = models.find((m) => m.id === 'mock/echo');
    const response = await echo.sendRequest([vscode.LanguageModelChatMessage.User('stream this answer please')], {});
    const fragments = [];
    for await (const text of response.text) fragments.push(text);
    return { fragments, text: fragments.join('') };
  });
  await step('fake', async () => {
    const model = models.find((m) => m.id === 'openai/fake-gpt');
    const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Say hello')], {});
    let text = '';
    for await (const fragment of response.text) text += fragment;
    return { text };
  });
  await step('tools', async () => {
    const model = models.find((m) => m.id === 'mock/tools');
    const tool = vscode.lm.tools.find((t) => t.name === 'e2e_add');
    const question = vscode.LanguageModelChatMessage.User('What is 1 + 1?');
    const first = await collect(await model.sendRequest([question], { tools: [tool] }));
    const call = first.find((p) => p.call);
    const result = await vscode.lm.invokeTool(call.call.name, { input: call.call.input, toolInvocationToken: undefined });
    const second = await collect(
      await model.sendRequest(
        [question, vscode.LanguageModelChatMessage.Assistant([call.part]), vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart(call.call.id, result.content)])],
        { tools: [tool] },
      ),
    );
    return {
      call: call.call,
      toolResult: result.content.map((c) => c.value).join(''),
      answer: second.filter((p) => p.text !== undefined).map((p) => p.text).join(''),
    };
  });
  await step('error', async () => {
    // The mock's error model fails with the code it is given; the user should read what to do.
    const model = models.find((m) => m.id === 'mock/error');
    try {
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('missing_key')], {});
      for await (const _ of response.text);
      return { thrown: false };
    } catch (err) {
      return { thrown: true, message: String(err && err.message ? err.message : err) };
    }
  });
  await step('tokens', async () => {
    const model = models.find((m) => m.id === 'mock/echo');
    return { text: await model.countTokens('count these words for me'), message: await model.countTokens(vscode.LanguageModelChatMessage.User('twelve chars')) };
  });
  await step('resolve', async () => {
    const api = vscode.extensions.getExtension('openllm-bridge.openllm-bridge-vscode').exports;
    const client = await api.bridge.ready();
    return client.secrets.resolve('openai');
  });
  await step('restart', async () => {
    // Kill the bridge: the extension starts a new one (with backoff) and the models come back.
    const api = vscode.extensions.getExtension('openllm-bridge.openllm-bridge-vscode').exports;
    const before = (await api.bridge.ready()).process.pid;
    const restarted = new Promise((resolve) => {
      const sub = api.bridge.onDidChange((client) => {
        if (client) {
          sub.dispose();
          resolve(client);
        }
      });
    });
    const killedAt = Date.now();
    process.kill(before, 'SIGKILL');
    const client = await restarted;
    const after = client.process.pid;
    const { models } = await client.models('mock');
    return { before, after, ms: Date.now() - killedAt, models: models.length, hostConnections: api.host.connections() };
  });
  const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
  fs.mkdirSync(path.join(folder, '.e2e'), { recursive: true });
  fs.writeFileSync(path.join(folder, '.e2e', 'probe.json'), JSON.stringify(out, null, 2));
  void vscode.window.showInformationMessage('Open LLM E2E probe finished');
}

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.lm.registerTool('e2e_add', {
      invoke: async (options) => new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(String(options.input.a + options.input.b))]),
    }),
    vscode.commands.registerCommand('openllmE2E.probe', probe),
  );
};
exports.deactivate = () => {};
