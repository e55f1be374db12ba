// The playground (role 4): one prompt to several models at once, answers side by side as they
// stream, each with time to first token, total time and token usage.
// @ts-check
(function () {
  // @ts-ignore provided by the webview host
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('openllm-playground'));
  root.innerHTML = `
    <h1>Open LLM playground</h1>
    <p class="muted">Send one prompt to several models and compare the answers.</p>
    <div id="models" class="models"></div>
    <div class="row"><input type="text" id="system" placeholder="System prompt (optional)" size="60"></div>
    <textarea id="prompt" rows="4" placeholder="Prompt"></textarea>
    <div class="row"><button id="run">Run</button><button id="stop" class="secondary" disabled>Stop</button><span id="summary" class="muted"></span></div>
    <div id="columns" class="columns"></div>`;
  const byId = (id) => /** @type {any} */ (document.getElementById(id));
  /** @type {Map<string, {answer: HTMLElement, figures: HTMLElement, column: HTMLElement}>} */
  const columns = new Map();

  byId('run').addEventListener('click', () => {
    const models = [...root.querySelectorAll('#models input:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
    const prompt = byId('prompt').value.trim();
    if (!prompt || !models.length) return;
    columns.clear();
    byId('columns').replaceChildren(...models.map((id) => {
      const column = document.createElement('section');
      column.className = 'column';
      column.dataset.model = id;
      column.dataset.state = 'streaming';
      const title = document.createElement('h3');
      title.textContent = id;
      const figures = document.createElement('div');
      figures.className = 'figures';
      figures.textContent = 'waiting…';
      const answer = document.createElement('div');
      answer.className = 'answer';
      column.append(title, figures, answer);
      columns.set(id, { answer, figures, column });
      return column;
    }));
    byId('run').disabled = true;
    byId('stop').disabled = false;
    byId('summary').textContent = '';
    vscode.postMessage({ type: 'run', prompt, system: byId('system').value.trim(), models });
  });
  byId('stop').addEventListener('click', () => vscode.postMessage({ type: 'stop' }));

  window.addEventListener('message', (event) => {
    const m = event.data;
    const col = m.model ? columns.get(m.model) : undefined;
    if (m.type === 'models') {
      // A refreshed list keeps the models the user ticked; the first list ticks the first two.
      const boxes = [...root.querySelectorAll('#models input')].map((i) => /** @type {HTMLInputElement} */ (i));
      const ticked = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
      byId('models').replaceChildren(...m.models.map((x, i) => {
        const label = document.createElement('label');
        const checked = boxes.length ? ticked.has(x.id) : i < 2;
        const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: x.id, checked });
        label.append(box, ` ${x.name} (${x.provider})`);
        return label;
      }));
    } else if (m.type === 'delta' && col) {
      col.answer.textContent += m.text;
    } else if (m.type === 'done' && col) {
      const usage = m.usage ? `${m.usage.input_tokens} in / ${m.usage.output_tokens} out tokens` : 'no usage reported';
      col.figures.textContent = `first token ${m.firstMs ?? '–'} ms · total ${m.totalMs} ms · ${usage} · ${m.finish}`;
      col.column.dataset.state = 'done';
    } else if (m.type === 'failed' && col) {
      col.figures.textContent = m.text;
      col.column.dataset.state = 'error';
    } else if (m.type === 'finished' || m.type === 'error') {
      byId('run').disabled = false;
      byId('stop').disabled = true;
      byId('summary').textContent = m.type === 'error' ? m.text : `${columns.size} models answered`;
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
