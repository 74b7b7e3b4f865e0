/**
 * Measures (does not assert) the timings operators ask about, on real
 * PostgreSQL 15: bootstrap, base backup of a fresh primary, promotion, and
 * how soon a kill -9 of the postmaster is noticed (own child and adopted).
 *   npx tsx packages/postgres-ctl/bench/measure.ts [rounds]
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCtl } from '../src/index.js';

// Standalone on purpose: testkit's index pulls in vitest, which cannot run outside a test.
interface Member {
  readonly ctl: PostgresCtl;
  readonly connUrl: string;
  readonly dir: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function makeMember(name: string): Promise<Member> {
  const dir = mkdtempSync(join(tmpdir(), `pgwarden-bench-${name}-`));
  if (process.getuid?.() === 0) {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  }
  const port = await freePort();
  const ctl = PostgresCtl.create({
    name,
    scope: 'bench',
    data_dir: join(dir, 'data'),
    bin_dir: process.env['PG_BIN_DIR'] ?? '/usr/lib/postgresql/15/bin',
    listen: `127.0.0.1:${port}`,
    authentication: { superuser: { username: 'postgres', password: 'x' }, replication: { username: 'replicator', password: 'y' } },
    parameters: { unix_socket_directories: dir, shared_buffers: '16MB' },
    bootstrap: { initdb: ['data-checksums'], pg_hba: ['local all all trust', 'host replication replicator 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256'] },
  });
  return { ctl, connUrl: `postgres://127.0.0.1:${port}/postgres`, dir };
}

async function destroyMember(member: Member): Promise<void> {
  await member.ctl.stop({ mode: 'immediate', checkpoint: false }).catch(() => undefined);
  await member.ctl.close();
  rmSync(member.dir, { recursive: true, force: true });
}

async function waitFor(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(await probe().catch(() => false))) await new Promise((resolve) => setTimeout(resolve, 50));
}

function pidOf(member: Member): number {
  return Number(readFileSync(join(member.ctl.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function exitNoticedMs(ctl: PostgresCtl, pid: number): Promise<number> {
  const seen = new Promise<number>((resolve) => {
    ctl.on((event) => {
      if (event.type === 'postmaster-exit') resolve(Date.now());
    });
  });
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  return (await seen) - killedAt;
}

async function round(): Promise<Record<string, number>> {
  const primary = await makeMember('bench-p');
  const replica = await makeMember('bench-r');
  try {
    let started = Date.now();
    await primary.ctl.bootstrap();
    const bootstrapMs = Date.now() - started;
    await primary.ctl.syncReplicationSlots({ members: ['bench-r'] });
    started = Date.now();
    await replica.ctl.createReplica({ name: 'bench-p', connUrl: primary.connUrl });
    const basebackupMs = Date.now() - started;
    await replica.ctl.start({ follow: { name: 'bench-p', connUrl: primary.connUrl } });
    await waitFor(async () => (await replica.ctl.observe()).replicationState === 'streaming');
    started = Date.now();
    await replica.ctl.promote();
    const promoteMs = Date.now() - started;
    const childMs = await exitNoticedMs(replica.ctl, pidOf(replica));
    const adopter = PostgresCtl.create(primary.ctl.options);
    await adopter.observe();
    const adoptedMs = await exitNoticedMs(adopter, pidOf(primary));
    await adopter.close();
    return { bootstrapMs, basebackupMs, promoteMs, exitNoticedChildMs: childMs, exitNoticedAdoptedMs: adoptedMs };
  } finally {
    await Promise.all([destroyMember(primary), destroyMember(replica)]);
  }
}

// The watch never holds the event loop open (an agent's own timers do); a bench has none.
const keepAlive = setInterval(() => undefined, 1000);
const rounds = Number(process.argv[2] ?? 3);
const results: Array<Record<string, number>> = [];
for (let index = 0; index < rounds; index++) results.push(await round());
const keys = Object.keys(results[0] ?? {});
for (const key of keys) {
  const values = results.map((result) => result[key] ?? 0).sort((left, right) => left - right);
  process.stdout.write(`${key.padEnd(22)} median ${values[Math.floor(values.length / 2)]} ms  (all: ${values.join(', ')})\n`);
}
clearInterval(keepAlive);
