// @pgwarden/dcs-etcd: pgwarden DCS adapter for etcd v3: leases, transactions, watch cache, Patroni key layout.
export {};
