// The shipped systemd unit keeps the settings an HA agent depends on: a
// restart of the agent must not take PostgreSQL down with it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const unit = readFileSync(new URL('../../systemd/pgwarden.service', import.meta.url), 'utf8');

/** `Key=value` lines of one section, comments dropped. */
function section(name: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  let current = '';
  for (const line of unit.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line.trim());
    if (header) current = header[1]!;
    else if (current === name && /^[A-Za-z]+=/.test(line)) {
      const [key, ...rest] = line.split('=');
      values.set(key!, [...(values.get(key!) ?? []), rest.join('=')]);
    }
  }
  return values;
}

describe('systemd/pgwarden.service', () => {
  const service = section('Service');

  it('signals only the agent (KillMode=process), so PostgreSQL outlives an agent restart', () => {
    expect(service.get('KillMode')).toEqual(['process']);
  });

  it('reloads with SIGHUP to the agent, runs as postgres and restarts after a failure', () => {
    expect(service.get('ExecReload')).toEqual(['/bin/kill -s HUP $MAINPID']);
    expect(service.get('User')).toEqual(['postgres']);
    expect(service.get('Restart')).toEqual(['on-failure']);
  });
});
