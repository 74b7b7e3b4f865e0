/**
 * `haproxy [CLUSTER_NAME]`: the haproxy.cfg that routes clients to this
 * cluster (primary port to the leader, replica port to healthy replicas, by
 * the members' REST API health checks), rendered by @pgwarden/haproxy-gen from
 * the cluster read in the DCS. Printed, or with `--output FILE` checked by
 * `haproxy -c` and installed atomically (and HAProxy reloaded on request).
 */
import { PgwardenError } from '@pgwarden/core';
import { installHaproxyConfig, parseHaproxyOptions, renderHaproxyConfig, type HaproxyOptionsInput, type ReloadMethod } from '@pgwarden/haproxy-gen';
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { CtlContext } from '../context.js';
import type { Runner } from '../program.js';
import { parseYaml11 } from '../render/config-yaml.js';

export interface HaproxyCommandOptions {
  readonly output?: string;
  readonly options?: string;
  readonly bind?: string;
  readonly primaryPort?: string;
  readonly replicaPort?: string;
  readonly statsPort?: string;
  readonly reloadPidFile?: string;
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new PgwardenError('usage', `${flag} must be a port number, got ${value}`);
  return number;
}

function readOptionsFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  const parsed = parseYaml11(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PgwardenError('usage', `${path} must hold a YAML mapping of haproxy options`);
  return parsed as Record<string, unknown>;
}

export function haproxyOptionsFrom(clusterName: string, options: HaproxyCommandOptions): HaproxyOptionsInput {
  const input: Record<string, unknown> = { clusterName, ...readOptionsFile(options.options) };
  if (options.bind !== undefined) input['bindAddress'] = options.bind;
  const primary = port(options.primaryPort, '--primary-port');
  if (primary !== undefined) input['primary'] = { port: primary };
  const replica = port(options.replicaPort, '--replica-port');
  if (replica !== undefined) input['replicas'] = { ...(input['replicas'] as object | undefined), port: replica };
  const stats = port(options.statsPort, '--stats-port');
  if (stats !== undefined) input['stats'] = { port: stats };
  return parseHaproxyOptions(input);
}

export async function haproxyCommand(ctx: CtlContext, clusterArg: string | undefined, options: HaproxyCommandOptions): Promise<number> {
  const name = ctx.clusterName(clusterArg);
  const cluster = await ctx.readCluster(name);
  const text = renderHaproxyConfig(cluster, haproxyOptionsFrom(name, options));
  if (options.output === undefined) {
    ctx.io.out(text.trimEnd());
    return 0;
  }
  const reload: ReloadMethod = options.reloadPidFile !== undefined ? { method: 'signal', pidFile: options.reloadPidFile } : { method: 'none' };
  const result = await installHaproxyConfig(text, { path: options.output, reload });
  for (const warning of result.warnings) ctx.io.err(`haproxy: ${warning}`);
  ctx.io.out(result.changed ? `Wrote ${options.output}${result.reloaded ? ' and reloaded HAProxy' : ''}` : `${options.output} is up to date`);
  return 0;
}

export function registerHaproxy(program: Command, runner: Runner): void {
  program
    .command('haproxy')
    .description('Print the haproxy.cfg for the cluster read from the DCS (or install it with --output FILE)')
    .argument('[CLUSTER_NAME]')
    .option('-o, --output <FILE>', 'Check the config with haproxy -c and write it to FILE atomically')
    .option('--options <FILE>', 'YAML file of haproxy-gen options (ports, timeouts, stats, TLS...)')
    .option('--bind <ADDRESS>', 'Address HAProxy listens on (default *)')
    .option('--primary-port <PORT>', 'Read-write port, to the leader (default 5000)')
    .option('--replica-port <PORT>', 'Read-only port, to healthy replicas (default 5001)')
    .option('--stats-port <PORT>', 'Serve the HAProxy stats page on this port')
    .addOption(new Option('--reload-pid-file <FILE>', 'After --output, reload the HAProxy whose master PID is in FILE'))
    .action((cluster: string | undefined, o: HaproxyCommandOptions) =>
      runner(program.opts(), (ctx) => haproxyCommand(ctx, cluster, o)),
    );
}
