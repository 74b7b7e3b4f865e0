// maximum_lag_on_syncnode and the Patroni 4 tag sync_priority: once refused
// by name, now honoured — accepted where Patroni accepts them, carried to the
// HA settings and the member's tags, refused only out of Patroni's range.
import { describe, expect, it } from 'vitest';
import { buildEffectiveConfig, loadConfig, parseDynamicConfig, resolveDynamicConfig, toHaSettings } from '../../src/config/index.js';
import { BASE_YAML, edit, problemsOf } from './helpers.js';

const withBoth = edit('nofailover: false', 'nofailover: false\n  sync_priority: 0').replace('    ttl: 30\n', '    ttl: 30\n    maximum_lag_on_syncnode: 1048576\n');

describe('synchronous standby settings Patroni honours are accepted', () => {
  it('tags.sync_priority 0 and maximum_lag_on_syncnode above 0 pass --validate-config and the agent without a word', () => {
    expect(problemsOf(withBoth, { mode: 'validate' })).toEqual([]);
    expect(problemsOf(withBoth, { mode: 'run' })).toEqual([]);
  });

  it('they reach the member tags and the HA settings', () => {
    const result = loadConfig([{ file: 'ok.yml', text: withBoth }], { env: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.config.tags.sync_priority).toBe(0);
    const dynamic = resolveDynamicConfig({ bootstrapDcs: result.config.bootstrap?.dcs });
    expect(toHaSettings(buildEffectiveConfig(result.config, dynamic.config).config).maximumLagOnSyncnodeBytes).toBe(1_048_576);
  });

  it('maximum_lag_on_syncnode from the DCS /config wins; absent it is -1 (no limit)', () => {
    const result = loadConfig([{ file: 'ok.yml', text: BASE_YAML }], { env: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const fromDcs = parseDynamicConfig({ maximum_lag_on_syncnode: 5000 }).config;
    expect(toHaSettings(buildEffectiveConfig(result.config, fromDcs).config).maximumLagOnSyncnodeBytes).toBe(5000);
    expect(toHaSettings(buildEffectiveConfig(result.config, parseDynamicConfig({}).config).config).maximumLagOnSyncnodeBytes).toBe(-1);
  });

  it('values out of Patroni range are errors: sync_priority below 0 or not an integer, maximum_lag_on_syncnode below -1', () => {
    expect(problemsOf(edit('nofailover: false', 'nofailover: false\n  sync_priority: -1'))).toEqual([
      'bad.yml:29:18: tags.sync_priority: expected an integer >= 0, found number -1',
    ]);
    expect(problemsOf(edit('nofailover: false', 'nofailover: false\n  sync_priority: high'))).toHaveLength(1);
    expect(problemsOf(edit('    ttl: 30\n', '    ttl: 30\n    maximum_lag_on_syncnode: -2\n'))).toEqual([
      'bad.yml:11:30: bootstrap.dcs.maximum_lag_on_syncnode: expected an integer >= -1, found number -2',
    ]);
  });

  it('nosync contradicting sync_priority is a warning; nosync wins (as in Patroni)', () => {
    const text = edit('nofailover: false', 'nofailover: false\n  nosync: true\n  sync_priority: 2');
    expect(problemsOf(text, { mode: 'run' })).toEqual(['bad.yml:29:11: warning: tags.nosync: contradicts sync_priority=2; nosync wins']);
    expect(problemsOf(edit('nofailover: false', 'nofailover: false\n  nosync: false\n  sync_priority: 2'), { mode: 'run' })).toEqual([]);
  });
});
