// `node --import ./test/stub/register.mjs`: resolves `vscode` to the stand-in beside this file, so
// code that imports it (BridgeManager) runs under node:test, outside VS Code.
import { register } from 'node:module';

const stub = new URL('./vscode.mjs', import.meta.url).href;
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(spec, ctx, next) {
  return spec === 'vscode' ? { url: ${JSON.stringify(stub)}, shortCircuit: true } : next(spec, ctx);
}`),
);
