/**
 * The agent's structured logger: JSON lines (pino) by default, a human
 * one-line format on request (`log.type: plain` in Patroni's config maps to
 * `human`). Secrets never reach the log: well-known credential fields are
 * redacted wherever they appear in a logged object.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

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

export function createLogger(options: LoggerOptions = {}): AgentLogger {
  const format = options.format ?? 'json';
  const target = options.destination ?? process.stderr;
  const destination: DestinationStream = {
    write: format === 'human' ? (line: string) => target.write(formatHumanLine(line)) : (line: string) => target.write(line),
  };
  const logger: PinoLogger = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return logger as unknown as AgentLogger;
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
