/**
 * The demo waits until HAProxy has checked every server once: before that,
 * HAProxy counts a server UP and the replica port may reach the primary.
 * Rows below are the columns of HAProxy 2.6's `;csv` stats page that the
 * decision reads (real output, other columns cut).
 */
import { describe, expect, it } from 'vitest';
import { serversAllChecked } from '../../src/demo/demo-cluster.js';

const header = '# pxname,svname,qcur,status,check_status';

function csv(...rows: string[]): string {
  return [header, 'pgwarden_primary,FRONTEND,,OPEN,', ...rows, 'pgwarden_stats,FRONTEND,,OPEN,', ''].join('\n');
}

describe('serversAllChecked', () => {
  it('is false while a server has not been checked yet (INI)', () => {
    const text = csv(
      'pgwarden_primary,node1,0,DOWN,L7STS',
      'pgwarden_primary,node2,0,UP,L7OK',
      'pgwarden_replicas,node1,0,UP 1/2,INI',
      'pgwarden_replicas,node2,0,DOWN,L7STS',
    );
    expect(serversAllChecked(text)).toBe(false);
  });

  it('is true once every server was checked and exactly one is UP behind the primary port', () => {
    const text = csv(
      'pgwarden_primary,node1,0,DOWN,L7STS',
      'pgwarden_primary,node2,0,UP,L7OK',
      'pgwarden_primary,BACKEND,0,UP,',
      'pgwarden_replicas,node1,0,UP,L7OK',
      'pgwarden_replicas,node2,0,DOWN,L7STS',
    );
    expect(serversAllChecked(text)).toBe(true);
  });

  it('is false with no primary or two primaries UP', () => {
    expect(serversAllChecked(csv('pgwarden_primary,node1,0,DOWN,L7STS', 'pgwarden_primary,node2,0,DOWN,L7STS'))).toBe(false);
    expect(serversAllChecked(csv('pgwarden_primary,node1,0,UP,L7OK', 'pgwarden_primary,node2,0,UP,L7OK'))).toBe(false);
  });

  it('is false for an empty or foreign page', () => {
    expect(serversAllChecked('')).toBe(false);
    expect(serversAllChecked('<html>not stats</html>\n')).toBe(false);
  });
});
