// @pgwarden/dcs-consul: pgwarden DCS adapter for Consul's HTTP API: sessions, CAS, blocking queries.
export {};
