/**
 * Events PostgresCtl emits, a discriminated union on `type`: the daemon
 * wakes its cycle on `postmaster-exit`, the CLI shows `basebackup-progress`.
 */
import type { PostgresState } from '@pgwarden/core';

export type PostgresCtlEvent =
  | {
      readonly type: 'postmaster-exit';
      readonly pid: number;
      readonly code: number | null;
      readonly signal: string | null;
      /** `child`: we spawned it (SIGCHLD); `probe`: adopted, seen by the liveness probe. */
      readonly via: 'child' | 'probe';
      /** We asked it to stop. */
      readonly expected: boolean;
    }
  | { readonly type: 'postmaster-start'; readonly pid: number; readonly adopted: boolean }
  | { readonly type: 'basebackup-progress'; readonly doneBytes: number; readonly totalBytes: number; readonly attempt: number }
  | { readonly type: 'state'; readonly state: PostgresState }
  | { readonly type: 'replica-method'; readonly method: string; readonly outcome: 'started' | 'succeeded' | 'failed' | 'skipped'; readonly detail?: string };
