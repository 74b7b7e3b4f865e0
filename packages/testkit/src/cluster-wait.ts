/**
 * Polling with a deadline, for tests that wait on a real cluster: poll
 * `probe` until it returns something other than undefined/false, or fail
 * with a message that says what was awaited and what was last seen.
 */
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /**
   * What is awaited, for the error message. A function is called only when
   * the wait fails, so a transcript it includes (agent logs) is the one at the
   * time of the failure, not at the start of the wait.
   */
  readonly what?: string | (() => string);
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe(options.what)}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(what: WaitOptions['what']): string {
  if (what === undefined) return 'a condition';
  return typeof what === 'string' ? what : what();
}
