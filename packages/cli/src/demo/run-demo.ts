#!/usr/bin/env node
/**
 * `bash scripts/demo.sh` ends here: start the local demo cluster, print
 * `pgwardenctl list` and how to connect, keep running until Ctrl-C (or
 * SIGTERM), then stop everything that was started and remove its data.
 *
 *   run-demo [--free-ports] [--from-source] [--state-file FILE] [--timeout SECONDS]
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCtl } from '../ctl/main.js';
import { DEMO_CREDENTIALS, MEMBER_NAMES } from './demo-config.js';
import { startDemoCluster, type DemoCluster } from './demo-cluster.js';
import { choosePorts } from './demo-ports.js';
import { cleanStaleDemo } from './demo-processes.js';

interface DemoArgs {
  readonly freePorts: boolean;
  readonly fromSource: boolean;
  readonly stateFile: string;
  readonly timeoutSeconds: number;
}

function parseArgs(argv: readonly string[]): DemoArgs {
  let freePorts = false;
  let fromSource = false;
  let stateFile = join(tmpdir(), 'pgwarden-demo.state.json');
  let timeoutSeconds = 180;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--free-ports') freePorts = true;
    else if (arg === '--from-source') fromSource = true;
    else if (arg === '--state-file') stateFile = argv[++index] ?? stateFile;
    else if (arg === '--timeout') timeoutSeconds = Number(argv[++index]);
    else throw new Error(`unknown option ${arg} (options: --free-ports, --from-source, --state-file FILE, --timeout SECONDS)`);
  }
  return { freePorts, fromSource, stateFile, timeoutSeconds };
}

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'packages', 'cli', 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the pgwarden repository around the demo runner');
    dir = parent;
  }
  return dir;
}

function agentCommand(repoRoot: string, fromSource: boolean): [string, ...string[]] {
  // --single-threaded: as the installed command (packages/cli/bin/pgwarden) runs the agent.
  if (fromSource) return [process.execPath, '--single-threaded', '--import', 'tsx', '--conditions=pgwarden-source', join(repoRoot, 'packages/cli/src/bin/pgwarden.ts')];
  const bin = join(repoRoot, 'packages/cli/dist/bin/pgwarden.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx turbo run build)`);
  return [process.execPath, '--single-threaded', bin];
}

function connectionHelp(demo: DemoCluster, repoRoot: string): string {
  const { ports } = demo.plan;
  const { username, password } = DEMO_CREDENTIALS.superuser;
  const dsn = (port: number): string => `psql "host=127.0.0.1 port=${port} user=${username} password=${password} dbname=postgres"`;
  const members = MEMBER_NAMES.map(
    (name, index) => `    ${name}  PostgreSQL 127.0.0.1:${ports.postgres[index]}   REST API http://127.0.0.1:${ports.restApi[index]}/patroni`,
  );
  const ctl = existsSync(join(repoRoot, 'node_modules/.bin/pgwardenctl')) ? 'npx pgwardenctl' : 'node packages/cli/dist/bin/pgwardenctl.js';
  return [
    '',
    `Connect through HAProxy:`,
    `  primary (read-write):  ${dsn(ports.haproxyPrimary)}`,
    `  replicas (read-only):  ${dsn(ports.haproxyReplicas)}`,
    `  HAProxy stats:         http://127.0.0.1:${ports.haproxyStats}/`,
    `Members:`,
    ...members,
    '',
    `Operate it from another terminal (in ${repoRoot}):`,
    `  export PATRONICTL_CONFIG_FILE=${demo.ctlConfigPath}`,
    `  ${ctl} list`,
    `  ${ctl} switchover --candidate node2 --force`,
    `  ${ctl} topology; ${ctl} history; ${ctl} show-config`,
    '',
    `Data and logs: ${demo.plan.baseDir} (logs/ has one file per process)`,
    'Press Ctrl-C to stop the cluster and remove its data.',
  ].join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const say = (text: string): void => void process.stdout.write(`${text}\n`);
  const repoRoot = findRepoRoot();
  let stopping: Promise<void> | undefined;
  let demo: DemoCluster | undefined;
  let interrupted = false;
  const startup = new AbortController();
  // Installed before anything starts: an interrupt during start-up or clean-up waits for it to finish, then stops.
  const onSignal = (): void => {
    interrupted = true;
    startup.abort();
    if (demo === undefined || stopping !== undefined) return;
    say('\nStopping the demo cluster...');
    stopping = demo.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await cleanStaleDemo(args.stateFile, say);
  if (interrupted) return 130;
  const ports = await choosePorts(undefined, !args.freePorts);
  const started = performance.now();
  demo = await startDemoCluster({ ports, stateFile: args.stateFile, agentCommand: agentCommand(repoRoot, args.fromSource), repoRoot, say, readyTimeoutMs: args.timeoutSeconds * 1000, signal: startup.signal });
  say(`\nThe cluster is healthy (${((performance.now() - started) / 1000).toFixed(1)} s).\n`);
  await runCtl(['-c', demo.ctlConfigPath, 'list']);
  say(connectionHelp(demo, repoRoot));
  if (interrupted) onSignal();
  await new Promise<void>((resolveWait) => {
    const check = setInterval(() => {
      if (stopping !== undefined) {
        clearInterval(check);
        resolveWait();
      }
    }, 200);
  });
  await stopping;
  say(`Stopped every process of the demo and removed ${demo.plan.baseDir}.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
