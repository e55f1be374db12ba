// End to end in a real VS Code: code-server 4.139.1 (VS Code 1.139) in headless Chromium, driven
// with puppeteer-core. tests/test_vscode_e2e.py runs this script once and checks the report.
//
//   1. config    store a key in the configuration webview (the page re-rendered halfway through the
//                typing keeps it); its status then says it comes from the host
//   2. chat      pick an Open LLM model in the Chat view's model picker, send "@openllm …", and see
//                the reply stream in (a partial answer is seen before the whole one)
//   3. probe     a second extension uses vscode.lm: a streamed answer, a tool call round trip
//                through vscode.lm.tools, and secrets/resolve answering source "host"
//   4. playground  one prompt to two models side by side, with timings and usage
//   5. sidebar   the Open LLM view's own chat answers with a picked model
//
// Input (environment): E2E_BRIDGE (the openllm-bridge command), E2E_SETTINGS (VS Code user
// settings as JSON), E2E_KEY (the key to store), E2E_ARTIFACTS (screenshots go there),
// E2E_REPORT (the JSON report is written there), E2E_CHAT_MODEL and E2E_CHAT_REPLY (the model to
// pick and the reply to expect), E2E_PLAYGROUND_MODELS. Exit status 0 when every step passed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const CODE_SERVER = join(HERE, 'node_modules', '.bin', 'code-server');
const VSCE = join(REPO, 'clients', 'vscode', 'node_modules', '.bin', 'vsce');
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const artifacts = env('E2E_ARTIFACTS');
// VS Code without Copilot has only the Agent chat mode, whose picker lists models that call tools.
const CHAT_MODEL = process.env.E2E_CHAT_MODEL ?? 'Mock tools';
const CHAT_REPLY = process.env.E2E_CHAT_REPLY ?? 'You said: hello from the end to end test';
const report = { steps: {}, timings: {} };
const t0 = Date.now();
const mark = (name) => (report.timings[name] = Date.now() - t0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a truthy value or the deadline passes. */
async function until(what, check, timeoutMs = 30_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function packageExtensions(work) {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: join(REPO, 'clients', 'vscode'), stdio: 'inherit' });
  const main = join(work, 'openllm-bridge.vsix');
  const probe = join(work, 'probe.vsix');
  const vsce = (cwd, out) =>
    execFileSync(VSCE, ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '-o', out], { cwd, stdio: 'pipe' });
  vsce(join(REPO, 'clients', 'vscode'), main);
  vsce(join(HERE, 'probe'), probe);
  return [main, probe];
}

async function commandPalette(page, title) {
  // Retried as a whole: right after the workbench appears, F1 may reach it before its keybindings do.
  await until(`the command "${title}" in the palette`, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = await page.waitForSelector('.quick-input-widget input', { visible: true, timeout: 3000 });
    await input.click({ clickCount: 3 });
    await input.type(`>${title}`);
    await page.waitForFunction(
      (t) => [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => r.textContent.includes(t)),
      { timeout: 3000 },
      title,
    );
    return true;
  }, 60_000, 500);
  await page.keyboard.press('Enter');
}

/** The frame of the webview whose page has an element with this id. */
async function webviewFrame(page, id, timeoutMs = 90_000) {
  return until(`the webview with #${id}`, async () => {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(`#${id}`)) return frame;
      } catch {
        // a frame that went away while we looked
      }
    }
    return null;
  }, timeoutMs);
}

/** The first webview opened right after the workbench starts sometimes never loads its content
 * in code-server (seen about once in five full-suite runs; later webviews always load). Give it
 * 30 s, then ask VS Code to reload its webviews once and wait the rest of the same 90 s. */
async function firstWebviewFrame(page, id) {
  try {
    return await webviewFrame(page, id, 30_000);
  } catch {
    report.notes = [...(report.notes ?? []), `#${id} did not load in 30 s; reloaded the webviews`];
    await commandPalette(page, 'Developer: Reload Webviews');
    return webviewFrame(page, id, 60_000);
  }
}

/** The configuration page is built anew on every state it gets, so an element found a moment ago
 * may be gone ("Node is detached") by the time it is clicked: find it again and retry, as a user's
 * next click would. A repeated click is harmless here: a second discover or save does the same
 * again, and Save key with an empty input sends nothing. */
const clickSoon = (frame, selector) => until(`a click on ${selector}`, () => frame.click(selector).then(() => true), 10_000);
/** Type into the element as a user does: focus it (again, if it was rebuilt), then keys go to
 * whatever has the focus, which the page keeps on the rebuilt input. */
async function typeInto(page, frame, selector, text) {
  await until(`the focus on ${selector}`, () => frame.focus(selector).then(() => true), 10_000);
  await page.keyboard.type(text);
}

async function step(name, run) {
  const started = Date.now();
  try {
    const detail = await run();
    report.steps[name] = { ok: true, ms: Date.now() - started, detail };
  } catch (err) {
    report.steps[name] = { ok: false, ms: Date.now() - started, error: String(err && err.stack ? err.stack : err) };
  }
  mark(name);
}

async function chatStep(page) {
  await page.waitForSelector('.model-picker-name', { visible: true, timeout: 60_000 });
  // The picker shows the Open LLM models once the bridge has listed them.
  let rows = [];
  const listed = () => page.evaluate(() => [...document.querySelectorAll('.action-widget .monaco-list-row')].map((r) => r.textContent.trim()));
  await until('Open LLM models in the picker', async () => {
    await page.click('.model-picker-name');
    await sleep(400);
    rows = await listed();
    if (rows.some((r) => r.includes(CHAT_MODEL))) return true;
    await page.keyboard.press('Escape');
    throw new Error(`the picker offers ${JSON.stringify(rows)}`);
  }, 60_000, 500);
  const offered = await page.evaluate(() => [...document.querySelectorAll('.action-widget .monaco-list-row')].map((r) => r.textContent.trim()));
  await page.evaluate((name) => {
    const row = [...document.querySelectorAll('.action-widget .monaco-list-row')].find((r) => r.textContent.includes(name));
    row.click();
  }, CHAT_MODEL);
  await until(`${CHAT_MODEL} selected`, () =>
    page.evaluate((name) => document.querySelector('.model-picker-split')?.getAttribute('aria-label')?.includes(name), CHAT_MODEL),
  );
  const message = '@openllm hello from the end to end test';
  await until('the message in the chat input', async () => {
    await page.click('.interactive-input-part .monaco-editor .view-lines');
    const focused = await page.evaluate(() => !!document.activeElement?.closest('.interactive-input-part'));
    if (!focused) return false;
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.type(message);
    return page.evaluate((m) => document.querySelector('.interactive-input-part .view-lines')?.textContent.replace(/\u00a0/g, ' ').includes(m), message);
  }, 20_000, 500);
  await sleep(300); // let the participant suggestion settle before Enter
  await page.keyboard.press('Enter');
  const expected = CHAT_REPLY;
  const seen = new Set();
  await until('the streamed reply', async () => {
    const text = await page.evaluate(() => {
      const items = [...document.querySelectorAll('.interactive-item-container')];
      return items.length > 1 ? items[items.length - 1].textContent : '';
    });
    if (text) seen.add(text.trim());
    return text.includes(expected);
  }, 60_000, 50);
  const partial = [...seen].filter((t) => t && !t.includes(expected));
  if (partial.length === 0) throw new Error(`never saw a partial reply, only: ${JSON.stringify([...seen])}`);
  await page.screenshot({ path: join(artifacts, 'chat.png') });
  return { offered, partial: partial.slice(0, 3), final: expected };
}

async function configStep(page) {
  await commandPalette(page, 'Open LLM: Configure Providers and Keys');
  const frame = await firstWebviewFrame(page, 'openllm-config');
  await frame.waitForSelector('#key-openai', { timeout: 60_000 });
  // New state re-renders the page whenever it arrives (the bridge, a setting or a save changed);
  // one arriving halfway through the key must keep what was typed, and the focus.
  const key = env('E2E_KEY');
  const half = Math.floor(key.length / 2);
  await typeInto(page, frame, '#key-openai', key.slice(0, half));
  await frame.evaluate(() => window.postMessage({ type: 'notice', text: 'a render while the key is typed' }, '*'));
  await until('the page rendered again', () => frame.$eval('#notice', (el) => el.textContent.startsWith('a render')));
  await page.keyboard.type(key.slice(half));
  await clickSoon(frame, '#save-key-openai');
  const source = await until('the openai key status to say host', () =>
    frame.$eval('#key-status-openai', (el) => (el.getAttribute('data-source') === 'host' ? el.textContent : null)),
  60_000);
  const notice = await frame.$eval('#notice', (el) => el.textContent).catch(() => null);
  const table = await frame.$eval('#status-openai', (el) => el.textContent);
  await page.screenshot({ path: join(artifacts, 'config.png') });
  // Pick the mock provider's models from discovery and save them to the VS Code settings.
  await clickSoon(frame, '#discover-mock');
  const discovered = await until('the discovered mock models', () =>
    frame.$$eval('#models-mock input', (boxes) => (boxes.length > 1 ? boxes.map((b) => b.value) : null)),
  );
  const keep = ['echo', 'tools', 'error'];
  // Ticked as a click would: the change event is what keeps a tick across a re-render of the page.
  await frame.$$eval('#models-mock input', (boxes, wanted) => boxes.forEach((b) => {
    b.checked = wanted.includes(b.value);
    b.dispatchEvent(new Event('change', { bubbles: true }));
  }), keep);
  // A base URL typed with spaces around it is saved trimmed, and the field then shows what was saved.
  await frame.$eval('#base-mock', (el) => { el.value = ''; });
  await typeInto(page, frame, '#base-mock', '  http://127.0.0.1:9/v1  ');
  await clickSoon(frame, '#save-provider-mock');
  const saved = await until('the mock provider saved', () =>
    frame.$eval('#notice', (el) => (el.textContent.startsWith('Saved mock') ? el.textContent : null)),
  );
  const base = await until('the saved base URL shown as saved', () =>
    frame.$eval('#base-mock', (el) => (el.value === 'http://127.0.0.1:9/v1' ? el.value : null)),
  );
  const models = await until('the saved models shown', () =>
    frame.$$eval('#models-mock input:checked', (boxes) => boxes.map((b) => b.value)).then((m) => (m.length === 3 ? m : null)),
  );
  return { status: source, notice, table, discovered, saved, models, base };
}

async function probeStep(page, workspace) {
  const out = join(workspace, '.e2e', 'probe.json');
  await commandPalette(page, 'Open LLM E2E: Run the probe');
  await until('the probe report', () => existsSync(out), 60_000, 200);
  return JSON.parse(readFileSync(out, 'utf8'));
}

async function playgroundStep(page, models) {
  await commandPalette(page, 'Open LLM: Open Playground');
  const frame = await webviewFrame(page, 'openllm-playground');
  await frame.waitForSelector('#models input');
  await frame.$$eval('#models input', (boxes, wanted) => boxes.forEach((b) => (b.checked = wanted.includes(b.value))), models);
  await frame.type('#prompt', 'compare these two models');
  await frame.click('#run');
  const columns = await until('both answers', () =>
    frame.$$eval('.column', (cols) => {
      const all = cols.map((c) => ({ model: c.dataset.model, state: c.dataset.state, figures: c.querySelector('.figures').textContent, answer: c.querySelector('.answer').textContent }));
      return all.length === 2 && all.every((c) => c.state !== 'streaming') ? all : null;
    }),
  60_000);
  await page.screenshot({ path: join(artifacts, 'playground.png') });
  return columns;
}

async function sidebarStep(page) {
  await commandPalette(page, 'Open LLM: Focus on Chat View');
  const frame = await webviewFrame(page, 'openllm-chat');
  const models = await until('models in the sidebar chat', () =>
    frame.$$eval('#chat-model option', (options) => (options.length > 0 && options[0].value ? options.map((o) => o.value) : null)),
  );
  await frame.select('#chat-model', 'mock/echo');
  await frame.type('#chat-input', 'hello sidebar');
  await frame.click('#chat-send');
  const answer = await until('the sidebar answer', () =>
    frame.$eval('#chat-log .msg.assistant:last-child', (el) => (el.dataset.state === 'done' ? el.textContent : null)),
  );
  await page.screenshot({ path: join(artifacts, 'sidebar.png') });
  return { models, answer };
}

async function main() {
  mkdirSync(artifacts, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'openllm-e2e-'));
  const home = join(work, 'home');
  const userData = join(work, 'user-data');
  const extensions = join(work, 'extensions');
  const workspace = join(work, 'workspace');
  for (const d of [home, join(userData, 'User'), extensions, workspace, join(work, 'tmp')]) mkdirSync(d, { recursive: true });
  const settings = { 'workbench.startupEditor': 'none', 'openLLM.bridge.path': env('E2E_BRIDGE'), ...JSON.parse(env('E2E_SETTINGS')) };
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const childEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    TMPDIR: join(work, 'tmp'),
  };
  const [mainVsix, probeVsix] = packageExtensions(work);
  mark('packaged');
  for (const vsix of [mainVsix, probeVsix]) {
    execFileSync(CODE_SERVER, ['--extensions-dir', extensions, '--install-extension', vsix], { env: childEnv, stdio: 'pipe' });
  }
  mark('installed');
  const port = await freePort();
  const server = spawn(
    CODE_SERVER,
    ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--user-data-dir', userData, '--extensions-dir', extensions, workspace],
    { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const serverLog = [];
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  let browser = null;
  try {
    await until('code-server to listen', () => serverLog.join('').includes('HTTP server listening'), 30_000);
    mark('code-server');
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    mark('workbench');
    await step('config', () => configStep(page));
    await step('chat', () => chatStep(page));
    await step('probe', () => probeStep(page, workspace));
    await step('playground', () => playgroundStep(page, JSON.parse(process.env.E2E_PLAYGROUND_MODELS ?? '["mock/echo","mock/slow"]')));
    await step('sidebar', () => sidebarStep(page));
    if (!Object.values(report.steps).every((s) => s.ok)) await page.screenshot({ path: join(artifacts, 'failure.png') });
  } finally {
    await browser?.close();
    process.kill(-server.pid, 'SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
    report.logs = collectLogs(userData);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The extension's output channel and extension host logs, for the report when a step fails. */
function collectLogs(userData) {
  const out = {};
  try {
    const found = execFileSync('find', [join(userData, 'logs'), '-name', '*.log'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of found.filter((f) => /Open LLM|remoteexthost/.test(f))) out[file.slice(userData.length)] = readFileSync(file, 'utf8').slice(-20_000);
  } catch {
    // no logs yet
  }
  return out;
}

try {
  await main();
} catch (err) {
  report.fatal = String(err && err.stack ? err.stack : err);
}
mark('total');
writeFileSync(env('E2E_REPORT'), JSON.stringify(report, null, 2));
const ok = !report.fatal && Object.keys(report.steps).length === 5 && Object.values(report.steps).every((s) => s.ok);
process.exit(ok ? 0 : 1);
