/**
 * `query` (spec/patronictl.md §3.16): run SQL on the leader, a member or a
 * role, printed as a table (tsv by default). An SQL error becomes a row with
 * the timestamp and SQLSTATE, as in patronictl, so `-W` keeps going.
 */
import { PgwardenError, type Member } from '@pgwarden/core';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseConnUrl } from '../cluster/cluster-view.js';
import { membersWithRole, type RoleFilter } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';
import { formatLocalTimestamp } from '../io.js';
import { renderTable, type Cell, type OutputFormat } from '../render/output.js';
import { repeatView } from './watch.js';

export interface QueryOptions {
  readonly role?: RoleFilter;
  readonly member?: string;
  readonly command?: string;
  readonly file?: string;
  readonly username?: string;
  readonly password?: boolean;
  readonly dbname?: string;
  readonly format: OutputFormat;
  readonly delimiter: string;
  readonly watchSeconds?: number;
}

function chooseMember(members: readonly Member[], role: RoleFilter, name: string | undefined): Member {
  const member = members.find((candidate) => name === undefined || candidate.name === name);
  if (member === undefined) {
    throw new PgwardenError('member-not-found', name !== undefined ? `No connection to member ${name} is available` : `No connection to role ${role} is available`);
  }
  return member;
}

function cellOf(value: unknown): Cell {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value as string | number | boolean;
}

async function runOnce(ctx: CtlContext, clusterName: string, sql: string, options: QueryOptions, password: string | undefined): Promise<void> {
  if (options.role !== undefined && options.member !== undefined) throw new PgwardenError('usage', '--role and --member are mutually exclusive options');
  const cluster = await ctx.readCluster(clusterName);
  const role: RoleFilter = options.member !== undefined ? 'any' : (options.role ?? 'leader');
  const member = chooseMember(membersWithRole(cluster, role), role, options.member);
  const { host, port } = parseConnUrl(member.data.conn_url);
  const client = new pg.Client({
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(options.username !== undefined ? { user: options.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(options.dbname !== undefined ? { database: options.dbname } : {}),
    application_name: 'pgwardenctl',
    connectionTimeoutMillis: 5000,
  });
  let columns: string[] = [];
  let rows: Cell[][] = [];
  try {
    await client.connect();
    if (role !== 'any' && role !== 'leader') {
      const recovery = await client.query<{ recovery: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS recovery');
      const wantsReplica = role === 'replica' || role === 'standby';
      if (recovery.rows[0]?.recovery !== wantsReplica) throw new PgwardenError('member-not-found', `No connection to role ${role} is available`);
    }
    const result = await client.query({ text: sql, rowMode: 'array' });
    const last = Array.isArray(result) ? (result[result.length - 1] as pg.QueryArrayResult) : result;
    columns = (last?.fields ?? []).map((field) => field.name);
    rows = (last?.rows ?? []).map((row) => (row as unknown[]).map(cellOf));
  } catch (error) {
    if (error instanceof PgwardenError) throw error;
    const code = (error as { code?: string }).code;
    if (code === undefined || /^E[A-Z]+$/.test(code)) {
      throw new PgwardenError('connection-failed', `No connection to member ${member.name} is available: ${(error as Error).message}`);
    }
    columns = [];
    rows = [[formatLocalTimestamp(ctx.io.now()), `ERROR, SQLSTATE: ${code}`]];
    ctx.io.err((error as Error).message);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (columns.length > 0 || rows.length > 0) ctx.io.out(renderTable({ columns, rows }, options.format, options.delimiter));
}

export async function queryCommand(ctx: CtlContext, clusterArg: string | undefined, options: QueryOptions): Promise<number> {
  const name = ctx.clusterName(clusterArg);
  if ((options.command === undefined) === (options.file === undefined)) {
    throw new PgwardenError('usage', 'You need to specify either --command or --file');
  }
  const sql = options.command ?? readFileSync(options.file === '-' ? 0 : (options.file as string), 'utf8');
  const password = options.password ? await ctx.io.prompt('Password') : undefined;
  return repeatView(ctx.io, options.watchSeconds, () => runOnce(ctx, name, sql, options, password));
}
