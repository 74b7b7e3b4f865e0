import { describe, expect, it } from 'vitest';
import { parseOldWorkers, sessionsOf } from './old-workers.js';

describe('parseOldWorkers', () => {
  it('lists only the workers under "# old workers"', () => {
    const showProc = [
      '#<PID>          <type>          <reloads>       <uptime>        <version>',
      '100             master          2 [failed: 0]   0d00h01m00s     2.6.12',
      '# workers',
      '300             worker          0               0d00h00m01s     2.6.12',
      '# old workers',
      '200             worker          1               0d00h00m30s     2.6.12',
      '150             worker          2               0d00h01m00s     2.6.12',
      '# programs',
      '',
    ].join('\n');
    expect(parseOldWorkers(showProc)).toEqual([200, 150]);
  });
});

describe('sessionsOf', () => {
  it('picks the sessions of the named backend/server pairs only', () => {
    const showSess = [
      '0x55d0a1: proto=tcpv4 src=127.0.0.1:40000 fe=pgwarden_primary be=pgwarden_primary srv=alpha ts=00 epoch=0 age=5s calls=3',
      '0x55d0a2: proto=tcpv4 src=127.0.0.1:40001 fe=pgwarden_replicas be=pgwarden_replicas srv=alpha ts=00 epoch=0 age=5s calls=3',
      '0x55d0a3: proto=tcpv4 src=127.0.0.1:40002 fe=pgwarden_primary be=pgwarden_primary srv=bravo ts=00 epoch=0 age=5s calls=3',
      '0x55d0a4: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=0s calls=1',
    ].join('\n');
    expect(sessionsOf(showSess, new Set(['pgwarden_primary/alpha']))).toEqual(['0x55d0a1']);
  });
});
