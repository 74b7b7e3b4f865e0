// @pgwarden/testkit: Private test kit: launchers for real etcd/PostgreSQL/HAProxy, the DCS contract suite, the deterministic simulator.
export {};
