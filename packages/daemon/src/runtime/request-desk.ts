/**
 * Operator requests (REST restart, reinitialize, a scheduled restart that
 * is due) wait here for the next cycle: decide() judges them like anything
 * else — with a rule id, in the simulator too — and the runtime starts what
 * it asks for. Whoever asked is told what became of the request once that
 * cycle has acted: refused with decide()'s words, busy with a running
 * action, or started (with the background job to wait for).
 */
import type { DecideResult, OperatorRequests, RunningAction } from '@pgwarden/core';
import type { BackgroundResult } from './background-slot.js';

export type RequestKind = 'restart' | 'reinitialize';

export type RequestOutcome =
  | { readonly started: true; readonly message: string; readonly done: Promise<BackgroundResult> }
  | { readonly started: false; readonly message: string };

type Waiter = { readonly kind: RequestKind; readonly answer: (outcome: RequestOutcome) => void };

/** What a cycle's decision became, as far as operator requests care. */
export interface CycleOutcome {
  readonly result: Pick<DecideResult, 'ruleId' | 'message'>;
  /** The background action decide() saw running (the request could not start). */
  readonly running: RunningAction | undefined;
  /** The background job this cycle started, if any. */
  readonly started: Promise<BackgroundResult> | undefined;
  /** Why the cycle's action could not start (the slot was busy). */
  readonly refusal: string | undefined;
}

export class RequestDesk {
  private pending: OperatorRequests = {};
  private waiting: Waiter[] = [];
  private inCycle: Waiter[] = [];

  /** Submit without waiting for the outcome (the simulator, fire-and-forget callers). */
  submit(requests: OperatorRequests): void {
    this.pending = { ...this.pending, ...requests };
  }

  /** Submit and learn, after the next cycle, what became of it. */
  ask(kind: RequestKind, requests: OperatorRequests): Promise<RequestOutcome> {
    this.submit(requests);
    return new Promise((answer) => this.waiting.push({ kind, answer }));
  }

  /** The requests for this cycle's decide(); their askers are answered by `settle`. */
  take(): OperatorRequests {
    const requests = this.pending;
    this.pending = {};
    this.inCycle = [...this.inCycle, ...this.waiting];
    this.waiting = [];
    return requests;
  }

  get pendingRequests(): OperatorRequests {
    return this.pending;
  }

  /** Tell everyone whose request this cycle decided on. */
  settle(cycle: CycleOutcome): void {
    const waiters = this.inCycle;
    this.inCycle = [];
    for (const waiter of waiters) waiter.answer(outcomeFor(waiter.kind, cycle));
  }

  /** The cycle ended without acting (abandoned, failed): the requests it took were not started. */
  abandonCycle(message: string): void {
    const waiters = this.inCycle;
    this.inCycle = [];
    for (const waiter of waiters) waiter.answer({ started: false, message });
  }

  /** The agent stops: every request still waiting is answered, none will start. */
  close(message: string): void {
    this.abandonCycle(message);
    const waiters = this.waiting;
    this.waiting = [];
    this.pending = {};
    for (const waiter of waiters) waiter.answer({ started: false, message });
  }
}

function outcomeFor(kind: RequestKind, cycle: CycleOutcome): RequestOutcome {
  const { ruleId, message } = cycle.result;
  if (ruleId === `request.${kind}`) {
    if (cycle.started !== undefined) return { started: true, message, done: cycle.started };
    return { started: false, message: cycle.refusal ?? `${kind} could not start` };
  }
  if (ruleId.startsWith(`request.${kind}.`)) return { started: false, message };
  if (cycle.running !== undefined) return { started: false, message: `${cycle.running.name} already in progress` };
  return { started: false, message: `${kind} not started: ${message}` };
}
