// The configuration page (role 1). State comes from the extension as one message; every action
// goes back as a message and the extension answers with fresh state. Keys typed here are sent once
// and never shown again: the page only ever gets where a key is and its masked form.
// @ts-check
(function () {
  // @ts-ignore acquireVsCodeApi is provided by the webview host
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('openllm-config'));
  /** @type {any} */ let state = null;
  /** @type {Record<string, string[]>} */ const discovered = {};
  let notice = { text: '', error: false };
  /** What the user typed or ticked and the state does not hold yet, by data-draft name: a render
   * (new state arrives whenever the bridge, the settings or a save change) must not wipe it. A
   * draft ends when a state shows the same value (the save went through); a failed save keeps it. */
  /** @type {Map<string, string | boolean>} */ const drafts = new Map();

  /** @param {string} tag @param {Record<string, any>} [attrs] @param {(Node|string)[]} [children] */
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'onclick' || k === 'onchange') node.addEventListener(k.slice(2), v);
      else if (v === true) node.setAttribute(k, '');
      else if (v !== false && v !== undefined && v !== null) node.setAttribute(k, String(v));
    }
    for (const c of children) node.append(c);
    return node;
  }

  function keyText(key) {
    if (!key || !key.found) return 'not set';
    const also = key.also_in && key.also_in.length ? ` (also in ${key.also_in.join(', ')})` : '';
    return `${key.masked ?? ''} from ${key.detail ?? key.source}${also}`;
  }

  function setting(key, options) {
    const value = state.settings[key];
    if (options === 'bool') {
      return el('label', {}, [
        el('input', { type: 'checkbox', id: `setting-${key}`, checked: !!value, onchange: (e) => vscode.postMessage({ type: 'setting', key, value: e.target.checked }) }),
        ` ${key}`,
      ]);
    }
    const select = el('select', { id: `setting-${key}`, onchange: (e) => vscode.postMessage({ type: 'setting', key, value: e.target.value }) },
      options.map((o) => el('option', { value: o, selected: o === value }, [o])));
    return el('label', {}, [`${key} `, select]);
  }

  function providerCard(p) {
    const conf = p.config || {};
    const id = p.id;
    const status = p.status;
    const badge = status && status.available ? el('span', { class: 'badge ok' }, ['available']) : el('span', { class: 'badge' }, [status ? status.reason || 'unavailable' : '']);
    const card = el('section', { class: 'card', id: `provider-${id}` }, [el('h3', {}, [p.display_name, badge])]);
    if (p.needs_key) {
      const input = el('input', { type: 'password', id: `key-${id}`, 'data-draft': `key:${id}`, placeholder: p.env_vars.join(' or ') || 'API key', autocomplete: 'off' });
      card.append(
        el('div', { class: 'row' }, [el('label', {}, ['Key']), el('span', { id: `key-status-${id}`, 'data-source': p.key && p.key.found ? p.key.source : '' }, [keyText(p.key)])]),
        el('div', { class: 'row' }, [
          input,
          el('button', { id: `save-key-${id}`, onclick: () => { if (input.value) vscode.postMessage({ type: 'saveKey', provider: id, value: input.value }); input.value = ''; drafts.delete(`key:${id}`); } }, ['Save key']),
          el('button', { class: 'secondary', id: `delete-key-${id}`, disabled: !(p.key && p.key.found), onclick: () => vscode.postMessage({ type: 'deleteKey', provider: id }) }, ['Remove']),
        ]),
      );
    }
    const enabled = el('input', { type: 'checkbox', id: `enabled-${id}`, 'data-draft': `provider:${id}:enabled`, checked: conf.enabled === true });
    const base = el('input', { type: 'text', id: `base-${id}`, 'data-draft': `provider:${id}:base`, value: conf.api_base || '', placeholder: p.default_api_base || 'base URL', size: 30 });
    const chosen = new Set(conf.models || []);
    const names = [...new Set([...(conf.models || []), ...(discovered[id] || [])])];
    const models = el('div', { class: 'models', id: `models-${id}` },
      names.length ? names.map((m) => el('label', {}, [el('input', { type: 'checkbox', value: m, 'data-draft': `provider:${id}:model:${m}`, checked: chosen.has(m) }), ` ${m}`])) : [el('span', { class: 'muted' }, ['all the provider lists'])]);
    card.append(
      el('div', { class: 'row' }, [el('label', {}, ['Enabled']), enabled]),
      el('div', { class: 'row' }, [el('label', {}, ['Base URL']), base]),
      el('div', { class: 'row' }, [el('label', {}, ['Models']), models]),
      el('div', { class: 'row' }, [
        el('button', { class: 'secondary', id: `discover-${id}`, disabled: !p.model_discovery, onclick: () => vscode.postMessage({ type: 'discover', provider: id }) }, ['Discover models']),
        el('button', {
          id: `save-provider-${id}`,
          onclick: () => vscode.postMessage({
            type: 'saveProvider', provider: id, enabled: enabled.checked, api_base: base.value.trim(),
            models: [...models.querySelectorAll('input:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value),
          }),
        }, ['Save']),
      ]),
      el('div', { class: 'muted' }, [`Settings from ${conf.source ? `${conf.source}${conf.source_detail ? ` (${conf.source_detail})` : ''}` : 'defaults'}`]),
    );
    return card;
  }

  function statusTable() {
    const rows = state.providers.map((p) => el('tr', { id: `status-${p.id}` }, [
      el('td', {}, [p.display_name]),
      el('td', { class: 'key-source' }, [p.needs_key ? (p.key && p.key.found ? p.key.source : '—') : 'not needed']),
      el('td', {}, [p.needs_key && p.key && p.key.found ? `${p.key.detail ?? ''} ${p.key.masked ?? ''}` : '']),
      el('td', { class: 'config-source' }, [p.config ? p.config.source || 'default' : 'default']),
      el('td', {}, [p.config && p.config.source_detail ? p.config.source_detail : '']),
      el('td', {}, [p.status ? (p.status.available ? 'yes' : p.status.reason || 'no') : '']),
    ]));
    return el('table', { id: 'status-table' }, [
      el('thead', {}, [el('tr', {}, ['Provider', 'Key from', 'Where', 'Settings from', 'File', 'Usable'].map((h) => el('th', {}, [h])))]),
      el('tbody', {}, rows),
    ]);
  }

  function render() {
    const focused = /** @type {HTMLInputElement | null} */ (document.activeElement instanceof HTMLInputElement ? document.activeElement : null);
    const refocus = focused && focused.dataset.draft;
    const selection = focused && focused.type !== 'checkbox' ? [focused.selectionStart, focused.selectionEnd] : null;
    root.replaceChildren();
    buildPage();
    for (const node of /** @type {NodeListOf<HTMLInputElement>} */ (root.querySelectorAll('input[data-draft]'))) {
      const name = /** @type {string} */ (node.dataset.draft);
      const value = drafts.get(name);
      const shown = typeof value === 'boolean' ? node.checked : node.value;
      // a saved base URL comes back trimmed, as the save sent it: that too ends its draft
      if (value === shown || (node.type === 'text' && typeof value === 'string' && value.trim() === shown)) drafts.delete(name);
      else if (typeof value === 'boolean') node.checked = value;
      else if (value !== undefined) node.value = value;
      if (name !== refocus) continue;
      node.focus();
      if (selection) node.setSelectionRange(selection[0], selection[1]);
    }
  }

  function buildPage() {
    root.append(el('h1', {}, ['Open LLM: providers and keys']));
    if (notice.text) root.append(el('div', { class: notice.error ? 'notice error' : 'notice', id: 'notice' }, [notice.text]));
    if (!state) return;
    const host = state.bridge.host.connected ? 'connected to VS Code' : 'not connected to VS Code';
    root.append(el('p', { class: 'muted', id: 'bridge-info' }, [`Bridge ${state.bridge.version} (pid ${state.bridge.pid}), ${host}.`]));
    root.append(
      el('h2', {}, ['Status: where every key and setting comes from']),
      statusTable(),
      el('h2', {}, ['Where keys and settings live']),
      el('div', { class: 'row' }, [setting('secrets.primaryStore', ['vscode', 'keychain']), setting('secrets.checkEnvironment', 'bool'), setting('secrets.checkDotEnv', 'bool')]),
      el('div', { class: 'row' }, [
        setting('config.source', ['vscode', 'native']),
        setting('config.nativeLevel', ['user', 'workspace', 'both']),
        el('button', { class: 'secondary', onclick: () => vscode.postMessage({ type: 'command', command: 'openLLM.exportConfig' }) }, ['Export to YAML…']),
        el('button', { class: 'secondary', onclick: () => vscode.postMessage({ type: 'command', command: 'openLLM.importConfig' }) }, ['Import from YAML…']),
      ]),
      el('h2', {}, ['Providers']),
      el('div', { class: 'providers' }, state.providers.map(providerCard)),
    );
  }

  for (const kind of ['input', 'change']) {
    root.addEventListener(kind, (event) => {
      const node = /** @type {HTMLInputElement} */ (event.target);
      if (node.dataset && node.dataset.draft) drafts.set(node.dataset.draft, node.type === 'checkbox' ? node.checked : node.value);
    });
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'state') state = m.state;
    else if (m.type === 'notice') notice = { text: m.text, error: false };
    else if (m.type === 'error') notice = { text: m.text, error: true };
    else if (m.type === 'models') discovered[m.provider] = m.models;
    render();
  });
  render();
  vscode.postMessage({ type: 'ready' });
})();
