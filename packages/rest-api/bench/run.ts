/**
 * Benchmark of the hot path (prints, never asserts): `OPTIONS /primary`
 * requests per second with the server pinned to one core (taskset -c 0) and
 * wrk on the other, plus the server's RSS idle and after the load.
 * Usage (in packages/rest-api): npx tsx bench/run.ts [seconds=10] [connections=50]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { healthStatusCode, parseQuery } from '../src/health.js';
import { buildMemberView } from '../src/member-view.js';
import { primarySnapshot } from '../test/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

// Bundle the server to plain JavaScript first, so that the RSS measured is the API's, not a TS loader's.
const buildDirectory = mkdtempSync(join(tmpdir(), 'pgwarden-rest-api-bench-'));
const bundle = join(buildDirectory, 'serve.mjs');
await build({
  entryPoints: [join(here, 'serve.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['pgwarden-source'],
  outfile: bundle,
  // Some CommonJS dependencies of core require() Node built-ins.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'warning',
});

async function startPinned(script: string): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = spawn('taskset', ['-c', '0', process.execPath, script], { cwd: buildDirectory, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  // taskset execs node in place, so the child's pid is the server's.
  return { port, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

const baseline = await startPinned(join(here, 'baseline.mjs'));
const server = await startPinned(bundle);
await new Promise((resolve) => setTimeout(resolve, 3000));
const idle = rssMiB(server.pid);
const baselineIdle = rssMiB(baseline.pid);

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function wrk(label: string, path: string, script?: string, port = server.port, pid = server.pid): void {
  const cpuBefore = cpuSeconds(pid);
  const args = ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, ...(script ? ['-s', join(here, script)] : []), `http://127.0.0.1:${port}${path}`];
  const output = execFileSync('taskset', args, { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const latency = /Latency\s+(\S+)/.exec(output)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? '0';
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  // Requests per CPU-second of the server: what one saturated core serves, less sensitive to a busy machine.
  const perCpuSecond = requests / Math.max(cpuSeconds(pid) - cpuBefore, 0.01);
  process.stdout.write(
    `${label.padEnd(30)} ${String(rps).padStart(10)} req/s  ${perCpuSecond.toFixed(0).padStart(6)} req per server CPU-second  avg latency ${latency}  non-2xx: ${non2xx}\n`,
  );
}

process.stdout.write(`node ${process.version}, server pinned to CPU 0, wrk -t1 -c${connections} -d${seconds}s on CPU 1\n`);
process.stdout.write(`load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
process.stdout.write(`RSS idle (snapshot refreshed every second): ${idle.toFixed(1)} MiB; a bare node net server: ${baselineIdle.toFixed(1)} MiB\n`);
// The bare status line is followed by a close (HTTP/1.0, as Patroni and as HAProxy expects), so
// every OPTIONS request pays a TCP connect: wrk reconnects and counts each close as a "read error".
wrk('OPTIONS /primary (conn/request)', '/primary', 'options.lua');
wrk('  ceiling: bare net server', '/primary', 'options.lua', baseline.port, baseline.pid);
wrk('GET /primary (keep-alive, JSON)', '/primary');
wrk('GET /replica?lag=1MB (503)', '/replica?lag=1MB');
// The decision alone, in process: what a check costs besides TCP and HTTP parsing.
{
  const view = buildMemberView(primarySnapshot({ clusterReadAtMs: Date.now(), lockRenewedAtMs: Date.now() }));
  const calls = 2_000_000;
  const empty = parseQuery('');
  let sink = 0;
  const startedAt = process.hrtime.bigint();
  for (let index = 0; index < calls; index += 1) sink += healthStatusCode(view, '/primary', empty, Date.now());
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  process.stdout.write(`healthStatusCode('/primary') in process: ${(calls / seconds / 1e6).toFixed(1)} M calls/s (${sink > 0 ? 'ok' : '?'})\n`);
}
process.stdout.write(`RSS after load: ${rssMiB(server.pid).toFixed(1)} MiB\n`);
await new Promise((resolve) => setTimeout(resolve, 5000));
process.stdout.write(`RSS 5 s after load: ${rssMiB(server.pid).toFixed(1)} MiB\n`);
server.stop();
baseline.stop();
rmSync(buildDirectory, { recursive: true, force: true });
