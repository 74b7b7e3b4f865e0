/**
 * Entry of the `pgwarden` bin, Patroni's command line:
 *   pgwarden [CONFIG]                      run the agent
 *   pgwarden --validate-config [CONFIG]    check the configuration, print every problem, exit 1 if any error
 *   pgwarden --generate-sample-config [FILE]  print (or write) a commented sample configuration
 *   pgwarden --generate-config [--dsn DSN] [FILE]  the configuration of a running PostgreSQL
 *   pgwarden --version | --help             `pgwarden X.Y.Z`, as Patroni prints `patroni X.Y.Z`
 * CONFIG is a YAML file or a directory of them; without it the configuration
 * comes from PATRONI_CONFIGURATION / PATRONI_* variables. Problems are printed
 * one per line (file:line:column: key: what is wrong), never as a stack trace.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { formatConfigIssue, type ConfigIssue } from '@pgwarden/core';
import { loadConfigFile, runAgent as runDaemonAgent } from '@pgwarden/daemon';
import { generateConfig } from './generate-config.js';
import { renderSampleConfig } from './sample-config.js';

export interface AgentCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const defaultIo: AgentCliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** The version of @pgwarden/cli, found by walking up from this module (works from src and dist). */
function packageVersion(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@pgwarden/cli' && manifest.version) return manifest.version;
    } catch {
      // not here; look one level up
    }
    directory = dirname(directory);
  }
  return 'unknown';
}

/** The first non-internal IPv4 address of this host: what other members would connect to. */
function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

const DEBIAN_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** Prints the sample, or writes it to FILE; an existing file is never overwritten. */
function generateSampleConfig(file: string | undefined, io: AgentCliIo): number {
  const text = renderSampleConfig({
    name: hostname(),
    address: hostAddress(),
    ...(existsSync(join(DEBIAN_BIN_DIR, 'postgres')) ? { binDir: DEBIAN_BIN_DIR } : {}),
  });
  return printOrWrite(text, file, io);
}

/** Patroni's --generate-config: from the PostgreSQL the DSN (or the PG* variables) reaches. */
async function generateRunningConfig(file: string | undefined, dsn: string | undefined, io: AgentCliIo): Promise<number> {
  if (file !== undefined && existsSync(file)) {
    io.stderr(`pgwarden: ${file} exists; not overwriting it (remove it or name another file)\n`);
    return 1;
  }
  const text = await generateConfig({ dsn, env: io.env, hostname: hostname(), address: hostAddress() });
  return printOrWrite(text, file, io);
}

/** The text on stdout, or in FILE (mode 0600: it may hold a password); an existing file is never overwritten. */
function printOrWrite(text: string, file: string | undefined, io: AgentCliIo): number {
  if (file === undefined) {
    io.stdout(text);
    return 0;
  }
  if (existsSync(file)) {
    io.stderr(`pgwarden: ${file} exists; not overwriting it (remove it or name another file)\n`);
    return 1;
  }
  writeFileSync(file, text, { mode: 0o600 });
  return 0;
}

function printIssues(issues: readonly ConfigIssue[], io: AgentCliIo): void {
  for (const issue of issues) io.stderr(`${formatConfigIssue(issue)}\n`);
}

async function validate(configPath: string | undefined, io: AgentCliIo): Promise<number> {
  const result = await loadConfigFile(configPath, { env: io.env, mode: 'validate' });
  if (!result.ok) {
    printIssues(result.issues, io);
    return 1;
  }
  printIssues(result.warnings, io);
  return 0;
}

/**
 * Loads the configuration first so its problems print like --validate-config's,
 * then runs the daemon. The agent keeps a snapshot of the environment (a
 * SIGHUP reload overlays the same PATRONI_* values again) while the consumed
 * variables leave the process environment, so they do not leak into
 * PostgreSQL, callbacks and scripts (as Patroni does).
 */
async function runAgent(configPath: string | undefined, io: AgentCliIo): Promise<number> {
  const env = { ...io.env };
  const result = await loadConfigFile(configPath, { env, mode: 'run' });
  if (!result.ok) {
    printIssues(result.issues, io);
    return 1;
  }
  printIssues(result.warnings, io);
  if (io.env === process.env) for (const name of result.consumedEnv) delete process.env[name];
  return runDaemonAgent({ ...(configPath === undefined ? {} : { configPath }), env, config: result.config });
}

interface ChosenCommand {
  mode: 'run' | 'validate' | 'sample' | 'generate';
  configPath: string | undefined;
  dsn: string | undefined;
}

function buildProgram(io: AgentCliIo, chosen: ChosenCommand): Command {
  return new Command('pgwarden')
    .description('High availability for PostgreSQL: the agent (a drop-in replacement for Patroni)')
    .argument('[CONFIG]', 'Patroni-style YAML configuration file, or a directory of *.yml files')
    .option('--validate-config', 'check the configuration: print every problem and exit 1, or exit 0')
    .option('--generate-sample-config', 'print a commented sample configuration, or write it to the file named (never overwritten)')
    .option('--generate-config', 'print the configuration of the running PostgreSQL (--dsn, or the PG* variables), or write it to the file named')
    .option('--dsn <DSN>', 'with --generate-config: the libpq connection string of a superuser (URI or key=value)')
    .version(`pgwarden ${packageVersion()}`, '--version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .action((configPath: string | undefined, options: { validateConfig?: boolean; generateSampleConfig?: boolean; generateConfig?: boolean; dsn?: string }) => {
      if (options.dsn !== undefined && options.generateConfig !== true) {
        io.stderr('pgwarden: --dsn goes with --generate-config\n');
        throw new CommanderError(2, 'pgwarden.dsn', '--dsn goes with --generate-config');
      }
      chosen.mode = options.generateSampleConfig === true ? 'sample' : options.generateConfig === true ? 'generate' : options.validateConfig === true ? 'validate' : 'run';
      chosen.configPath = configPath;
      chosen.dsn = options.dsn;
    });
}

/** Runs the `pgwarden` command line; returns the exit code. */
export async function runAgentCli(argv: readonly string[], io: AgentCliIo = defaultIo): Promise<number> {
  const chosen: ChosenCommand = { mode: 'run', configPath: undefined, dsn: undefined };
  try {
    buildProgram(io, chosen).parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  try {
    if (chosen.mode === 'sample') return generateSampleConfig(chosen.configPath, io);
    if (chosen.mode === 'generate') return await generateRunningConfig(chosen.configPath, chosen.dsn, io);
    return chosen.mode === 'validate' ? await validate(chosen.configPath, io) : await runAgent(chosen.configPath, io);
  } catch (error) {
    // An unexpected failure still gets one readable line; the detail goes to the agent's log.
    io.stderr(`pgwarden: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
