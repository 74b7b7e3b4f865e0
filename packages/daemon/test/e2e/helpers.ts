/**
 * Shared helpers of the end-to-end tests: SQL against a member with `pg`,
 * and reading what a member reports.
 */
import pg from 'pg';
import type { PgwardenMember } from '@pgwarden/testkit';

export async function query<T extends Record<string, unknown>>(member: PgwardenMember, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: member.connectionString(), connectionTimeoutMillis: 5000, statement_timeout: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function isInRecovery(member: PgwardenMember): Promise<boolean | undefined> {
  try {
    const rows = await query<{ recovery: boolean }>(member, 'SELECT pg_is_in_recovery() AS recovery');
    return rows[0]?.recovery;
  } catch {
    return undefined;
  }
}

/** Agent output, for failure messages. */
export function transcripts(members: readonly PgwardenMember[], lines = 40): string {
  return members
    .map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}
