/**
 * Patroni's `log.format` placeholders and `log.loggers` module names as
 * pgwarden can honour them (the daemon's logger applies them; the
 * configuration check refuses what it cannot, by name). Pure.
 */

export const DEFAULT_PATRONI_LOG_FORMAT = '%(asctime)s %(levelname)s: %(message)s';

export const KNOWN_LOG_FIELDS = ['asctime', 'levelname', 'levelno', 'message', 'name', 'process', 'created', 'msecs'] as const;
export const LOG_LEVEL_NAMES: Readonly<Record<string, string>> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' };
export const LOG_LEVEL_NUMBERS: Readonly<Record<string, number>> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export type PatroniLogFormat = string | ReadonlyArray<string | Readonly<Record<string, string>>>;

/** Patroni module names (and the libraries its DCS clients log through) → pgwarden's logger components. */
const MODULE_COMPONENTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['patroni.postgresql.callback_executor', ['callbacks']],
  ['patroni.postgresql', ['postgres', 'callbacks']],
  ['patroni.dcs', ['dcs']],
  ['patroni.api', ['api', 'restapi']],
  ['patroni.ha', ['']],
  ['patroni', ['', 'postgres', 'callbacks', 'dcs', 'api', 'restapi']],
  ['urllib3', ['dcs']],
  ['etcd', ['dcs']],
  ['kazoo', ['dcs']],
  ['consul', ['dcs']],
  ['redis', ['dcs']],
];

/** The components a `log.loggers` key reaches; undefined when pgwarden has no such logger. */
export function componentsOfModule(module: string): readonly string[] | undefined {
  const match = MODULE_COMPONENTS.filter(([prefix]) => module === prefix || module.startsWith(`${prefix}.`)).sort((a, b) => b[0].length - a[0].length)[0];
  return match?.[1];
}

export function logTemplateFields(template: string): string[] {
  return [...template.matchAll(/%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]/g)].map((match) => match[1] ?? '');
}

/** Why this format cannot be honoured, or undefined. */
export function logFormatProblem(format: PatroniLogFormat): string | undefined {
  const names = typeof format === 'string' ? logTemplateFields(format) : format.flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.keys(entry)));
  const unknown = names.filter((name) => !(KNOWN_LOG_FIELDS as readonly string[]).includes(name));
  return unknown.length === 0 ? undefined : `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `%(${name})s`).join(', ')}; pgwarden fills ${KNOWN_LOG_FIELDS.join(', ')}`;
}

/** The Patroni module names `log.loggers` may name. */
export function knownLoggerModules(): string[] {
  return MODULE_COMPONENTS.map(([module]) => module);
}
