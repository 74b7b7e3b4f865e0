import { describe, expect, it } from 'vitest';
import { filterServerState } from './server-state.js';

const config = [
  'backend pgwarden_primary',
  '    server alpha 127.0.0.1:5432 check addr 127.0.0.1 port 8008',
  '    server v6 [::1]:5433 check addr [::1] port 8009',
  '',
  'backend pgwarden_replicas',
  '    server alpha 127.0.0.1:5432 check addr 127.0.0.1 port 8008',
].join('\n');

const header = '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const line = (backend: string, server: string, addr: string, port: number, checkPort: number, checkAddr = addr): string =>
  `3 ${backend} 1 ${server} ${addr} 2 0 1 1 2 15 3 4 6 0 0 0 - ${port} - 0 ${checkPort} ${checkAddr} ${checkAddr} ${checkPort}`;

describe('filterServerState', () => {
  it('keeps the states of servers whose addresses and ports are unchanged, IPv6 included', () => {
    const state = ['1', header, line('pgwarden_primary', 'alpha', '127.0.0.1', 5432, 8008), line('pgwarden_primary', 'v6', '::1', 5433, 8009), ''].join('\n');
    expect(filterServerState(state, config)).toBe(state);
  });

  it('drops a server whose database port, check port or address moved, and servers no longer configured', () => {
    const state = [
      '1',
      header,
      line('pgwarden_primary', 'alpha', '127.0.0.1', 5999, 8008),
      line('pgwarden_replicas', 'alpha', '127.0.0.1', 5432, 8999),
      line('pgwarden_primary', 'v6', '::2', 5433, 8009),
      line('pgwarden_primary', 'gone', '127.0.0.9', 5432, 8008),
      '',
    ].join('\n');
    expect(filterServerState(state, config)).toBe(`1\n${header}\n`);
  });

  it('writes nothing from a state of an unknown format version', () => {
    expect(filterServerState(`2\n${line('pgwarden_primary', 'alpha', '127.0.0.1', 5432, 8008)}\n`, config)).toBe('');
  });
});
