/**
 * PostgresPort over postgres-ctl's PostgresCtl. The few compositions the
 * cycle expects from one action live here: a clone or a rewind ends with
 * PostgreSQL started as a replica of the source, a reinitialize wipes the
 * data directory first. A cancelled operation (the runtime's signal) never
 * goes on to start a postmaster.
 */
import type { FollowTarget } from '@pgwarden/core';
import type { PostgresCtl } from '@pgwarden/postgres-ctl';
import type { PostgresPort } from '../ports.js';

export function createPostgresPort(ctl: PostgresCtl): PostgresPort {
  return {
    observe: () => ctl.observe(),
    observePositions: () => ctl.observePositions(),
    async bootstrap(options) {
      options?.signal?.throwIfAborted();
      await ctl.bootstrap();
    },
    async createReplica(source, options) {
      await ctl.createReplica(source);
      options?.signal?.throwIfAborted();
      await ctl.start({ asStandby: true, ...(source !== undefined ? { follow: source } : {}) });
    },
    async start(options) {
      await ctl.start({
        asStandby: !options.asPrimary,
        ...(options.follow !== undefined ? { follow: options.follow } : {}),
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      });
    },
    async stop(options) {
      await ctl.stop({
        mode: options.mode,
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
        ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
        ...(options.preStopBudgetMs !== undefined ? { preStopBudgetMs: options.preStopBudgetMs } : {}),
      });
    },
    async restart(options) {
      await ctl.restart(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {});
    },
    reload: () => ctl.reload(),
    async promote(options) {
      await ctl.promote({
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.skipTimelinesThrough === undefined ? {} : { skipTimelinesThrough: options.skipTimelinesThrough }),
      });
    },
    async follow(target) {
      await ctl.follow(target);
    },
    timelineHistory: (source, timeoutMs) => ctl.timelineHistory(source, timeoutMs),
    async rewind(source, options) {
      await ctl.rewind(source);
      options?.signal?.throwIfAborted();
      await ctl.start({ asStandby: true, follow: source });
    },
    async reinitialize(source: FollowTarget | undefined, options) {
      await ctl.stop({ mode: 'immediate', checkpoint: false });
      await ctl.removeDataDirectory({ rename: false });
      await ctl.createReplica(source);
      options?.signal?.throwIfAborted();
      await ctl.start({ asStandby: true, ...(source !== undefined ? { follow: source } : {}) });
    },
    crashRecovery: () => ctl.crashRecovery(),
    checkpoint: () => ctl.checkpoint(),
    setSynchronousStandbyNames: (value) => ctl.setSynchronousStandbyNames(value),
    syncReplicationSlots: (desired) =>
      ctl.syncReplicationSlots({
        members: [...desired.members],
        permanent: [...desired.permanent],
        dropUnknown: desired.dropUnknown,
        ...(desired.ignore !== undefined ? { ignore: desired.ignore } : {}),
        ...(desired.logical !== undefined ? { logical: desired.logical } : {}),
        ...(desired.advance !== undefined ? { advance: desired.advance } : {}),
      }),
    copyLogicalSlots: (slots, source) => ctl.copyLogicalSlots(slots, source),
    removeDataDirectory: (options) => ctl.removeDataDirectory(options),
    onPostmasterExit(listener) {
      return ctl.on((event) => {
        // Our own stop's exit is not news: the action that stopped it goes on (a wake here
        // ran a cycle whose lock renewal the demotion's release then had to wait for).
        if (event.type === 'postmaster-exit' && !event.expected) listener();
      });
    },
    close: () => ctl.close(),
  };
}
