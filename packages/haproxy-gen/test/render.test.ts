import { isPgwardenError } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { parseHaproxyOptions, renderHaproxyConfig } from '../src/index.js';
import { cluster, member } from './support/cluster.js';

function backend(text: string, name: string): string {
  const start = text.indexOf(`\nbackend pgwarden_${name}\n`);
  if (start < 0) throw new Error(`no backend ${name}`);
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isPgwardenError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('renderHaproxyConfig', () => {
  const three = cluster(member('node2', '10.0.0.12'), member('node1', '10.0.0.11'), member('node3', '10.0.0.13'));

  it('renders the same text for the same members in any order', () => {
    const shuffled = cluster(...[...three.members].reverse());
    expect(renderHaproxyConfig(shuffled)).toBe(renderHaproxyConfig(three));
  });

  it('checks the primary with OPTIONS /primary, cuts sessions of a member marked down, sorted servers', () => {
    const primary = backend(renderHaproxyConfig(three), 'primary');
    expect(primary).toContain('option httpchk OPTIONS /primary');
    expect(primary).toContain('http-check expect status 200');
    expect(primary).toContain('default-server inter 1s fastinter 100ms downinter 100ms fall 3 rise 2 on-marked-down shutdown-sessions');
    expect(primary.match(/server node\d/g)).toEqual(['server node1', 'server node2', 'server node3']);
    expect(primary).toContain('server node1 10.0.0.11:5432 check addr 10.0.0.11 port 8008');
  });

  it('checks /leader for the read-write route of a standby cluster when asked', () => {
    expect(backend(renderHaproxyConfig(three, { primary: { endpoint: 'leader' } }), 'primary')).toContain('option httpchk OPTIONS /leader');
  });

  it('uses timeouts fit for idle database sessions by default', () => {
    const text = renderHaproxyConfig(three);
    for (const line of ['timeout client 30m', 'timeout server 30m', 'timeout connect 500ms', 'timeout check 5s', 'option clitcpka', 'option srvtcpka']) {
      expect(text).toContain(line);
    }
  });

  it('puts the lag bound, streaming requirement and tag filters into the replica check path', () => {
    const text = renderHaproxyConfig(three, { replicas: { port: 5001, maxLag: '10MB', requireStreaming: true, tags: { dc: 'eu west' } } });
    expect(backend(text, 'replicas')).toContain('option httpchk OPTIONS /replica?lag=10MB&replication_state=streaming&tag_dc=eu%20west');
  });

  it('leaves noloadbalance members out of read-only backends but keeps them for the primary', () => {
    const text = renderHaproxyConfig(cluster(member('a', '10.0.0.1'), member('b', '10.0.0.2', { tags: { noloadbalance: true } })), {
      sync: { port: 5002 },
      async: { port: 5003 },
    });
    expect(backend(text, 'primary')).toContain('server b ');
    for (const name of ['replicas', 'sync', 'async']) expect(backend(text, name)).not.toContain('server b ');
    expect(backend(text, 'sync')).toContain('option httpchk OPTIONS /sync');
    expect(backend(text, 'async')).toContain('option httpchk OPTIONS /async');
  });

  it('brackets IPv6 members for traffic and checks', () => {
    const text = renderHaproxyConfig(cluster(member('v6', '::1')));
    expect(text).toContain('server v6 [::1]:5432 check addr [::1] port 8008');
  });

  it('skips members without usable URLs and says why in the file', () => {
    const broken = { name: 'half', version: 1, data: { conn_url: 'postgres://10.0.0.9:5432/postgres' } };
    const text = renderHaproxyConfig(cluster(member('ok', '10.0.0.1'), broken));
    expect(text).toContain('# skipped: half: no api_url');
    expect(text).not.toContain('server half');
  });

  it('checks https REST APIs over TLS with the configured CA', () => {
    const text = renderHaproxyConfig(cluster(member('s', '10.0.0.1', { apiScheme: 'https' })), {
      restApiTls: { caFile: '/etc/pgwarden/ca.pem', verifyHost: 'pg.example' },
    });
    expect(text).toContain('check-ssl verify required ca-file /etc/pgwarden/ca.pem verifyhost pg.example check-sni pg.example');
  });

  it('refuses an https REST API without TLS options, naming restApiTls', () => {
    expect(refusal(() => renderHaproxyConfig(cluster(member('s', '10.0.0.1', { apiScheme: 'https' })))))
      .toMatch(/^haproxy-tls-options-missing: .*"s".*restApiTls/);
  });

  it('renders an empty cluster with listeners and no servers', () => {
    const text = renderHaproxyConfig(cluster());
    expect(text).toContain('# members: (none)');
    expect(text).not.toMatch(/^\s+server /m);
  });

  it('adds the stats page only when asked', () => {
    expect(renderHaproxyConfig(three)).not.toContain('stats enable');
    const text = renderHaproxyConfig(three, { stats: { port: 7000, auth: { username: 'ops', password: 's3cret' } } });
    expect(text).toContain('bind 127.0.0.1:7000');
    expect(text).toContain('stats auth ops:s3cret');
  });

  it('keeps a member name from breaking out of its line', () => {
    const text = renderHaproxyConfig(cluster(member('evil\nglobal', '10.0.0.1'), member('x y#z', '10.0.0.2')));
    expect(text).toContain('server evil_global ');
    expect(text).toContain('server x_y_z ');
    expect(text).not.toMatch(/^global\n[\s\S]*^global$/m);
  });
});

describe('parseHaproxyOptions', () => {
  it.each([
    [{ replicas: { port: 5001, maxLag: '10 MB' } }, 'replicas.maxLag'],
    [{ primary: { port: 70000 } }, 'primary.port'],
    [{ replicas: { port: 5000 } }, 'replicas.port: port 5000 is already used by primary.port'],
    [{ timeouts: { client: '30 minutes' } }, 'timeouts.client'],
    [{ extraGlobal: ['nbthread 2\nbogus'] }, 'extraGlobal.0'],
    [{ restApiTls: {} }, 'restApiTls.caFile'],
    [{ healthCheck: { fall: 0 } }, 'healthCheck.fall'],
    [{ bogus: true }, "Unrecognized key(s) in object: 'bogus'"],
  ])('refuses %j naming %s', (input, named) => {
    expect(refusal(() => parseHaproxyOptions(input))).toContain(named);
    expect(refusal(() => parseHaproxyOptions(input))).toMatch(/^haproxy-invalid-options: /);
  });

  it('fills in the documented defaults', () => {
    const options = parseHaproxyOptions({});
    expect(options.primary.port).toBe(5000);
    expect(options.replicas).toMatchObject({ port: 5001 });
    expect(options.timeouts).toEqual({ connect: '500ms', client: '30m', server: '30m', check: '5s', queue: '30s' });
    expect(options.healthCheck).toEqual({ interval: '1s', fastInterval: '100ms', downInterval: '100ms', fall: 3, rise: 2 });
  });
});
