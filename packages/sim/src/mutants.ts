/**
 * Deliberately broken variants, each violating one DESIGN invariant. The
 * simulator must catch every one of them within a bounded number of seeds —
 * the evidence that its checks can fail. Mutants of decide() replace the
 * decision; mutants of the runtime change how the real AgentRuntime is
 * built (its clock, its preemption switch) or what it reads of decide().
 */
import { decide } from '@pgwarden/core';
import type { Action } from '@pgwarden/core';
import type { Clock } from '@pgwarden/daemon';
import type { DecideFn, RuntimeVariant } from './world.js';

const withoutActions = (drop: (action: Action) => boolean): DecideFn => (input) => {
  const result = decide(input);
  return { ...result, actions: result.actions.filter((action) => !drop(action)) };
};

export interface Mutant {
  readonly decide?: DecideFn;
  readonly variant?: RuntimeVariant;
  /** The invariants whose violation counts as catching it. */
  readonly invariants: readonly string[];
}

/** The wall clock used as the monotonic one: a wall-clock step moves every deadline. */
const wallClockAsMonotonic = (clock: Clock): Clock => ({
  nowMs: () => clock.wallMs(),
  wallMs: () => clock.wallMs(),
  setTimer: (callback, delayMs) => clock.setTimer(callback, delayMs),
});

export const mutants: Readonly<Record<string, Mutant>> = {
  /**
   * Promotes without winning the leader key first, on a runtime that does not
   * check the lock before a promotion (the runtime's own check refuses every
   * such promotion: mutants.test.ts shows that too). No switchover hands it
   * the key either: only the bootstrap's leader ever holds it.
   */
  'promote-without-lock': {
    decide: (input) => {
      const result = withoutActions((action) => action.type === 'acquire-lock')(input);
      return { ...result, actions: result.actions.map((action) => (action.type === 'demote' && action.handOverTo !== undefined ? { type: 'demote', mode: action.mode, ...(action.follow === undefined ? {} : { follow: action.follow }) } : action)) };
    },
    variant: { fenceWritable: false },
    invariants: ['promote-without-lock', 'two-primaries'],
  },
  /**
   * Publishes pg_control's checkpoint as the final position after any stop,
   * clean or not (the runtime before 49c5450): after a stop that escalated it
   * is an old checkpoint, below what the leader published, and a switchover
   * hands the key over with it.
   */
  'release-after-unclean-stop': {
    variant: { pretendCleanShutdown: true },
    invariants: ['final-position-regressed'],
  },
  /** Keeps running as primary when the lock is lost or cannot be renewed. */
  'no-demote-on-lock-loss': {
    decide: withoutActions((action) => action.type === 'demote' && (action.mode === 'immediate-nolock' || action.mode === 'offline')),
    invariants: ['two-primaries'],
  },
  /** Does not see /sync, so a non-synchronous member races and is promoted. */
  'promote-non-sync': {
    decide: (input) => {
      if (!input.cluster.ok || input.cluster.value.sync === undefined) return decide(input);
      const { sync: _sync, ...value } = input.cluster.value;
      return decide({ ...input, cluster: { ok: true, value } });
    },
    invariants: ['non-sync-promoted', 'sync-write-lost'],
  },
  /** Priority mode: names a standby in `/sync` as soon as PostgreSQL calls it `sync`, caught up or not. */
  'sync-before-caught-up': {
    decide: (input) => decide({ ...input, memory: { ...input.memory, syncSetting: { setting: input.local.synchronousStandbyNames ?? '', sinceLsn: 0 } } }),
    invariants: ['sync-write-lost'],
  },
  /** Quorum mode: a candidate counts one vote more than the voters it saw (promotes with one vote too few). */
  'quorum-one-vote-short': {
    decide: (input) => {
      if (!input.cluster.ok) return decide(input);
      const sync = input.cluster.value.sync;
      if (sync === undefined || sync.leader === input.self.name || (sync.quorum ?? 0) < 1) return decide(input);
      return decide({ ...input, cluster: { ok: true, value: { ...input.cluster.value, sync: { ...sync, quorum: (sync.quorum ?? 0) - 1 } } } });
    },
    invariants: ['sync-write-lost'],
  },
  /** Quorum mode: forgets the earlier settings' commits, so `/sync` shrinks before PostgreSQL's new value holds them. */
  'quorum-dcs-shrinks-first': {
    decide: (input) => {
      const quorum = input.memory.quorum;
      if (quorum === undefined) return decide(input);
      return decide({ ...input, memory: { ...input.memory, quorum: { ...quorum, pending: [] } } });
    },
    invariants: ['sync-write-lost'],
  },
  /**
   * Quorum mode: writes the `/sync` key for the synchronous_standby_names it is about to set, and
   * sets that value after it — `/sync` shrinks before PostgreSQL grows `ANY k`.
   */
  'quorum-pg-grows-late': {
    decide: (input) => {
      const planned = decide(input);
      const change = planned.actions.find((action) => action.type === 'set-synchronous-standby-names');
      if (change === undefined || change.type !== 'set-synchronous-standby-names' || input.settings.synchronousMode !== 'quorum') return planned;
      const quorum = input.memory.quorum;
      const believed = decide({
        ...input,
        local: { ...input.local, synchronousStandbyNames: change.value },
        memory: quorum === undefined ? input.memory : { ...input.memory, quorum: { ...quorum, setting: change.value } },
      });
      return { ...believed, actions: [...believed.actions, change] };
    },
    invariants: ['sync-write-lost'],
  },
  /** Ignores pause (maintenance mode). */
  'act-while-paused': {
    decide: (input) => decide({ ...input, settings: { ...input.settings, paused: false } }),
    invariants: ['pause'],
  },
  /** Runtime: the next cycle ignores decide()'s `wakeUpAtMs` (waits for loop_wait). */
  'ignore-wake-up': {
    variant: {
      seenByRuntime: (decided) => {
        const { wakeUpAtMs: _wakeUpAtMs, ...result } = decided;
        return result;
      },
    },
    invariants: ['wake-up-missed'],
  },
  /** Runtime: its monotonic clock is the wall clock, which clock-jump faults move. */
  'wall-clock-as-monotonic': {
    variant: { clock: wallClockAsMonotonic },
    invariants: ['two-primaries'],
  },
  /** Runtime: a demotion waits behind the running background action instead of preempting it. */
  'demotion-waits-for-background': {
    variant: { preemptForDemotion: false },
    invariants: ['two-primaries', 'demotion-refused'],
  },
};
