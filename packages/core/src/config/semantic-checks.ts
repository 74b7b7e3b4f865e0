/**
 * Checks beyond value types: Patroni's timing rule on bootstrap.dcs, and the
 * warnings about settings that are silently ignored where they were written
 * (a person who wrote them expects them to work).
 */
import type { ConfigIssue } from './issues.js';
import { getAtPath, isConfigMap, type ConfigMap } from './merge.js';
import { commandLineParameterName } from './postgres-parameters.js';
import type { PatroniConfig } from './schema.js';
import { fastProfileProblem, isFastProfile } from './fast-profile.js';
import { adjustTimeouts, TIMEOUT_DEFAULTS, TIMEOUT_MINIMUMS, type Timeouts } from './timeouts.js';
import { parseInteger } from './value-parsers.js';
import { locatePath, makeIssue, type IssueLocator } from './zod-issues.js';
import { formatConfigPath } from './issues.js';

/** Keys of the dynamic configuration that have no effect at the top level of the local file. */
const DYNAMIC_ONLY_KEYS = [
  'ttl', 'loop_wait', 'retry_timeout', 'maximum_lag_on_failover', 'maximum_lag_on_syncnode', 'max_timelines_history',
  'primary_start_timeout', 'master_start_timeout', 'primary_stop_timeout', 'master_stop_timeout', 'check_timeline',
  'synchronous_mode', 'synchronous_mode_strict', 'synchronous_node_count', 'failsafe_mode', 'pause', 'slots',
  'permanent_slots', 'permanent_replication_slots', 'ignore_slots', 'standby_cluster',
];

function warningAt(path: (string | number)[], message: string, locator: IssueLocator): ConfigIssue {
  const source = locatePath(path, locator);
  return { severity: 'warning', path: formatConfigPath(path), message, ...(source ? { source } : {}) };
}

/**
 * bootstrap.dcs timings: errors for `--validate-config`, warnings (and
 * adjustment) for the agent. Values below Patroni's floors are the fast
 * profile: accepted when its fence argument holds, refused in both modes
 * (with the condition that fails) when it does not — an operator who asked
 * for fast failover must not silently get Patroni's 20 s.
 */
export function checkTimingRules(config: ConfigMap, mode: 'validate' | 'run', locator: IssueLocator): ConfigIssue[] {
  const dcs = getAtPath(config, ['bootstrap', 'dcs']);
  if (!isConfigMap(dcs)) return [];
  const severity = mode === 'validate' ? 'error' : 'warning';
  const issues: ConfigIssue[] = [];
  const values: Record<keyof Timeouts, number> = { ...TIMEOUT_DEFAULTS };
  for (const name of ['ttl', 'loop_wait', 'retry_timeout'] as const) {
    const value = parseInteger(dcs[name]);
    if (value !== undefined) values[name] = value;
  }
  if (isFastProfile(values)) {
    const safetyMargin = parseInteger(getAtPath(config, ['watchdog', 'safety_margin']));
    const problem = fastProfileProblem({ ...values, ...(safetyMargin !== undefined ? { safety_margin: safetyMargin } : {}) });
    if (problem === undefined) {
      // Safe (a key that outlives our fence only delays the takeover), but not fast.
      if (!isConfigMap(getAtPath(config, ['consul']))) return [];
      const path = ['bootstrap', 'dcs', 'ttl'];
      const source = locatePath(path, locator);
      return [
        {
          severity: 'warning',
          path: formatConfigPath(path),
          message:
            `the fast timing profile on Consul stays safe but is not fast: Consul keeps a session at least its SessionTTLMin (10 s by default) ` +
            `and may wait twice that before it releases the leader key, so a failover takes 20 s or more; etcd3, ZooKeeper or Redis honour ttl=${values.ttl}`,
          ...(source ? { source } : {}),
        },
      ];
    }
    const name = (['ttl', 'retry_timeout', 'loop_wait'] as const).find((key) => dcs[key] !== undefined && values[key] < TIMEOUT_MINIMUMS[key]) ?? 'ttl';
    const path = ['bootstrap', 'dcs', name];
    const source = locatePath(path, locator);
    return [
      {
        severity: 'error',
        path: formatConfigPath(path),
        message: `${name}=${values[name]} is below Patroni's minimum ${TIMEOUT_MINIMUMS[name]} and the fast timing profile can not run it: ${problem}`,
        expected: `an integer >= ${TIMEOUT_MINIMUMS[name]}, or values that satisfy the fast profile`,
        found: String(values[name]),
        ...(source ? { source } : {}),
      },
    ];
  }
  for (const name of ['ttl', 'loop_wait', 'retry_timeout'] as const) {
    if (dcs[name] !== undefined && values[name] < TIMEOUT_MINIMUMS[name]) {
      issues.push(makeIssue(severity, ['bootstrap', 'dcs', name], `an integer >= ${TIMEOUT_MINIMUMS[name]}`, config, locator));
    }
  }
  if (issues.length > 0) return issues;
  if (values.loop_wait + 2 * values.retry_timeout > values.ttl) {
    const adjusted = adjustTimeouts(values);
    const path = dcs['loop_wait'] !== undefined ? ['bootstrap', 'dcs', 'loop_wait'] : ['bootstrap', 'dcs', 'ttl'];
    const source = locatePath(path, locator);
    issues.push({
      severity,
      path: formatConfigPath(path),
      message:
        `loop_wait + 2*retry_timeout must be <= ttl, found ${values.loop_wait} + 2*${values.retry_timeout} > ${values.ttl}` +
        ` (the agent would run with loop_wait=${adjusted.loop_wait}, retry_timeout=${adjusted.retry_timeout})`,
      expected: `loop_wait + 2*retry_timeout <= ${values.ttl}`,
      found: `${values.loop_wait + 2 * values.retry_timeout}`,
      ...(source ? { source } : {}),
    });
  }
  return issues;
}

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

/** The host part of `host:port` (`[::1]:8008` → `::1`; `:8008` → ``). */
function listenHost(listen: string): string {
  const colon = listen.lastIndexOf(':');
  const host = colon >= 0 ? listen.slice(0, colon) : listen;
  return host.replace(/^\[(.*)\]$/, '$1');
}

/**
 * A REST API reachable beyond this machine without `restapi.authentication`
 * lets anyone who reaches it switch over, restart, reinitialise or
 * reconfigure the cluster (Patroni allows it; pgwarden says so at start-up
 * and in --validate-config). Undefined when it listens on loopback only or
 * asks for a password.
 */
export function restApiExposureWarning(config: PatroniConfig): string | undefined {
  const hosts = listenHost(config.restapi.listen).split(',').map((host) => host.trim());
  if (config.restapi.authentication !== undefined || hosts.every((host) => LOOPBACK_HOST.test(host))) return undefined;
  const where = hosts.map((host) => (host === '' || host === '*' || host === '0.0.0.0' || host === '::' ? `all addresses (${host || 'empty host'})` : host)).join(', ');
  return `the REST API listens on ${where} without restapi.authentication: anyone who can reach it may switch over, restart, reinitialize or reconfigure the cluster; set restapi.authentication (username, password) or listen on 127.0.0.1`;
}

/** Settings that are ignored where they are written, and contradictions Patroni only logs. */
export function collectWarnings(config: PatroniConfig, raw: ConfigMap, locator: IssueLocator): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const key of DYNAMIC_ONLY_KEYS) {
    if (raw[key] !== undefined) {
      warnings.push(warningAt([key], 'has no effect in the local configuration: set it under bootstrap.dcs for a new cluster, or with `pgwardenctl edit-config`', locator));
    }
  }
  if (config.postgresql.use_slots !== undefined) {
    warnings.push(warningAt(['postgresql', 'use_slots'], 'is taken only from the dynamic configuration (bootstrap.dcs.postgresql.use_slots)', locator));
  }
  for (const name of Object.keys(config.postgresql.parameters ?? {})) {
    if (commandLineParameterName(name) !== undefined) {
      warnings.push(warningAt(['postgresql', 'parameters', name], 'is ignored locally: it must be equal on all members, set it in bootstrap.dcs.postgresql.parameters or with `pgwardenctl edit-config`', locator));
    }
  }
  const exposure = restApiExposureWarning(config);
  if (exposure !== undefined) warnings.push(warningAt(['restapi', 'listen'], exposure, locator));
  const { nofailover, failover_priority: priority } = config.tags;
  if (nofailover !== undefined && priority !== undefined && nofailover === priority > 0) {
    warnings.push(warningAt(['tags', 'nofailover'], `contradicts failover_priority=${priority}; nofailover wins`, locator));
  }
  const { nosync, sync_priority: syncPriority } = config.tags;
  if (nosync !== undefined && syncPriority !== undefined && nosync === syncPriority > 0) {
    warnings.push(warningAt(['tags', 'nosync'], `contradicts sync_priority=${syncPriority}; nosync wins`, locator));
  }
  return warnings;
}
