/**
 * The command line: patronictl's commands, arguments and flags, defined once
 * with commander (this definition also generates --help and the completion
 * scripts). Each action builds its context lazily, so `--help` and
 * `completion` work without a config file or a DCS.
 */
import { Command, Option } from 'commander';
import { ROLE_CHOICES, type RoleFilter } from './cluster/select-members.js';
import { dsnCommand } from './commands/dsn.js';
import { editConfigCommand } from './commands/edit-config.js';
import { flushCommand } from './commands/flush.js';
import { historyCommand } from './commands/history.js';
import { listCommand } from './commands/list.js';
import { pauseCommand } from './commands/pause.js';
import { queryCommand } from './commands/query.js';
import { reinitCommand } from './commands/reinit.js';
import { reloadCommand } from './commands/reload.js';
import { removeCommand } from './commands/remove.js';
import { restartCommand } from './commands/restart.js';
import { showConfigCommand } from './commands/show-config.js';
import { switchoverCommand } from './commands/switchover.js';
import { CTL_VERSION, versionCommand } from './commands/version.js';
import { watchInterval } from './commands/watch.js';
import type { CtlContext } from './context.js';
import type { CtlIo } from './io.js';
import { OUTPUT_FORMATS, type OutputFormat } from './render/output.js';

export interface GlobalOptions {
  readonly configFile?: string;
  readonly dcsUrl?: string;
  readonly dcs?: string;
  readonly insecure?: boolean;
}

/** Runs a command with its context; returns the exit code. */
export type Runner = (globals: GlobalOptions, run: (ctx: CtlContext) => Promise<number>) => Promise<void>;

/** Extra commands that need no cluster context (completion) or other packages (haproxy). */
export type ProgramExtension = (program: Command, runner: Runner, io: CtlIo) => void;

const groupOption = (): Option => new Option('--group <N>', 'Citus group (not supported: pgwarden has no Citus)').hideHelp();
const roleOption = (defaultRole?: RoleFilter): Option => {
  const option = new Option('-r, --role <ROLE>', 'Members with this role').choices(ROLE_CHOICES);
  return defaultRole === undefined ? option : option.default(defaultRole);
};
const formatOption = (): Option => new Option('-f, --format <FORMAT>', 'Output format').choices(OUTPUT_FORMATS).default('pretty');
const forceOption = (): Option => new Option('--force', 'Do not ask for confirmation at any point');
const watchOptions = (command: Command): Command =>
  command
    .addOption(new Option('-W', 'Auto update the screen every 2 seconds'))
    .addOption(new Option('-w, --watch <SEC>', 'Auto update the screen every X seconds').argParser(parsePositive));

function parsePositive(value: string): string {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new Error(`expected a positive number of seconds, got ${value}`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(runner: Runner, io: CtlIo, extensions: readonly ProgramExtension[] = []): Command {
  const program = new Command('pgwardenctl')
    .description("pgwarden's operator CLI, patronictl-compatible: view and manage a PostgreSQL HA cluster")
    .version(`pgwardenctl version ${CTL_VERSION}`, '--version', 'Print the version and exit')
    .option('-c, --config-file <FILE>', 'Configuration file (default: $PATRONICTL_CONFIG_FILE, else ~/.config/patroni/patronictl.yaml)')
    .option('-d, --dcs-url <URL>', 'The DCS connect url, e.g. etcd3://127.0.0.1:2379[/namespace]')
    .addOption(new Option('--dcs <URL>', 'Alias of --dcs-url').hideHelp())
    .option('-k, --insecure', 'Allow connections to REST APIs without verifying certificates')
    .enablePositionalOptions()
    // Set before the subcommands are added: they inherit both (commander copies settings at creation).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
      // One line, like every other error: commander's message plus where to look.
      outputError: (text, write) => write(`${text.trimEnd()} (see --help)`),
    });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const run = (fn: (ctx: CtlContext) => Promise<number>): Promise<void> => runner(globals(), fn);

  const list = program
    .command('list')
    .description('List the members of the cluster(s): Cluster, Member, Host, Role, State, TL, Lag in MB')
    .argument('[CLUSTER_NAME...]', 'Cluster names (default: scope from the config)')
    .addOption(groupOption())
    .option('-e, --extended', 'Show every column (pending restart, scheduled restart, tags)')
    .option('-t, --timestamp', 'Print a timestamp before each table')
    .addOption(formatOption());
  watchOptions(list).action((names: string[], o: { extended?: boolean; timestamp?: boolean; format: OutputFormat; W?: boolean; watch?: string }) =>
    run((ctx) => listCommand(ctx, names, { ...o, ...optionalWatch(o) })),
  );

  const topology = program
    .command('topology')
    .description('Show the members as the replication tree (leader first, cascading replicas indented)')
    .argument('[CLUSTER_NAME...]', 'Cluster names (default: scope from the config)')
    .addOption(groupOption());
  watchOptions(topology).action((names: string[], o: { W?: boolean; watch?: string }) =>
    run((ctx) => listCommand(ctx, names, { format: 'topology', ...optionalWatch(o) })),
  );

  addSwitchoverCommands(program, run);
  addMemberCommands(program, run);
  addConfigCommands(program, run);

  program
    .command('history')
    .description('Show the timeline history of the cluster')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .addOption(formatOption())
    .action((name: string | undefined, o: { format: OutputFormat }) => run((ctx) => historyCommand(ctx, name, o.format)));

  program
    .command('remove')
    .description('Remove every key of the cluster from the DCS (asks for the cluster name and "Yes I am aware")')
    .argument('<CLUSTER_NAME>')
    .addOption(groupOption())
    .addOption(formatOption())
    .action((name: string, o: { format: OutputFormat }) => run((ctx) => removeCommand(ctx, name, o.format)));

  const query = program
    .command('query')
    .description('Run an SQL statement on the leader, a member or a role')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .addOption(roleOption())
    .option('-m, --member <NAME>', 'Run on this member')
    .option('-c, --command <SQL>', 'The SQL to run')
    .option('-f, --file <FILE>', 'Read the SQL from FILE (- for standard input)')
    .option('-U, --username <USER>', 'Database user')
    .option('--password', 'Ask for the password')
    .option('-d, --dbname <DB>', 'Database name')
    .addOption(new Option('--format <FORMAT>', 'Output format').choices(OUTPUT_FORMATS).default('tsv'))
    .option('--delimiter <D>', 'Column delimiter for tsv', '\t');
  watchOptions(query).action((name: string | undefined, o: Omit<Parameters<typeof queryCommand>[2], 'watchSeconds'> & { W?: boolean; watch?: string }) =>
    run((ctx) => queryCommand(ctx, name, { ...o, ...optionalWatch(o) })),
  );

  program
    .command('dsn')
    .description('Print the connection string (host=H port=P) of the leader, a member or a role')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .addOption(roleOption())
    .option('-m, --member <NAME>', 'This member')
    .action((name: string | undefined, o: { role?: RoleFilter; member?: string }) => run((ctx) => dsnCommand(ctx, name, o)));

  program
    .command('version')
    .description("Print pgwardenctl's version, and with a cluster each member's agent and PostgreSQL versions")
    .argument('[CLUSTER_NAME]')
    .argument('[MEMBER_NAMES...]')
    .addOption(groupOption())
    .action((name: string | undefined, members: string[]) => run((ctx) => versionCommand(ctx, name, members)));

  for (const extension of extensions) extension(program, runner, io);
  return program;
}

function optionalWatch(o: { W?: boolean; watch?: string }): { watchSeconds?: number } {
  const seconds = watchInterval(o.W, o.watch);
  return seconds === undefined ? {} : { watchSeconds: seconds };
}

type Run = (fn: (ctx: CtlContext) => Promise<number>) => Promise<void>;

function addSwitchoverCommands(program: Command, run: Run): void {
  program
    .command('switchover')
    .description('Switch the primary over to a replica, now or at a scheduled time (asks unless --force)')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .option('--leader <NAME>', 'The current leader (alias --primary)')
    .addOption(new Option('--primary <NAME>', 'Alias of --leader').hideHelp())
    .addOption(new Option('--master <NAME>', 'Alias of --leader (Patroni 3.x)').hideHelp())
    .option('--candidate <NAME>', 'The member to promote (default: the healthiest)')
    .option('--scheduled <TIMESTAMP>', 'When, e.g. 2026-11-25T21:00 (local time) or "now"')
    .addOption(forceOption())
    .action((name: string | undefined, o: { leader?: string; primary?: string; master?: string; candidate?: string; scheduled?: string; force?: boolean }) =>
      run((ctx) => switchoverCommand(ctx, name, 'switchover', { ...o, ...leaderOf(o) })),
    );

  program
    .command('failover')
    .description('Promote a specific replica, also when the cluster has no leader (asks unless --force)')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .option('--candidate <NAME>', 'The member to promote')
    .addOption(new Option('--leader <NAME>', 'Deprecated: makes this a switchover').hideHelp())
    .addOption(new Option('--primary <NAME>', 'Deprecated: makes this a switchover').hideHelp())
    .addOption(new Option('--master <NAME>', 'Deprecated: makes this a switchover').hideHelp())
    .addOption(forceOption())
    .action((name: string | undefined, o: { leader?: string; primary?: string; master?: string; candidate?: string; force?: boolean }) =>
      run(async (ctx) => {
        const leader = leaderOf(o);
        if (leader.leader === undefined) return switchoverCommand(ctx, name, 'failover', o);
        ctx.io.err('Warning: failover --leader is deprecated (removed in Patroni 4): use switchover');
        return switchoverCommand(ctx, name, 'switchover', { ...o, ...leader, scheduled: 'now' });
      }),
    );
}

function leaderOf(o: { leader?: string; primary?: string; master?: string }): { leader?: string } {
  const leader = o.leader ?? o.primary ?? o.master;
  return leader === undefined ? {} : { leader };
}

function addMemberCommands(program: Command, run: Run): void {
  program
    .command('restart')
    .description('Restart PostgreSQL on members, now or at a scheduled time (asks unless --force)')
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(groupOption())
    .addOption(roleOption('any'))
    .option('--any', 'Restart a single member only')
    .option('--scheduled <TIMESTAMP>', 'When, e.g. 2026-11-25T21:00 (local time) or "now"')
    .option('--pg-version <VERSION>', 'Restart only if the PostgreSQL version is less than this')
    .option('--pending', 'Restart only members with a pending restart')
    .option('--timeout <SECONDS>', 'Fail over if the restart does not finish within this time (primary only)')
    .addOption(forceOption())
    .action((cluster: string, members: string[], o: Parameters<typeof restartCommand>[3]) => run((ctx) => restartCommand(ctx, cluster, members, o)));

  program
    .command('reload')
    .description("Reload members' configuration (like SIGHUP)")
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(groupOption())
    .addOption(roleOption('any'))
    .addOption(forceOption())
    .action((cluster: string, members: string[], o: { role?: RoleFilter; force?: boolean }) => run((ctx) => reloadCommand(ctx, cluster, members, o)));

  program
    .command('reinit')
    .description('Re-create replicas from the leader (their data directory is wiped)')
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(groupOption())
    .addOption(forceOption())
    .option('--wait', 'Wait until the reinitialize is complete')
    .action((cluster: string, members: string[], o: { force?: boolean; wait?: boolean }) => run((ctx) => reinitCommand(ctx, cluster, members, o)));

  program
    .command('flush')
    .description('Cancel scheduled events: flush CLUSTER [MEMBER...] restart|switchover')
    .argument('<CLUSTER_NAME>')
    .argument('<MEMBERS_AND_TARGET...>', 'Member names (restart only), then restart or switchover')
    .addOption(groupOption())
    .addOption(roleOption('any'))
    .addOption(forceOption())
    .action((cluster: string, rest: string[], o: { role?: RoleFilter; force?: boolean }) => run((ctx) => flushCommand(ctx, cluster, rest, o)));

  for (const [name, paused] of [['pause', true], ['resume', false]] as const) {
    program
      .command(name)
      .description(paused ? 'Put the cluster in maintenance mode: the agents stop managing PostgreSQL' : 'Leave maintenance mode')
      .argument('[CLUSTER_NAME]')
      .addOption(groupOption())
      .option('--wait', 'Wait until every member recognised the change')
      .action((cluster: string | undefined, o: { wait?: boolean }) => run((ctx) => pauseCommand(ctx, cluster, paused, o)));
  }
}

function addConfigCommands(program: Command, run: Run): void {
  program
    .command('edit-config')
    .description('Edit the dynamic configuration in the DCS: editor, --set, --pg, --apply or --replace; shows the diff and asks')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .option('-q, --quiet', 'Do not show the diff')
    .option('-s, --set <KEY=VALUE>', 'Set a value by dotted path, e.g. loop_wait=5 (VALUE is YAML; null deletes); repeatable', collect)
    .option('-p, --pg <KEY=VALUE>', 'Set a PostgreSQL parameter, e.g. max_connections=200; repeatable', collect)
    .option('--apply <FILE>', 'Merge the YAML of FILE (- for standard input) into the configuration')
    .option('--replace <FILE>', 'Replace the configuration by the YAML of FILE (- for standard input)')
    .addOption(forceOption())
    .action((cluster: string | undefined, o: Parameters<typeof editConfigCommand>[2]) => run((ctx) => editConfigCommand(ctx, cluster, o)));

  program
    .command('show-config')
    .description('Show the dynamic configuration of the cluster (the DCS /config key) as YAML')
    .argument('[CLUSTER_NAME]')
    .addOption(groupOption())
    .action((cluster: string | undefined) => run((ctx) => showConfigCommand(ctx, cluster)));
}
