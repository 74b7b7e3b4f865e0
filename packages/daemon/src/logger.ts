/**
 * The agent's structured logger: JSON lines (pino) by default, a human
 * one-line format on request (`log.type: plain` in Patroni's config maps to
 * `human`). Secrets never reach the log: well-known credential fields are
 * redacted wherever they appear in a logged object.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { DEFAULT_PATRONI_LOG_FORMAT, formatJsonRecord, formatPlainRecord, strftime, type PatroniLogFormat } from './log-format.js';

export type LogFormat = 'json' | 'human';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The logging surface the runtime uses; pino satisfies it, tests pass a recorder. */
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

const redactedPaths = [
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'sslpassword',
  '*.sslpassword',
  'keyfile_password',
  '*.keyfile_password',
];

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

/** How each pino line becomes the line written, for the format and Patroni's log settings. */
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

/** The logger with per-component levels: a child bound to a component takes that component's level. */
function withComponentLevels(logger: PinoLogger, levels: Readonly<Record<string, LogLevel>>, baseLevel: LogLevel): AgentLogger {
  const wrap = (inner: PinoLogger): AgentLogger => ({
    debug: (fields, message) => inner.debug(fields, message),
    info: (fields, message) => inner.info(fields, message),
    warn: (fields, message) => inner.warn(fields, message),
    error: (fields, message) => inner.error(fields, message),
    fatal: (fields, message) => inner.fatal(fields, message),
    child: (bindings) => {
      // A component's own level, else the configured one (not the level of the component-less records).
      const level = typeof bindings['component'] === 'string' ? (levels[bindings['component']] ?? baseLevel) : undefined;
      return wrap(level === undefined ? inner.child(bindings) : inner.child(bindings, { level }));
    },
  });
  return wrap(logger);
}

export function createLogger(options: LoggerOptions = {}): AgentLogger {
  const format = options.format ?? 'json';
  const target = options.destination ?? process.stderr;
  const render = lineWriter(format, options.patroniFormat);
  const destination: DestinationStream = { write: (line: string) => target.write(render(line)) };
  const levels = options.componentLevels ?? {};
  const logger: PinoLogger = pino(
    {
      level: levels[''] ?? options.level ?? 'info',
      base: options.base ?? {},
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return Object.keys(levels).length === 0 ? (logger as unknown as AgentLogger) : withComponentLevels(logger, levels, options.level ?? 'info');
}

/** `2026-01-01T00:00:00.000Z INFO: message key=value ...` from one pino JSON line. */
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
