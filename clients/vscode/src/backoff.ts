// When to restart a bridge that died: 1 s, 2 s, 4 s … up to 30 s between attempts, back to 1 s
// once a bridge has stayed up for a minute, so a crash loop does not spin and a rare crash is
// retried at once.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  stableMs?: number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly stableMs: number;
  private failures = 0;
  private startedAt: number | null = null;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
    this.stableMs = options.stableMs ?? 60_000;
  }

  /** A bridge started at `now` (ms). */
  started(now: number): void {
    this.startedAt = now;
  }

  /** The bridge stopped at `now`; how long to wait before starting it again. */
  stopped(now: number): number {
    if (this.startedAt !== null && now - this.startedAt >= this.stableMs) this.failures = 0;
    this.startedAt = null;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures += 1;
    return delay;
  }

  /** How many restarts in a row have failed. */
  get attempts(): number {
    return this.failures;
  }
}
