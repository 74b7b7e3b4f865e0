/**
 * Requests with Patroni's retry rules (spec/dcs.md §4.1, §3.6): each attempt
 * is bounded by retry_timeout/3, the whole operation by its deadline
 * (retry_timeout unless the caller shares a budget across steps); internal
 * errors and failures to get an answer are retried with a back-off of 0.1 s
 * doubling to 1 s plus jitter, never past the deadline. Definitive answers
 * (ok, 404, invalid session, 403, 400) are returned at once. A blocking
 * query passes its own attempt timeout (wait + a grace), as Patroni does.
 */
import { classifyAnswer, describeAnswer, describeError, type ConsulAnswerKind } from './errors.js';
import type { ConsulRequest, ConsulResponse, ConsulTransport } from './http.js';
import type { Logger } from './logger.js';

export type CallResult =
  | { readonly kind: 'answer'; readonly answer: ConsulAnswerKind; readonly response: ConsulResponse }
  | { readonly kind: 'failed'; readonly message: string };

export interface ClientContext {
  readonly transport: ConsulTransport;
  readonly clock: () => number;
  readonly random: () => number;
  readonly logger: Logger;
  /** retry_timeout in milliseconds (read at call time: configure() may change it). */
  retryTimeoutMs(): number;
  /** Aborted by close(): no new attempt, no back-off sleep keeps the process alive. */
  readonly closed?: AbortSignal;
}

/** An attempt shorter than this could not get an answer anyway; the budget is spent. */
const MINIMUM_ATTEMPT_MS = 20;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function call(
  context: ClientContext,
  request: Omit<ConsulRequest, 'timeoutMs'> & { readonly timeoutMs?: number },
  deadline: number = context.clock() + context.retryTimeoutMs(),
): Promise<CallResult> {
  let delayMs = 100;
  // Both kept: an answer (e.g. "No cluster leader") says more than the timeout of a last, short attempt.
  let lastAnswer: string | undefined;
  let lastError: string | undefined;
  const stopped = (): boolean => request.signal?.aborted === true || context.closed?.aborted === true;
  for (let attempt = 1; ; attempt++) {
    if (stopped()) return { kind: 'failed', message: 'aborted (adapter closed or watch cancelled)' };
    const remaining = deadline - context.clock();
    if (remaining < MINIMUM_ATTEMPT_MS) break;
    const timeoutMs = Math.min(request.timeoutMs ?? context.retryTimeoutMs() / 3, remaining);
    try {
      const response = await context.transport.send({ ...request, timeoutMs });
      const answer = classifyAnswer(response);
      if (answer !== 'transient') return { kind: 'answer', answer, response };
      lastAnswer = describeAnswer(response);
      lastError = undefined;
    } catch (error) {
      if (stopped()) return { kind: 'failed', message: 'aborted (adapter closed or watch cancelled)' };
      lastError = describeError(error);
    }
    context.logger.debug({ method: request.method, path: request.path, attempt, answer: lastAnswer, error: lastError }, 'consul request failed, retrying');
    const pause = Math.min(delayMs + context.random() * 800, deadline - context.clock());
    if (pause <= 0) break;
    await sleep(pause, request.signal ?? context.closed);
    delayMs = Math.min(delayMs * 2, 1000);
  }
  const problems = [lastError, lastAnswer === undefined ? undefined : `last answer ${lastAnswer}`].filter((text) => text !== undefined);
  const detail = problems.length > 0 ? problems.join('; ') : 'no attempt made: the retry budget was already spent';
  return { kind: 'failed', message: `Consul is not responding properly: ${detail}` };
}

export { sleep };
