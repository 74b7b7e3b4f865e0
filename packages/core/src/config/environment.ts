/**
 * `PATRONI_*` environment variables → a configuration overlay, mapped the way
 * Patroni's `Config._build_environment_configuration` maps them (same names,
 * same precedence between them, same conversions). The environment is an
 * argument: core never reads `process.env`. Values that fail to convert are
 * kept as text so that validation reports them with the variable's name
 * (Patroni silently ignores them).
 */
import { parse as parseYaml } from 'yaml';
import { AUTHENTICATION_KEYS, BINARY_NAMES } from './schema-postgresql.js';
import { parseBoolean, parseInteger } from './value-parsers.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvironmentConfig {
  readonly config: Record<string, Record<string, unknown> | string>;
  /** Variables consumed; the agent removes them from its environment so they do not leak to children. */
  readonly consumed: readonly string[];
  /** Dotted key path → the variable that set it (for error positions). */
  readonly origins: ReadonlyMap<string, string>;
}

const PREFIX = 'PATRONI_';

const SECTION_PARAMS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['restapi', ['listen', 'connect_address', 'certfile', 'keyfile', 'keyfile_password', 'cafile', 'ciphers', 'verify_client', 'http_extra_headers', 'https_extra_headers', 'allowlist', 'allowlist_include_members', 'request_queue_size']],
  ['ctl', ['insecure', 'cacert', 'certfile', 'keyfile', 'keyfile_password']],
  ['postgresql', ['listen', 'connect_address', 'proxy_address', 'config_dir', 'data_dir', 'pgpass', 'bin_dir']],
  ['log', ['type', 'level', 'traceback_level', 'format', 'dateformat', 'static_fields', 'max_queue_size', 'dir', 'mode', 'file_size', 'file_num', 'loggers']],
  ['raft', ['data_dir', 'self_addr', 'partner_addrs', 'password', 'bind_addr']],
];

const DCS_SUFFIXES = new Set(['HOST', 'HOSTS', 'PORT', 'USE_PROXIES', 'PROTOCOL', 'SRV', 'SRV_SUFFIX', 'URL', 'PROXY', 'CACERT', 'CERT', 'KEY', 'VERIFY', 'TOKEN', 'CHECKS', 'DC', 'CONSISTENCY', 'REGISTER_SERVICE', 'SERVICE_CHECK_INTERVAL', 'SERVICE_CHECK_TLS_SERVER_NAME', 'SERVICE_TAGS', 'NAMESPACE', 'CONTEXT', 'USE_ENDPOINTS', 'SCOPE_LABEL', 'ROLE_LABEL', 'POD_IP', 'PORTS', 'LABELS', 'BYPASS_API_SERVICE', 'RETRIABLE_HTTP_CODES', 'KEY_PASSWORD', 'USE_SSL', 'SET_ACLS', 'GROUP', 'DATABASE', 'LEADER_LABEL_VALUE', 'FOLLOWER_LABEL_VALUE', 'STANDBY_LEADER_LABEL_VALUE', 'TMP_ROLE_LABEL', 'AUTH_DATA']);
/** Suffixes only pgwarden's `redis` section has (PATRONI_REDIS_MODE etc.; other prefixes keep their meaning). */
const REDIS_SUFFIXES = new Set(['DB', 'SSL', 'MODE', 'SENTINELS', 'SENTINEL_MASTER', 'WAIT_REPLICAS', 'WAIT_TIMEOUT']);

/** Bare text becomes a one-item YAML flow list, as Patroni does (`a,b` → `[a,b]`). */
function parseList(value: string): unknown {
  const text = value.trim().startsWith('-') || value.includes('[') ? value : `[${value}]`;
  try {
    const parsed: unknown = parseYaml(text, { version: '1.1' });
    return parsed ?? value;
  } catch {
    return value;
  }
}

function parseMap(value: string): unknown {
  const text = value.trim().startsWith('{') ? value : `{${value}}`;
  try {
    return (parseYaml(text, { version: '1.1' }) as unknown) ?? value;
  } catch {
    return value;
  }
}

const orText = (parsed: unknown, text: string): unknown => (parsed === undefined ? text : parsed);

const CONVERSIONS: Readonly<Record<string, (text: string) => unknown>> = {
  'restapi.allowlist_include_members': (text) => orText(parseBoolean(text), text),
  'ctl.insecure': (text) => orText(parseBoolean(text), text),
  'restapi.request_queue_size': (text) => orText(parseInteger(text), text),
  'log.max_queue_size': (text) => orText(parseInteger(text), text),
  'log.file_size': (text) => orText(parseInteger(text), text),
  'log.file_num': (text) => orText(parseInteger(text), text),
  'log.mode': (text) => orText(parseInteger(text), text),
  'raft.partner_addrs': parseList,
  'restapi.allowlist': parseList,
  'restapi.http_extra_headers': parseMap,
  'restapi.https_extra_headers': parseMap,
  'log.static_fields': parseMap,
  'log.loggers': parseMap,
};

function convertDcsValue(name: string, suffix: string, text: string): unknown {
  if (name === 'CITUS') return suffix === 'GROUP' ? orText(parseInteger(text), text) : text;
  if (suffix === 'PORT') return orText(parseInteger(text), text);
  if (name === 'REDIS') return convertRedisValue(suffix, text);
  if (['HOSTS', 'PORTS', 'CHECKS', 'SERVICE_TAGS', 'RETRIABLE_HTTP_CODES'].includes(suffix)) return parseList(text);
  if (['LABELS', 'SET_ACLS', 'AUTH_DATA'].includes(suffix)) return parseMap(text);
  if (['USE_PROXIES', 'REGISTER_SERVICE', 'USE_ENDPOINTS', 'BYPASS_API_SERVICE', 'VERIFY'].includes(suffix)) {
    return orText(parseBoolean(text), text);
  }
  return text;
}

/** PATRONI_REDIS_*: pgwarden's own section (DB, WAIT_REPLICAS integers; WAIT_TIMEOUT seconds; SSL boolean; SENTINELS list). */
function convertRedisValue(suffix: string, text: string): unknown {
  if (suffix === 'DB' || suffix === 'WAIT_REPLICAS') return orText(parseInteger(text), text);
  if (suffix === 'WAIT_TIMEOUT') return Number.isFinite(Number(text)) && text.trim() !== '' ? Number(text) : text;
  if (suffix === 'SSL') return orText(parseBoolean(text), text);
  if (suffix === 'HOSTS' || suffix === 'SENTINELS') return parseList(text);
  return text;
}

/** Builds the overlay from `env` (which is not modified). */
export function readEnvironmentConfig(env: Environment): EnvironmentConfig {
  const remaining = new Map(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const consumed: string[] = [];
  const origins = new Map<string, string>();
  const config: Record<string, Record<string, unknown> | string> = {};
  const pop = (variable: string): string | undefined => {
    const value = remaining.get(variable);
    if (value === undefined) return undefined;
    remaining.delete(variable);
    consumed.push(variable);
    return value;
  };
  const section = (name: string): Record<string, unknown> => {
    const existing = config[name];
    if (typeof existing === 'object') return existing;
    const created: Record<string, unknown> = {};
    config[name] = created;
    return created;
  };
  const set = (path: readonly string[], value: unknown, variable: string): void => {
    let target = section(path[0] ?? '');
    for (const key of path.slice(1, -1)) {
      const next = (target[key] ??= {}) as Record<string, unknown>;
      target = next;
    }
    target[path[path.length - 1] ?? ''] = value;
    origins.set(path.join('.'), variable);
  };

  for (const key of ['name', 'namespace', 'scope']) {
    const variable = `${PREFIX}${key.toUpperCase()}`;
    const value = pop(variable);
    if (value) {
      config[key] = value;
      origins.set(key, variable);
    }
  }
  // Legacy log names fill the new ones only when the new ones are absent.
  for (const [name, old] of [['LEVEL', 'LOGLEVEL'], ['FORMAT', 'LOGFORMAT'], ['DATEFORMAT', 'LOG_DATEFMT']] as const) {
    const value = pop(`${PREFIX}${old}`);
    if (value && !remaining.has(`${PREFIX}LOG_${name}`)) remaining.set(`${PREFIX}LOG_${name}`, value);
  }
  for (const [name, params] of SECTION_PARAMS) {
    for (const param of params) {
      const variable = `${PREFIX}${name.toUpperCase()}_${param.toUpperCase()}`;
      const text = pop(variable);
      if (!text) continue;
      const convert = CONVERSIONS[`${name}.${param}`];
      let value: unknown = convert ? convert(text) : text;
      // A log format without %(...) placeholders is a list of json field names.
      if (name === 'log' && param === 'format' && !text.includes('%(')) value = parseList(text);
      set([name, param], value, variable);
    }
  }
  for (const binary of BINARY_NAMES) {
    const variable = `${PREFIX}POSTGRESQL_BIN_${binary.toUpperCase()}`;
    const value = pop(variable);
    if (value) set(['postgresql', 'bin_name', binary], value, variable);
  }
  readCredentials(pop, set);
  readPgwardenVariables(pop, set);
  readDcsVariables(remaining, pop, set, config);
  readBootstrapUsers(remaining, pop, set);
  return { config, consumed, origins };
}

type Pop = (variable: string) => string | undefined;
type Set = (path: readonly string[], value: unknown, variable: string) => void;

/** pgwarden's own local switches (`pgwarden.<name>`), e.g. PGWARDEN_PATRONI3_COMPAT=true. */
function readPgwardenVariables(pop: Pop, set: Set): void {
  const variable = 'PGWARDEN_PATRONI3_COMPAT';
  const text = pop(variable);
  if (text) set(['pgwarden', 'patroni3_compat'], orText(parseBoolean(text), text), variable);
}

function readCredentials(pop: Pop, set: Set): void {
  for (const name of ['ctl', 'restapi']) {
    for (const param of ['username', 'password']) {
      const variable = `${PREFIX}${name.toUpperCase()}_${param.toUpperCase()}`;
      const value = pop(variable);
      if (value) set([name, 'authentication', param], value, variable);
    }
  }
  for (const user of ['replication', 'superuser', 'rewind']) {
    for (const param of AUTHENTICATION_KEYS) {
      const variable = `${PREFIX}${user.toUpperCase()}_${param.toUpperCase()}`;
      const value = pop(variable);
      if (value) set(['postgresql', 'authentication', user, param], value, variable);
    }
  }
}

/** `PATRONI_<DCS>_<SUFFIX>`: the DCS name is the text before the first underscore. */
function readDcsVariables(remaining: Map<string, string>, pop: Pop, set: Set, config: Record<string, unknown>): void {
  for (const variable of [...remaining.keys()]) {
    if (!variable.startsWith(PREFIX)) continue;
    const rest = variable.slice(PREFIX.length);
    const split = rest.indexOf('_');
    if (split <= 0) continue;
    const name = rest.slice(0, split);
    const suffix = rest.slice(split + 1);
    if (!DCS_SUFFIXES.has(suffix) && !(name === 'REDIS' && REDIS_SUFFIXES.has(suffix))) continue;
    const text = pop(variable) ?? '';
    if (name === 'CITUS' && suffix !== 'GROUP' && suffix !== 'DATABASE') continue;
    if (text === '') continue;
    set([name.toLowerCase(), suffix.toLowerCase()], convertDcsValue(name, suffix, text), variable);
  }
  for (const dcs of ['etcd', 'etcd3', 'redis']) {
    // pgwarden's own redis section takes its credentials even when no other PATRONI_REDIS_* is set.
    if (config[dcs] === undefined && dcs !== 'redis') continue;
    for (const param of ['username', 'password']) {
      const variable = `${PREFIX}${dcs.toUpperCase()}_${param.toUpperCase()}`;
      const value = pop(variable);
      if (value) set([dcs, param], value, variable);
    }
  }
}

/** `PATRONI_<user>_PASSWORD` (+ `_OPTIONS`) for any other prefix: a role created after bootstrap. */
function readBootstrapUsers(remaining: Map<string, string>, pop: Pop, set: Set): void {
  for (const variable of [...remaining.keys()]) {
    if (!variable.startsWith(PREFIX) || !variable.endsWith('_PASSWORD')) continue;
    const user = variable.slice(PREFIX.length, -'_PASSWORD'.length);
    if (user === '') continue;
    const password = pop(variable);
    if (!password) continue;
    set(['bootstrap', 'users', user, 'password'], password, variable);
    const optionsVariable = `${variable.slice(0, -'_PASSWORD'.length)}_OPTIONS`;
    const options = pop(optionsVariable);
    const list = options ? parseList(options) : undefined;
    if (Array.isArray(list) && list.length > 0) set(['bootstrap', 'users', user, 'options'], list, optionsVariable);
  }
}
