// The sidebar chat (role 4): pick an Open LLM model, send, watch the answer stream in.
// @ts-check
(function () {
  // @ts-ignore provided by the webview host
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('openllm-chat'));
  const select = document.createElement('select');
  select.id = 'chat-model';
  const log = document.createElement('div');
  log.className = 'chat-log';
  log.id = 'chat-log';
  const input = document.createElement('textarea');
  input.id = 'chat-input';
  input.rows = 3;
  input.placeholder = 'Ask the model… (Enter sends, Shift+Enter is a new line)';
  const send = document.createElement('button');
  send.id = 'chat-send';
  send.textContent = 'Send';
  const stop = document.createElement('button');
  stop.className = 'secondary';
  stop.textContent = 'Stop';
  stop.disabled = true;
  const clear = document.createElement('button');
  clear.className = 'secondary';
  clear.textContent = 'New chat';
  const row = document.createElement('div');
  row.className = 'row';
  row.append(send, stop, clear);
  root.append(select, log, input, row);
  /** @type {HTMLElement | null} */ let current = null;

  function add(kind, text) {
    const node = document.createElement('div');
    node.className = `msg ${kind}`;
    node.textContent = text;
    log.append(node);
    node.scrollIntoView({ block: 'end' });
    return node;
  }

  function submit() {
    const text = input.value.trim();
    if (!text || !select.value || current) return;
    add('user', text);
    current = add('assistant', '');
    current.dataset.state = 'streaming';
    input.value = '';
    send.disabled = true;
    stop.disabled = false;
    vscode.postMessage({ type: 'send', model: select.value, text });
  }

  function finish(state, note) {
    if (current) {
      current.dataset.state = state;
      if (note) current.append(Object.assign(document.createElement('div'), { className: 'figures', textContent: note }));
    }
    current = null;
    send.disabled = false;
    stop.disabled = true;
  }

  send.addEventListener('click', submit);
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  clear.addEventListener('click', () => { log.replaceChildren(); vscode.postMessage({ type: 'clear' }); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); } });

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'models') {
      const previous = select.value;
      select.replaceChildren(...m.models.map((x) => Object.assign(document.createElement('option'), { value: x.id, textContent: x.name })));
      if (m.models.some((x) => x.id === previous)) select.value = previous;
      if (!m.models.length) select.append(Object.assign(document.createElement('option'), { value: '', textContent: 'No models: configure a provider' }));
    } else if (m.type === 'delta' && current) {
      current.textContent += m.text;
    } else if (m.type === 'done') {
      finish('done', `${m.ms} ms`);
    } else if (m.type === 'error') {
      if (current) { current.classList.add('error'); current.textContent += m.text; }
      else add('assistant error', m.text);
      finish('error');
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
