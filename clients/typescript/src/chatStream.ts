// One chat/stream request seen from the caller: an AsyncIterable of the StreamChunks the bridge
// sends as chat/chunk notifications, then `result` (final message, finish reason, usage). A failed
// request throws from the iterator; a cancelled one just ends it (and `result` rejects with
// BridgeCancelledError).
//
// Chunks queue here until the caller takes them. While the caller iterates, a queue past a
// high-water mark pauses the socket, so a slow reader slows the bridge (which slows the provider)
// instead of growing memory; it resumes once the queue has drained to the low-water mark. A caller
// that only awaits `result` never pauses it: its chunks queue (a reply is bounded by the model's
// output limit) and the connection's other requests go on.
//
// Leaving the loop before the stream ends (a `break`, a `return`, a throw) abandons it: what is
// queued is dropped, later chunks are ignored, and `abandon` cancels the request. Without that the
// chunks still coming would fill the queue past the mark and pause the socket for good, stalling
// every other request on the connection.
import { BridgeCancelledError } from './errors.ts';
import type { ChatStreamResult, StreamChunk } from './generated/index.ts';

export interface FlowControl {
  pause(): void;
  resume(): void;
}

const HIGH_WATER = 256;
const LOW_WATER = 64;

export class ChatStream implements AsyncIterable<StreamChunk> {
  private readonly queue: StreamChunk[] = [];
  private waiting: (() => void) | null = null;
  private finished = false;
  private failure: unknown = null;
  private paused = false;
  private iterating = false;
  private abandoned = false;
  private readonly settled: Promise<ChatStreamResult>;
  private readonly flow: FlowControl;
  private readonly abandon: () => void;

  constructor(response: Promise<ChatStreamResult>, flow: FlowControl, abandon: () => void = () => undefined) {
    this.flow = flow;
    this.abandon = abandon;
    this.settled = response.then(
      (result) => {
        this.end(null);
        return result;
      },
      (err: unknown) => {
        this.end(err);
        throw err;
      },
    );
    // The caller may only iterate; a failure then surfaces from the iterator, not as an unhandled rejection.
    this.settled.catch(() => undefined);
  }

  /** The final message, finish reason and usage; rejects as the request does. */
  get result(): Promise<ChatStreamResult> {
    return this.settled;
  }

  /** Called by the client for each chat/chunk notification of this request. */
  push(chunk: StreamChunk): void {
    if (this.finished || this.abandoned) return;
    this.queue.push(chunk);
    if (this.iterating && !this.paused && this.queue.length >= HIGH_WATER) {
      this.paused = true;
      this.flow.pause();
    }
    this.wake();
  }

  private end(failure: unknown): void {
    this.finished = true;
    this.failure = failure;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  private take(): StreamChunk | undefined {
    const chunk = this.queue.shift();
    if (this.paused && this.queue.length <= LOW_WATER) {
      this.paused = false;
      this.flow.resume();
    }
    return chunk;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    this.iterating = true;
    try {
      for (;;) {
        const chunk = this.take();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (this.finished) {
          // Cancelling is the caller's own doing: the iteration just ends; `result` says why.
          if (this.failure !== null && !(this.failure instanceof BridgeCancelledError)) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
    } finally {
      this.iterating = false;
      if (!this.finished && !this.abandoned) {
        this.abandoned = true;
        this.queue.length = 0;
        this.abandon();
      }
      if (this.paused) {
        this.paused = false;
        this.flow.resume();
      }
    }
  }
}
