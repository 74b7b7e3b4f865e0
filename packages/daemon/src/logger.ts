/**
 * The agent's structured logger: JSON lines by default, a human one-line
 * format on request (`log.type: plain` in Patroni's config maps to `human`).
 * Each record is `{"level","time",...base,...bindings,...fields,"msg"}`, the
 * shape pino writes; pgwarden wrote through pino until it measured what pino
 * costs an idle agent (it loads worker_threads and its transport machinery:
 * ~2.7 MiB of anonymous memory, more of the node binary's pages) for the few
 * lines a minute an agent writes. Secrets never reach the log: the values
 * of credential fields (`password`, `token`, `authorization`, `sslpassword`,
 * `keyfile_password`) are redacted at any depth of a logged object.
 */
import { DEFAULT_PATRONI_LOG_FORMAT, formatJsonRecord, formatPlainRecord, strftime, type PatroniLogFormat } from './log-format.js';

export type LogFormat = 'json' | 'human';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The logging surface the runtime uses; createLogger's loggers satisfy it, tests pass a recorder. */
export interface AgentLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  fatal(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): AgentLogger;
}

export interface LoggerOptions {
  readonly format?: LogFormat;
  readonly level?: LogLevel;
  /** Where lines go; stderr by default (as Patroni logs to stderr). */
  readonly destination?: { write(line: string): unknown };
  /** Fields added to every line (member name, scope). */
  readonly base?: Record<string, unknown>;
  /** Patroni's `log.format` and `log.dateformat` (see log-format.ts); the default format keeps pgwarden's records. */
  readonly patroniFormat?: { readonly format?: PatroniLogFormat; readonly dateformat?: string };
  /** Levels of components (`postgres`, `dcs`, `callbacks`, `api`...; `` = records of no component), from `log.loggers`. */
  readonly componentLevels?: Readonly<Record<string, LogLevel>>;
}

const redactedKeys = new Set(['password', 'token', 'authorization', 'sslpassword', 'keyfile_password']);
const REDACTED = '[redacted]';
const levelRank: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Patroni's level names (`WARNING`, `CRITICAL`, `DEBUG`...) to ours. */
export function parseLogLevel(value: string | undefined): LogLevel {
  switch ((value ?? 'INFO').toUpperCase()) {
    case 'DEBUG':
      return 'debug';
    case 'WARN':
    case 'WARNING':
      return 'warn';
    case 'ERROR':
      return 'error';
    case 'FATAL':
    case 'CRITICAL':
      return 'fatal';
    default:
      return 'info';
  }
}

/** How each JSON line becomes the line written, for the format and Patroni's log settings. */
function lineWriter(format: LogFormat, patroni: LoggerOptions['patroniFormat']): (line: string) => string {
  const customFormat = patroni?.format !== undefined && patroni.format !== DEFAULT_PATRONI_LOG_FORMAT;
  const dateformat = patroni?.dateformat;
  if (!customFormat && dateformat === undefined) return format === 'human' ? formatHumanLine : (line) => line;
  const options = { ...(patroni?.format !== undefined ? { format: patroni.format } : {}), ...(dateformat !== undefined ? { dateformat } : {}) };
  return (line) => {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line;
    }
    if (format === 'human') return `${formatPlainRecord(record, options)}\n`;
    if (customFormat) return `${JSON.stringify(formatJsonRecord(record, options))}\n`;
    const time = typeof record['time'] === 'string' ? strftime(dateformat ?? '', new Date(record['time'])) : record['time'];
    return `${JSON.stringify({ ...record, time })}\n`;
  };
}

/** Errors as `{type, message, stack}` (and their own fields), bigints as strings, credentials redacted. */
function replaceValue(this: unknown, key: string, value: unknown): unknown {
  if (redactedKeys.has(key) && value !== undefined) return REDACTED;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { ...value, type: value.name, message: value.message, stack: value.stack, ...(value.cause !== undefined ? { cause: value.cause } : {}) };
  return value;
}

/** JSON.stringify with replaceValue; a record holding a cycle writes `[Circular]` in its place. */
function serialize(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, replaceValue);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(record, function (this: unknown, key: string, value: unknown): unknown {
      const replaced = replaceValue.call(this, key, value);
      if (typeof replaced !== 'object' || replaced === null) return replaced;
      if (seen.has(replaced)) return '[Circular]';
      seen.add(replaced);
      return replaced;
    });
  }
}

interface LoggerCore {
  readonly write: (line: string) => void;
  /** The level of a child bound to a component, from `log.loggers`; undefined: the parent's. */
  readonly componentLevel: (bindings: Record<string, unknown>) => LogLevel | undefined;
}

class JsonLineLogger implements AgentLogger {
  private readonly threshold: number;

  constructor(
    private readonly core: LoggerCore,
    private readonly level: LogLevel,
    private readonly bindings: Record<string, unknown>,
  ) {
    this.threshold = levelRank[level];
  }

  debug(fields: Record<string, unknown>, message: string): void {
    this.emit('debug', fields, message);
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.emit('info', fields, message);
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.emit('warn', fields, message);
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.emit('error', fields, message);
  }
  fatal(fields: Record<string, unknown>, message: string): void {
    this.emit('fatal', fields, message);
  }

  child(bindings: Record<string, unknown>): AgentLogger {
    return new JsonLineLogger(this.core, this.core.componentLevel(bindings) ?? this.level, { ...this.bindings, ...bindings });
  }

  private emit(level: LogLevel, fields: Record<string, unknown>, message: string): void {
    if (levelRank[level] < this.threshold) return;
    const time = new Date().toISOString();
    const record: Record<string, unknown> = { level, time, ...this.bindings, ...fields, msg: message };
    // A field named level or time does not change the record's own (assigning keeps them first).
    record['level'] = level;
    record['time'] = time;
    this.core.write(`${serialize(record)}\n`);
  }
}

export function createLogger(options: LoggerOptions = {}): AgentLogger {
  const format = options.format ?? 'json';
  const target = options.destination ?? process.stderr;
  const render = lineWriter(format, options.patroniFormat);
  const levels = options.componentLevels ?? {};
  const configured = options.level ?? 'info';
  const componentLevel = (bindings: Record<string, unknown>): LogLevel | undefined =>
    // A component's own level, else the configured one (not the level of the component-less records).
    typeof bindings['component'] === 'string' && Object.keys(levels).length > 0 ? (levels[bindings['component']] ?? configured) : undefined;
  const core: LoggerCore = { write: (line) => void target.write(render(line)), componentLevel };
  return new JsonLineLogger(core, levels[''] ?? configured, { ...(options.base ?? {}) });
}

/** `2026-01-01T00:00:00.000Z INFO: message key=value ...` from one JSON line. */
export function formatHumanLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = record;
  const extra = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const head = `${String(time ?? '')} ${String(level ?? 'info').toUpperCase()}: ${String(msg ?? '')}`;
  return `${extra === '' ? head : `${head} ${extra}`}\n`;
}

/** A logger that drops everything: for library callers that pass none. */
export const silentLogger: AgentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silentLogger,
};
