import type { Cluster, Member, MemberTags } from '@pgwarden/core';

export function member(name: string, host: string, options: { apiScheme?: 'http' | 'https'; apiPort?: number; port?: number; tags?: MemberTags } = {}): Member {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return {
    name,
    version: 1,
    data: {
      conn_url: `postgres://${bracketed}:${options.port ?? 5432}/postgres`,
      api_url: `${options.apiScheme ?? 'http'}://${bracketed}:${options.apiPort ?? 8008}/patroni`,
      state: 'running',
      role: 'replica',
      ...(options.tags === undefined ? {} : { tags: options.tags }),
    },
  };
}

export function cluster(...members: Member[]): Cluster {
  return { members, lastLsn: 0 };
}
