// postgres-ctl's logger is the one every pgwarden library shares.
export { silentLogger, type Logger } from '@pgwarden/core';

/** Replace passwords in a conninfo / URL / argument so it can be logged. */
export function redact(text: string): string {
  return text
    .replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1***')
    .replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@');
}
