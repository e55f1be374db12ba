// @openllm in VS Code's Chat view: answers with the model picked in the chat model picker (any
// Open LLM model, or another vendor's), streaming. VS Code's own chat agent needs a Copilot
// sign-in; this participant lets the Chat view work with the bridge's models without one. Tools
// from vscode.lm.tools are offered to the model and run through vscode.lm.invokeTool, in a loop.
import * as vscode from 'vscode';

import { VENDOR } from './lmProvider.ts';

const MAX_TOOL_ROUNDS = 5;

async function pickModel(request: vscode.ChatRequest): Promise<vscode.LanguageModelChat | undefined> {
  if (request.model.vendor === VENDOR) return request.model;
  const [first] = await vscode.lm.selectChatModels({ vendor: VENDOR });
  return first ?? request.model;
}

function history(context: vscode.ChatContext): vscode.LanguageModelChatMessage[] {
  const out: vscode.LanguageModelChatMessage[] = [];
  for (const turn of context.history) {
    if (turn instanceof vscode.ChatRequestTurn) out.push(vscode.LanguageModelChatMessage.User(turn.prompt));
    else if (turn instanceof vscode.ChatResponseTurn) {
      const text = turn.response
        .map((part) => (part instanceof vscode.ChatResponseMarkdownPart ? part.value.value : ''))
        .join('');
      if (text) out.push(vscode.LanguageModelChatMessage.Assistant(text));
    }
  }
  return out;
}

export function registerParticipant(): vscode.Disposable {
  const participant = vscode.chat.createChatParticipant('openllm.chat', async (request, context, stream, token) => {
    const model = await pickModel(request);
    if (!model) {
      stream.markdown('No Open LLM model is available. Run **Open LLM: Configure Providers and Keys** to enable a provider.');
      return {};
    }
    const tools = request.toolReferences.length > 0 ? vscode.lm.tools.filter((t) => request.toolReferences.some((r) => r.name === t.name)) : [];
    const messages = [...history(context), vscode.LanguageModelChatMessage.User(request.prompt)];
    for (let round = 0; round <= MAX_TOOL_ROUNDS; round++) {
      const last = round === MAX_TOOL_ROUNDS; // no tools: its calls could not be answered
      const response = await model.sendRequest(messages, tools.length && !last ? { tools } : {}, token);
      const calls: vscode.LanguageModelToolCallPart[] = [];
      let text = '';
      for await (const part of response.stream) {
        if (part instanceof vscode.LanguageModelTextPart) {
          text += part.value;
          stream.markdown(part.value);
        } else if (part instanceof vscode.LanguageModelToolCallPart) {
          calls.push(part);
        }
      }
      if (calls.length === 0) break;
      if (last) {
        stream.markdown(`\n\n*Stopped after ${MAX_TOOL_ROUNDS} rounds of tool calls; ask again to go on.*`);
        break;
      }
      messages.push(vscode.LanguageModelChatMessage.Assistant([new vscode.LanguageModelTextPart(text), ...calls]));
      const results: vscode.LanguageModelToolResultPart[] = [];
      for (const call of calls) {
        stream.progress(`Running ${call.name}…`);
        try {
          const result = await vscode.lm.invokeTool(call.name, { input: call.input, toolInvocationToken: request.toolInvocationToken }, token);
          results.push(new vscode.LanguageModelToolResultPart(call.callId, result.content));
        } catch (err) {
          if (token.isCancellationRequested) throw err;
          // The model reads the failure and carries on, as VS Code's guidance asks, not the whole reply lost.
          const failure = new vscode.LanguageModelTextPart(`The tool ${call.name} failed: ${(err as Error).message}`);
          results.push(new vscode.LanguageModelToolResultPart(call.callId, [failure]));
        }
      }
      messages.push(vscode.LanguageModelChatMessage.User(results));
    }
    return { metadata: { model: model.id } };
  });
  participant.iconPath = new vscode.ThemeIcon('hubot');
  return participant;
}
