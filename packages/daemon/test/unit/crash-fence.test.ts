import { describe, expect, it } from 'vitest';
import { crashFence } from '../../src/crash-fence.js';
import { recordingLogger } from '../doubles.js';

function fence(primary: boolean, stop: () => Promise<void> = async () => undefined) {
  const calls: string[] = [];
  const exits: number[] = [];
  const logger = recordingLogger();
  const handler = crashFence({
    logger,
    runsUnpausedPrimary: () => primary,
    stopPostgres: async () => {
      calls.push('stop');
      await stop();
    },
    stopTimeoutMs: 50,
    exit: (code) => exits.push(code),
  });
  return { handler, calls, exits, logger };
}

describe('an unexpected crash of the agent', () => {
  it('stops a primary PostgreSQL before exiting, so no writable primary is left without its agent', async () => {
    const { handler, calls, exits, logger } = fence(true);
    await handler(new Error('boom'));
    expect(calls).toEqual(['stop']);
    expect(exits).toEqual([70]);
    expect(logger.lines.some((line) => line.level === 'fatal' && line.message.includes('stopping PostgreSQL'))).toBe(true);
  });

  it('exits after the bound even when the stop hangs, and fences only once', async () => {
    const { handler, calls, exits } = fence(true, () => new Promise(() => undefined));
    await Promise.all([handler(new Error('one')), handler(new Error('two'))]);
    expect(calls).toEqual(['stop']);
    expect(exits).toEqual([70]);
  });

  it('leaves a replica (or a paused primary) running', async () => {
    const { handler, calls, exits } = fence(false);
    await handler(new Error('boom'));
    expect(calls).toEqual([]);
    expect(exits).toEqual([70]);
  });
});
