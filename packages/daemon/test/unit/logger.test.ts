import { describe, expect, it } from 'vitest';
import { createLogger, formatHumanLine, parseLogLevel } from '../../src/logger.js';

describe('createLogger', () => {
  it('writes JSON lines with the level name and redacts passwords', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line) => lines.push(line) }, base: { member: 'node1' } });
    logger.info({ authentication: { superuser: { password: 'secret' } }, password: 'x' }, 'hello');
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', msg: 'hello', member: 'node1', password: '[redacted]' });
    expect(lines[0]).not.toContain('secret');
  });

  it('writes one human line in the human format and honours the level', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'human', level: 'warn', destination: { write: (line) => lines.push(line) } });
    logger.info({}, 'dropped');
    logger.warn({ from: 'replica', to: 'primary' }, 'ROLE CHANGE');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ WARN: ROLE CHANGE from=replica to=primary\n$/);
  });

  it('maps Patroni level names', () => {
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogLevel('CRITICAL')).toBe('fatal');
    expect(parseLogLevel(undefined)).toBe('info');
    expect(formatHumanLine('not json')).toBe('not json');
  });
});
