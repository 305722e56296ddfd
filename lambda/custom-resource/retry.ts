/** Retry with a fixed delay until the attempt succeeds, the error is not retriable, or the deadline passes. */
export interface RetryOptions {
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
  delayMs: number;
  isRetriable(err: unknown): boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onRetry?: (err: unknown, attempt: number) => void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(what: string, attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!opts.isRetriable(err)) throw err;
      if (now() + opts.delayMs > opts.deadline) {
        throw new Error(`${what}: still failing after ${n} attempts, giving up: ${err instanceof Error ? err.message : String(err)}`);
      }
      opts.onRetry?.(err, n);
      await wait(opts.delayMs);
    }
  }
}
