/**
 * @pgwarden/dcs-consul: the DCS contract (`Dcs` of @pgwarden/core) over
 * Consul's HTTP API, with Patroni's key layout and value formats, a
 * session-bound leader lock, CAS writes and a blocking-query watch.
 * Verified against a model of Consul's documented HTTP API (testkit's
 * startConsulModel), not against a real Consul server.
 */
export { ConsulDcs, createConsulDcs, type ConsulDcsOptions } from './consul-dcs.js';
export { consulDcsSettingsSchema, consulConnectionSchema, type ConsulDcsSettings } from './options.js';
export type { Logger } from './logger.js';
