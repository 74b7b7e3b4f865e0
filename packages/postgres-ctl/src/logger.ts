/**
 * The logger postgres-ctl writes to: pino's call shape (fields first, message
 * second) so the daemon injects its pino instance as is. Never console.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Replace passwords in a conninfo / URL / argument so it can be logged. */
export function redact(text: string): string {
  return text
    .replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1***')
    .replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@');
}
