/**
 * Patroni settings that pgwarden does not honour yet. Each one is refused
 * by name — at the agent's start-up and by `--validate-config` (both load
 * through loadConfig) — instead of being parsed and silently ignored: a
 * person who wrote it expects it to work. A setting left at Patroni's default
 * (or absent) changes nothing and is accepted.
 *
 * Dynamic settings can also arrive through the DCS `/config` (written by
 * `edit-config` or by Patroni members of a mixed cluster); refusing to run
 * there would stop the cluster, so those are reported loudly instead
 * (`unsupportedDynamicSettings`).
 */
import type { ConfigIssue, ConfigIssueSource } from './issues.js';
import { formatConfigPath } from './issues.js';
import { getAtPath, isConfigMap, type ConfigMap } from './merge.js';
import { componentsOfModule, KNOWN_LOG_FIELDS, knownLoggerModules, logFormatProblem, type PatroniLogFormat } from './log-settings.js';
import { locatePath, type IssueLocator } from './zod-issues.js';

interface Refusal {
  readonly path: readonly string[];
  readonly reason: string;
  /** Values that change nothing (Patroni's default): accepted. */
  readonly harmless?: (value: unknown) => boolean;
}


/** Local settings (of the file or the environment). */
const LOCAL_REFUSALS: readonly Refusal[] = [
  { path: ['citus'], reason: 'Citus (MPP) clusters are not supported by pgwarden; remove the section' },
  { path: ['etcd3', 'port'], reason: 'a separate etcd port is not supported by pgwarden: give it in etcd3.host or etcd3.hosts (host:port)' },
  { path: ['zookeeper', 'exhibitor'], reason: 'Exhibitor is not supported by pgwarden: list the ZooKeeper servers in zookeeper.hosts' },
  {
    path: ['watchdog', 'driver'],
    reason: 'pgwarden has only the Linux watchdog device driver (default)',
    harmless: (value) => value === 'default',
  },
  {
    path: ['postgresql', 'use_unix_socket_repl'],
    reason: 'replication connections over the Unix socket are not supported by pgwarden; set it to false or remove it',
    harmless: (value) => value === false || value === 'false' || value === 'off',
  },
];

/** Dynamic settings, as written under bootstrap.dcs or in the DCS `/config` (none today: every one is honoured). */
const DYNAMIC_REFUSALS: readonly Refusal[] = [];

function refused(config: unknown, refusal: Refusal, prefix: readonly string[]): boolean {
  const value = getAtPath(config, [...prefix, ...refusal.path]);
  if (value === undefined || value === null) return false;
  return refusal.harmless?.(value) !== true;
}

/** A section set by environment variables has no variable of its own: name one of its keys' variables. */
function locateRefused(raw: ConfigMap, path: readonly string[], locator: IssueLocator): ConfigIssueSource | undefined {
  const value = getAtPath(raw, path);
  if (isConfigMap(value)) {
    for (const key of Object.keys(value)) {
      const variable = locator.envOrigins.get([...path, key].join('.'));
      if (variable !== undefined) return { kind: 'env', variable };
    }
  }
  return locatePath(path, locator);
}

/**
 * `log.format` placeholders the logger cannot fill and `log.loggers` names
 * it has no logger for: refused by name rather than printed literally or
 * ignored (log-settings.ts).
 */
function logSettingIssues(raw: ConfigMap, locator: IssueLocator): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const format = getAtPath(raw, ['log', 'format']);
  if (typeof format === 'string' || Array.isArray(format)) {
    const problem = logFormatProblem(format as PatroniLogFormat);
    if (problem !== undefined) {
      const source = locatePath(['log', 'format'], locator);
      issues.push({ severity: 'error', path: 'log.format', message: problem, expected: `placeholders among ${KNOWN_LOG_FIELDS.join(', ')}`, ...(source ? { source } : {}) });
    }
  }
  const loggers = getAtPath(raw, ['log', 'loggers']);
  if (isConfigMap(loggers)) {
    for (const module of Object.keys(loggers)) {
      if (componentsOfModule(module) !== undefined) continue;
      const source = locatePath(['log', 'loggers', module], locator);
      issues.push({ severity: 'error', path: formatConfigPath(['log', 'loggers', module]), message: `pgwarden has no logger of that name; it knows ${knownLoggerModules().join(', ')} and modules under them`, expected: `one of ${knownLoggerModules().join(', ')} (or a module under one)`, ...(source ? { source } : {}) });
    }
  }
  return issues;
}

/** Errors for every refused setting of the merged local configuration (files + environment). */
export function checkUnsupportedSettings(raw: ConfigMap, locator: IssueLocator): ConfigIssue[] {
  const found = [
    ...LOCAL_REFUSALS.filter((refusal) => refused(raw, refusal, [])).map((refusal) => ({ refusal, path: refusal.path })),
    ...DYNAMIC_REFUSALS.filter((refusal) => refused(raw, refusal, ['bootstrap', 'dcs'])).map((refusal) => ({ refusal, path: ['bootstrap', 'dcs', ...refusal.path] })),
  ];
  const refusals = found.map(({ refusal, path }): ConfigIssue => {
    const source = locateRefused(raw, path, locator);
    return { severity: 'error', path: formatConfigPath(path), message: refusal.reason, expected: 'absent', ...(source ? { source } : {}) };
  });
  return [...refusals, ...logSettingIssues(raw, locator)];
}

/** One line per refused setting of a dynamic configuration (the DCS `/config`), for the agent's log. */
export function unsupportedDynamicSettings(dynamic: unknown): string[] {
  return DYNAMIC_REFUSALS.filter((refusal) => refused(dynamic, refusal, [])).map(
    (refusal) => `dynamic configuration ${formatConfigPath(refusal.path)}: ${refusal.reason}; pgwarden ignores it`,
  );
}
