/**
 * The cycle's record: one structured line per cycle carrying Patroni's
 * message, the rule that decided, the actions and the duration; a role
 * change logged loudly (warn, `event: role-change`) so it stands out in a
 * stream of routine lines.
 */
import type { Action } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { CycleMetrics } from './cycle-metrics.js';

export interface CycleRecord {
  readonly cycle: number;
  readonly message: string;
  readonly ruleId: string;
  readonly reason: string | undefined;
  readonly actions: readonly Action[];
  readonly durationMs: number;
}

export class CycleLog {
  private lastRole: string | undefined;

  constructor(
    private readonly logger: AgentLogger,
    private readonly metrics: CycleMetrics,
  ) {}

  record(cycle: CycleRecord, role: string): void {
    this.metrics.countCycle(cycle.durationMs);
    this.logger.info(
      {
        cycle: cycle.cycle,
        rule: cycle.ruleId,
        ...(cycle.reason !== undefined ? { reason: cycle.reason } : {}),
        actions: cycle.actions.map((action) => action.type),
        role,
        durationMs: cycle.durationMs,
      },
      cycle.message,
    );
    if (this.lastRole !== undefined && this.lastRole !== role) {
      this.logger.warn({ event: 'role-change', from: this.lastRole, to: role }, `ROLE CHANGE: ${this.lastRole} -> ${role}`);
    }
    this.lastRole = role;
  }
}
