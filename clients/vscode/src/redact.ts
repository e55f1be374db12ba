// Keep API keys out of the output channel. The same two nets as bridge/redact.py: every key the
// extension handles is registered and masked wherever it shows up, and anything shaped like a
// well-known key (sk-…, sk-ant-…, AIza…, bearer tokens, key=…) is masked even if it never was.
const KEY_SHAPES =
  /sk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,}|(?<=[Bb]earer )[A-Za-z0-9._~+/-]{16,}=*|(?<=key=)[A-Za-z0-9_-]{20,}/g;

/** `sk-proj-abc…wxyz` -> `sk-…wxyz`: enough to tell keys apart, never enough to use one. */
export function mask(value: string): string {
  return value.length < 12 ? '…' : `${value.slice(0, 3)}…${value.slice(-4)}`;
}

export class Redactor {
  private readonly known = new Set<string>();
  private pattern: RegExp | null = null;

  /** Mask this exact value from now on. */
  register(value: string): void {
    if (value.length < 8 || this.known.has(value)) return;
    this.known.add(value);
    const ordered = [...this.known].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(ordered.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  }

  redact(text: string): string {
    const known = this.pattern ? text.replace(this.pattern, mask) : text;
    return known.replace(KEY_SHAPES, mask);
  }
}
