/**
 * Writes to every member every 100 ms, each through its own connection, and
 * records every write a member acknowledged with when it was sent and when
 * the answer came. Two members whose acknowledged writes interleave in time
 * were both writable primaries at once: the split brain the fence exists to
 * prevent. Replicas refuse the writes (read-only), which is recorded too.
 */
import pg from 'pg';
import type { PgwardenMember } from '@pgwarden/testkit';

export interface AcknowledgedWrite {
  readonly member: string;
  readonly seq: number;
  readonly sentAt: number;
  readonly ackAt: number;
}

/** A member's run of consecutive acknowledged writes: it was writable from `from` to `to` at least. */
export interface WritableWindow {
  readonly member: string;
  readonly from: number;
  readonly to: number;
  readonly writes: number;
}

export const probeTable = 'pgwarden_probe';

export class WriteProber {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  readonly acknowledged: AcknowledgedWrite[] = [];
  /** Per member, in order: the acknowledged write, or undefined for a refused or failed one. */
  private readonly outcomes = new Map<string, Array<AcknowledgedWrite | undefined>>();
  private seq = 0;

  constructor(private readonly members: readonly PgwardenMember[], private readonly intervalMs = 100) {}

  start(): void {
    for (const member of this.members) this.loops.push(this.probe(member));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Consecutive acknowledged writes of one member form a window; any refused write ends it. */
  windows(): WritableWindow[] {
    const windows: WritableWindow[] = [];
    for (const member of this.members) {
      let open: { from: number; to: number; writes: number } | undefined;
      for (const write of this.outcomes.get(member.name) ?? []) {
        if (write !== undefined) {
          open = open === undefined ? { from: write.sentAt, to: write.ackAt, writes: 1 } : { ...open, to: write.ackAt, writes: open.writes + 1 };
        } else if (open !== undefined) {
          windows.push({ member: member.name, ...open });
          open = undefined;
        }
      }
      if (open !== undefined) windows.push({ member: member.name, ...open });
    }
    return windows.sort((a, b) => a.from - b.from);
  }

  private async probe(member: PgwardenMember): Promise<void> {
    const outcomes: Array<AcknowledgedWrite | undefined> = [];
    this.outcomes.set(member.name, outcomes);
    let client: pg.Client | undefined;
    while (!this.stopped) {
      const started = Date.now();
      try {
        if (client === undefined) {
          client = new pg.Client({ connectionString: member.connectionString(), connectionTimeoutMillis: 1000, statement_timeout: 2000, query_timeout: 2500 });
          client.on('error', () => undefined);
          await client.connect();
        }
        const seq = ++this.seq;
        const sentAt = Date.now();
        await client.query(`INSERT INTO ${probeTable} (member, seq) VALUES ($1, $2)`, [member.name, seq]);
        const write = { member: member.name, seq, sentAt, ackAt: Date.now() };
        this.acknowledged.push(write);
        outcomes.push(write);
      } catch {
        outcomes.push(undefined);
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      const elapsed = Date.now() - started;
      if (elapsed < this.intervalMs) await new Promise((resolve) => setTimeout(resolve, this.intervalMs - elapsed));
    }
    await client?.end().catch(() => undefined);
  }
}

/** Pairs of windows of different members that overlap in time. */
export function overlappingWindows(windows: readonly WritableWindow[]): Array<[WritableWindow, WritableWindow]> {
  const overlaps: Array<[WritableWindow, WritableWindow]> = [];
  for (const [index, first] of windows.entries()) {
    for (const second of windows.slice(index + 1)) {
      if (first.member !== second.member && first.from <= second.to && second.from <= first.to) overlaps.push([first, second]);
    }
  }
  return overlaps;
}
