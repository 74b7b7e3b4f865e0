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

  it('record shape: level, time, base, bindings, fields, msg; children inherit the level and add their bindings', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line) => lines.push(line) }, base: { member: 'node1', scope: 'demo' } });
    const child = logger.child({ component: 'dcs' }).child({ endpoint: 'etcd1' });
    child.debug({}, 'dropped');
    child.info({ cycle: 7 }, 'hello');
    child.warn({ level: 'debug', time: 0, msg: 'field' }, 'own level');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ level: 'warn', time: expect.stringMatching(/Z$/), msg: 'own level' });
    expect(Object.keys(JSON.parse(lines[0] ?? '{}') as object)).toEqual(['level', 'time', 'member', 'scope', 'component', 'endpoint', 'cycle', 'msg']);
    expect(lines[0]).toMatch(/^\{"level":"info","time":"\d{4}-\d{2}-\d{2}T[\d:.]+Z","member":"node1",.*"msg":"hello"\}\n$/);
  });

  it('redacts credentials at any depth, also in bindings; errors, bigints and cycles do not break a line', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line) => lines.push(line) } });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.child({ settings: { token: 'acl-secret' } }).warn({ a: { b: { c: { d: { password: 'deep-secret' } } } }, headers: [{ authorization: 'Basic c2VjcmV0' }], sslpassword: 'ssl-secret' }, 'credentials');
    logger.error({ error: new Error('boom', { cause: new Error('root cause') }), lsn: 12n }, 'failed');
    logger.info({ cyclic }, 'cycle');
    expect(lines).toHaveLength(3);
    for (const secret of ['acl-secret', 'deep-secret', 'c2VjcmV0', 'ssl-secret']) expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('"token":"[redacted]"');
    const failed = JSON.parse(lines[1] ?? '{}') as { error: { type: string; message: string; stack: string; cause: { message: string } }; lsn: string };
    expect(failed.error).toMatchObject({ type: 'Error', message: 'boom', cause: { message: 'root cause' } });
    expect(failed.error.stack).toContain('boom');
    expect(failed.lsn).toBe('12');
    expect(JSON.parse(lines[2] ?? '{}')).toMatchObject({ cyclic: { name: 'loop', self: '[Circular]' }, msg: 'cycle' });
  });

  it('maps Patroni level names', () => {
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogLevel('CRITICAL')).toBe('fatal');
    expect(parseLogLevel(undefined)).toBe('info');
    expect(formatHumanLine('not json')).toBe('not json');
  });
});

describe("Patroni's log settings", () => {
  const capture = (options: Parameters<typeof createLogger>[0]): { lines: string[]; logger: ReturnType<typeof createLogger> } => {
    const lines: string[] = [];
    return { lines, logger: createLogger({ ...options, destination: { write: (line) => lines.push(line) } }) };
  };

  it('plain: log.format is a Python %-template, log.dateformat a strftime pattern; the record fields follow', () => {
    const { lines, logger } = capture({ format: 'human', patroniFormat: { format: '%(asctime)s [%(levelname)s] %(name)s: %(message)s', dateformat: '%Y/%m/%d %H:%M' } });
    logger.child({ component: 'dcs' }).warn({ key: 'leader' }, 'lock lost');
    expect(lines[0]).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2} \[WARNING\] pgwarden\.dcs: lock lost key=leader\n$/);
  });

  it('json: a list format chooses and renames fields; static_fields go into every record', () => {
    const { lines, logger } = capture({ base: { app: 'patroni', member: 'node1' }, patroniFormat: { format: ['asctime', { levelname: 'level' }, 'message'] } });
    logger.info({ lsn: 5 }, 'hello');
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'INFO', message: 'hello', app: 'patroni', member: 'node1', lsn: 5 });
    expect(typeof record['asctime']).toBe('string');
    expect(record['msg']).toBeUndefined();
  });

  it('json with the default format keeps pgwarden records; a dateformat rewrites their time', () => {
    const { lines, logger } = capture({ patroniFormat: { format: '%(asctime)s %(levelname)s: %(message)s', dateformat: '%d.%m.%Y' } });
    logger.info({}, 'hi');
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', msg: 'hi' });
    expect(record['time']).toMatch(/^\d{2}\.\d{2}\.\d{4}$/);
  });

  it('log.loggers: a component gets its own level, the others keep the configured one', () => {
    const { lines, logger } = capture({ level: 'info', componentLevels: { dcs: 'debug', postgres: 'error' } });
    logger.child({ component: 'dcs' }).debug({}, 'dcs detail');
    logger.child({ component: 'postgres' }).warn({}, 'postgres warning');
    logger.child({ component: 'api' }).debug({}, 'api detail');
    logger.child({ component: 'api' }).info({}, 'api info');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['dcs detail', 'api info']);
  });
});
