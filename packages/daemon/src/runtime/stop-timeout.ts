/**
 * Patroni's `primary_stop_timeout` (alias `master_stop_timeout`,
 * spec/ha-loop.md §2 and §13): in synchronous mode, a stop of PostgreSQL
 * for a demotion or at shutdown that takes longer is cut short (the
 * postmaster is stopped `immediate`, then killed), so a primary whose
 * synchronous standby is gone cannot hang in its shutdown. Outside
 * synchronous mode, or at 0 (the default), the stop keeps its usual bound.
 */
import type { HaSettings } from '@pgwarden/core';

export function primaryStopTimeoutSeconds(settings: HaSettings): number | undefined {
  const seconds = settings.primaryStopTimeoutSeconds;
  return seconds > 0 && settings.synchronousMode !== false ? seconds : undefined;
}
