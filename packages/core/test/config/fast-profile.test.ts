// The fast timing profile: each condition of the fence argument refuses with its own line.
import { describe, expect, it } from 'vitest';
import { FENCE_BUDGET_MS, fastProfileProblem, fenceMarginMs, isFastProfile, loadConfig } from '../../src/config/index.js';
import { BASE_YAML } from './helpers.js';

describe('fast profile', () => {
  it('applies only below Patroni’s floors', () => {
    expect(isFastProfile({ ttl: 30, retry_timeout: 10 })).toBe(false);
    expect(isFastProfile({ ttl: 20, retry_timeout: 3 })).toBe(false);
    expect(isFastProfile({ ttl: 19, retry_timeout: 3 })).toBe(true);
    expect(isFastProfile({ ttl: 30, retry_timeout: 2 })).toBe(true);
  });

  it('the margin is safety_margin, at most ttl/2, as the lock validity counts it', () => {
    expect(fenceMarginMs(5, undefined)).toBe(2500);
    expect(fenceMarginMs(10, 2)).toBe(2000);
    expect(fenceMarginMs(9, -1)).toBe(4000);
  });

  it('accepts ttl 5, loop_wait 1, retry_timeout 1 with the default safety_margin', () => {
    expect(fastProfileProblem({ ttl: 5, loop_wait: 1, retry_timeout: 1 })).toBeUndefined();
    expect(fastProfileProblem({ ttl: 10, loop_wait: 2, retry_timeout: 2, safety_margin: 2 })).toBeUndefined();
  });

  it('refuses values below its floors', () => {
    expect(fastProfileProblem({ ttl: 4, loop_wait: 1, retry_timeout: 1 })).toBe("ttl=4 is below the fast profile's minimum 5");
    expect(fastProfileProblem({ ttl: 10, loop_wait: 1, retry_timeout: 0 })).toBe("retry_timeout=0 is below the fast profile's minimum 1");
  });

  it('refuses a rule violation instead of adjusting it', () => {
    expect(fastProfileProblem({ ttl: 5, loop_wait: 2, retry_timeout: 2 })).toBe('loop_wait + 2*retry_timeout must be <= ttl, found 2 + 2*2 > 5');
  });

  it('refuses a margin too small for the fence to stop writes before expiry', () => {
    expect(fastProfileProblem({ ttl: 10, loop_wait: 1, retry_timeout: 1, safety_margin: 0 })).toMatch(new RegExp(`fence margin .* is 0 ms, less than the ${FENCE_BUDGET_MS} ms`));
  });

  it('refuses a validity too short for a healthy leader to renew', () => {
    expect(fastProfileProblem({ ttl: 6, loop_wait: 2, retry_timeout: 2 })).toBe(
      'loop_wait + retry_timeout (2 + 2 s) must fit in the lock\'s validity ttl - safety_margin (3 s), else a healthy leader fences itself',
    );
  });
});

describe('fast profile in the configuration file', () => {
  const load = (dcs: string, extra = '', mode: 'validate' | 'run' = 'validate') =>
    loadConfig([{ file: 'member.yml', text: BASE_YAML }, { file: 'fast.yml', text: `bootstrap:\n  dcs:\n${dcs}\n${extra}` }], { env: {}, mode });

  it('is accepted when the argument holds, without a warning about the timings', () => {
    const result = load('    ttl: 5\n    loop_wait: 1\n    retry_timeout: 1');
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect(result.warnings.filter((issue) => /ttl|retry_timeout|loop_wait/.test(issue.path))).toEqual([]);
  });

  it('on Consul, warns that sessions outlive a short ttl (safe, but no fast failover)', () => {
    const result = loadConfig(
      [{ file: 'member.yml', text: BASE_YAML.replace('etcd3:\n  host: 127.0.0.1:2379', 'consul:\n  host: 127.0.0.1:8500') }, { file: 'fast.yml', text: 'bootstrap:\n  dcs:\n    ttl: 5\n    loop_wait: 1\n    retry_timeout: 1\n' }],
      { env: {}, mode: 'validate' },
    );
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (result.ok) expect(result.warnings.find((issue) => issue.path === 'bootstrap.dcs.ttl')?.message).toMatch(/on Consul stays safe but is not fast/);
  });

  it('is refused at start-up and by --validate-config with the file, the key and the failing condition', () => {
    for (const mode of ['validate', 'run'] as const) {
      const result = load('    ttl: 5\n    loop_wait: 1\n    retry_timeout: 1', 'watchdog:\n  safety_margin: 0', mode);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      const issue = result.issues.find((entry) => entry.path === 'bootstrap.dcs.ttl');
      expect(issue?.severity).toBe('error');
      expect(issue?.message).toMatch(/ttl=5 is below Patroni's minimum 20 and the fast timing profile can not run it: the fence margin/);
      expect(issue?.source).toMatchObject({ kind: 'file', file: 'fast.yml' });
    }
  });
});
