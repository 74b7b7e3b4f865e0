/**
 * `npm run bench`: pgwarden beside Patroni on real parts (PostgreSQL 15,
 * etcd, HAProxy), the scenarios an operator cares about, one table at the
 * end. It prints; it never asserts.
 *
 *   node --conditions=pgwarden-source --import tsx bench/run.ts
 *     [--runs N]          runs per scenario and implementation (default 3)
 *     [--only a,b]        scenarios: bootstrap, switchover-direct, switchover-haproxy,
 *                         failover-default, failover-fast, postmaster-crash, idle, idle-haproxy,
 *                         rest-throughput, rest-backlog
 *     [--no-patroni]      pgwarden only (also when /usr/bin/patroni is missing)
 *     [--out FILE]        also write the table as Markdown to FILE
 *     [--no-build]        use packages/cli/dist as it is (default: build it with turbo first)
 *
 * Runs are interleaved — pgwarden run 1, Patroni run 1, pgwarden run 2, … —
 * so that load from elsewhere on the machine falls on both alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { DEFAULT_TIMINGS, FAST_TIMINGS, PGWARDEN_BIN, PGWARDEN_COMMAND, commandNodeFlags, patroni, patroniInstalled, pgwarden, repositoryRoot, type Implementation } from './implementations.js';
import { METRICS, SCENARIOS, restTool, runSession, type Scenario } from './scenarios.js';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench -- [--runs N] [--only ${SCENARIOS.join(',')}] [--no-patroni] [--out FILE] [--no-build]\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a value`);
  return value;
};
for (const word of argv) {
  if (word.startsWith('--') && !['--runs', '--only', '--no-patroni', '--out', '--no-build'].includes(word)) usage(`unknown option ${word}`);
}
const runs = Number(option('--runs') ?? 3);
if (!Number.isInteger(runs) || runs < 1) usage('--runs must be a positive integer');
const onlyText = option('--only');
const selected = new Set<Scenario>((onlyText?.split(',').map((word) => word.trim()).filter(Boolean) ?? [...SCENARIOS]) as Scenario[]);
for (const scenario of selected) if (!SCENARIOS.includes(scenario)) usage(`unknown scenario ${scenario}`);
const outFile = option('--out');
const withPatroni = !argv.includes('--no-patroni') && patroniInstalled();
const implementations: Implementation[] = withPatroni ? [pgwarden, patroni] : [pgwarden];

const startedAt = performance.now();
const log = (text: string): void => {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(5);
  process.stdout.write(`[${seconds}s] ${text}\n`);
};

// Everything started is stopped on Ctrl-C too: the guards stop clusters and HAProxy by PID.
const guards = new Set<() => Promise<void>>();
let interrupted = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log(`${signal}: stopping everything started (again to quit at once)`);
  void Promise.allSettled([...guards].map((stop) => stop())).then(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

if (!argv.includes('--no-build')) {
  log('building the pgwarden bundle: npx turbo run build --filter=@pgwarden/cli...');
  try {
    execFileSync('npx', ['turbo', 'run', 'build', '--filter=@pgwarden/cli...', '--output-logs=errors-only'], { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    process.stderr.write('the build failed; fix it or run with --no-build on the bundle as it is\n');
    process.exit(1);
  }
}
if (!existsSync(PGWARDEN_BIN)) {
  process.stderr.write(`${PGWARDEN_BIN} is missing: build it with npx turbo run build --filter=@pgwarden/cli...\n`);
  process.exit(1);
}

const samples = new Map<string, number[]>(); // `${implementation}|${metric key}` → one value per run
const notes = new Set<string>();
const failures = new Map<string, number>(); // `${implementation}|${scenario}` → runs that failed

for (let run = 1; run <= runs && !interrupted; run++) {
  for (const implementation of implementations) {
    if (interrupted) break;
    log(`— run ${run}/${runs}: ${implementation.name}`);
    try {
      await runSession({
        implementation,
        selected,
        record: (key, value) => {
          const id = `${implementation.name}|${key}`;
          samples.set(id, [...(samples.get(id) ?? []), value]);
        },
        note: (text) => notes.add(text),
        failed: (scenario) => {
          const id = `${implementation.name}|${scenario}`;
          failures.set(id, (failures.get(id) ?? 0) + 1);
        },
        log: (text) => log(`${implementation.name}: ${text}`),
        guard: (stop) => {
          guards.add(stop);
          return () => guards.delete(stop);
        },
      });
    } catch (error) {
      if (interrupted) break;
      notes.add(`${implementation.name} run ${run} could not start its cluster: ${String(error).split('\n')[0]}`);
      for (const scenario of selected) failures.set(`${implementation.name}|${scenario}`, (failures.get(`${implementation.name}|${scenario}`) ?? 0) + 1);
      log(`${implementation.name}: run ${run} failed: ${String(error)}`);
    }
  }
}
if (interrupted) await new Promise(() => undefined); // the signal handler exits once everything is stopped

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function cell(values: readonly number[] | undefined, digits: number, failed: number): string {
  const failedText = failed > 0 ? `${failed} run${failed > 1 ? 's' : ''} failed` : '';
  if (values === undefined || values.length === 0) return failedText === '' ? '—' : `— (${failedText})`;
  const f = (value: number): string => value.toFixed(digits);
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))}, n=${values.length}${failedText === '' ? '' : `; ${failedText}`})`;
}

function ratio(a: readonly number[] | undefined, b: readonly number[] | undefined): string {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return '—';
  const divisor = median(b);
  if (divisor === 0) return median(a) === 0 ? '1.00' : '—';
  return (median(a) / divisor).toFixed(2);
}

const header = ['scenario', 'unit', 'pgwarden median (min–max, n)', ...(withPatroni ? ['Patroni median (min–max, n)', 'ratio pgwarden/Patroni'] : [])];
const rows: string[][] = [];
for (const metric of METRICS) {
  if (!selected.has(metric.scenario)) continue;
  const ours = samples.get(`pgwarden|${metric.key}`);
  const theirs = samples.get(`patroni|${metric.key}`);
  const failedRuns = (name: string): number => failures.get(`${name}|${metric.scenario}`) ?? 0;
  rows.push([metric.label, metric.unit, cell(ours, metric.digits, failedRuns('pgwarden')), ...(withPatroni ? [cell(theirs, metric.digits, failedRuns('patroni')), ratio(ours, theirs)] : [])]);
}

const patroniVersion = withPatroni ? (() => {
  try {
    return execFileSync('/usr/bin/patroni', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'patroni';
  }
})() : undefined;
const fixedNotes = [
  `${runs} run(s) per scenario; ${withPatroni ? 'runs interleaved pgwarden/Patroni' : 'Patroni not run'}; wall time ${((performance.now() - startedAt) / 60_000).toFixed(1)} min; ${cpus().length} CPUs, machine shared with other work.`,
  `pgwarden: the pgwarden command (${PGWARDEN_COMMAND.replace(`${repositoryRoot}/`, '')}: the built bundle with the command's V8 flags, ${commandNodeFlags(PGWARDEN_COMMAND).join(' ') || 'none'}) on ${process.env['PGWARDEN_NODE'] === undefined ? `Node ${process.version}` : `PGWARDEN_NODE=${process.env['PGWARDEN_NODE']}`}${patroniVersion ? `; Patroni: Debian's ${patroniVersion} (/usr/bin/patroni) as the postgres user` : ''}; PostgreSQL 15, one etcd, 3 members, the same generated YAML.`,
  `Timings: ttl ${DEFAULT_TIMINGS.ttl} / loop_wait ${DEFAULT_TIMINGS.loopWait} / retry_timeout ${DEFAULT_TIMINGS.retryTimeout} everywhere but failover-fast (ttl ${FAST_TIMINGS.ttl} / loop_wait ${FAST_TIMINGS.loopWait} / retry_timeout ${FAST_TIMINGS.retryTimeout}${withPatroni ? '; Patroni is given the same YAML — 3.0.2 has no ttl floor and keeps ttl 5 as given, its log says "Watchdog not supported because leader TTL 5 is less than 2x loop_wait 1"' : ''}). A failover run fails when no new primary is writable within 120 s (failover-default) or 60 s (failover-fast).`,
  'Writes: one row per INSERT, reconnecting on error, every member tried at once with target_session_attrs=read-write semantics (ReadWriteWriter); gap = longest time between two acknowledged writes. Standing sessions: one session per member opened before the switchover, an INSERT every 10 ms on each; the longest time no member accepted one, on a switchover of its own without the reconnecting writer (whose reconnects load the servers: together, the servers\' gap doubled).',
  'Host death: SIGKILL of the leader\'s agent, postmaster and every process below them at once. HAProxy: haproxy-gen\'s rendered config, default checks (OPTIONS /primary, inter 1s, fastinter/downinter 100ms, fall 3, rise 2).',
  ...(selected.has('rest-throughput') || selected.has('rest-backlog') ? [`REST throughput measured with ${await restTool()}; rest-throughput with the default listen backlog (request_queue_size 5, which Patroni 3.0.2 cannot change), rest-backlog on a one-member pgwarden cluster with request_queue_size raised.`] : []),
  ...(selected.has('idle') ? ['Idle: 60 s settle (a Node agent compiles and compacts its heap once in its first half-minute), then 60 s, and CPU again in the 4th minute (WAL positions still move now and then in the first ~3 minutes of a new cluster); RSS = VmRSS of the agent process (it counts the pages of the agent\'s binary, which all agents on a host share with each other and the page cache), RssAnon = its own memory, PSS = RSS with each shared page divided among the processes that map it (/proc/PID/smaps_rollup); CPU = utime+stime; etcd = delta of grpc_server_handled_total (all 3 agents together; a long-lived watch stream counts only when it ends).'] : []),
  ...(selected.has('idle-haproxy') ? ['Idle behind HAProxy: haproxy-gen\'s default checks (every member is down in one backend and asked every 100 ms there, every second in the other: ~11 checks a second, each on a new connection) in front of either agent, 30 s, then CPU over 60 s.'] : []),
  'Ratio < 1: pgwarden\'s figure is smaller (better for times, RSS, CPU, lost writes; worse for req/s).',
];

const markdownTable = [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n');
const allNotes = [...fixedNotes, ...notes];

function plainTable(): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((text, column) => text.padEnd(widths[column]!)).join(' | ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-+-'), ...rows.map(line)].join('\n');
}

process.stdout.write(`\n${plainTable()}\n\nNotes:\n${allNotes.map((note) => `- ${note}`).join('\n')}\n`);
if (outFile !== undefined) {
  writeFileSync(outFile, `# pgwarden beside Patroni — \`npm run bench\`\n\n${markdownTable}\n\n${allNotes.map((note) => `- ${note}`).join('\n')}\n`);
  log(`table written to ${outFile}`);
}
process.exit(0);
