/**
 * The timeline history of another member's PostgreSQL, read the way a
 * standby reads it: a replication connection with the replication
 * credentials, `IDENTIFY_SYSTEM` for its timeline, `TIMELINE_HISTORY` for the
 * history file (as Patroni's divergence check does). Only the replication
 * role is needed, which every member has, so it works without pg_rewind and
 * without a superuser on the leader.
 */
import { PgwardenError, type FollowTarget } from '@pgwarden/core';
import type pg from 'pg';
import type { Context } from './context.js';
import { parseConnUrl } from './files/conninfo.js';
import { parseHistory } from './rewind.js';
import { withClient } from './sql/connection.js';

export interface TimelineHistory {
  readonly timeline: number;
  /** `[parent timeline, switchpoint]`, oldest first; none on timeline 1. */
  readonly lines: ReadonlyArray<readonly [number, number]>;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return '';
}

async function query(client: pg.Client, statement: string): Promise<Record<string, unknown> | undefined> {
  const result = await client.query<Record<string, unknown>>(statement);
  return result.rows[0];
}

export async function readTimelineHistory(context: Context, source: FollowTarget, timeoutMs: number): Promise<TimelineHistory> {
  if (source.connUrl === undefined) throw new PgwardenError('pg-history-no-source', `cannot read the timeline history of ${source.name ?? 'the leader'}: no connection URL`);
  const endpoint = parseConnUrl(source.connUrl);
  const credentials = context.options.authentication.replication;
  const settings = {
    host: endpoint.host,
    port: endpoint.port,
    user: credentials.username,
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    database: endpoint.dbname ?? context.options.database,
    connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
    statementTimeoutMs: timeoutMs,
    applicationName: context.options.name,
    replication: 'true' as const,
  };
  const read = withClient(settings, async (client): Promise<TimelineHistory> => {
    const system = await query(client, 'IDENTIFY_SYSTEM');
    const timeline = Number(system?.['timeline']);
    if (!Number.isInteger(timeline) || timeline < 1) throw new Error('IDENTIFY_SYSTEM answered no timeline');
    if (timeline === 1) return { timeline, lines: [] };
    const history = await query(client, `TIMELINE_HISTORY ${timeline}`);
    const lines = parseHistory(text(history?.['content'])).map((line) => [line.parentTimeline, line.switchpoint] as const);
    return { timeline, lines };
  });
  // The whole exchange within timeoutMs; a late client ends itself by its own connect and query timeouts.
  read.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([read, expired]);
  } catch (error) {
    throw new PgwardenError('pg-history-unreadable', `cannot read the timeline history of ${source.name ?? 'the leader'}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
