// The few parts of the `vscode` API that BridgeManager uses; `settings` is the openLLM section.
export const settings = {};
export const shown = [];

export class EventEmitter {
  listeners = new Set();
  event = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value) {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

export const workspace = {
  workspaceFolders: undefined,
  getConfiguration: () => ({ get: (key) => settings[key], inspect: (key) => ({ globalValue: settings[key] }) }),
};
export const window = {
  showErrorMessage: async (message) => {
    shown.push(message);
    return undefined;
  },
};
export const commands = { executeCommand: async () => undefined };
