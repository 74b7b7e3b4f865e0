/**
 * The DCS as pgwardenctl uses it: one client per cluster name, read-only
 * unless a command writes `/config`, `/failover` or deletes the cluster.
 * patronictl never creates a lease or a watch: neither do we.
 */
import type { Dcs } from '@pgwarden/core';
import type { CtlSettings } from '../settings/ctl-settings.js';

export type DcsOpener = (settings: CtlSettings, scope: string) => Promise<Dcs>;

/** Filled in with @pgwarden/dcs-etcd's factory. */
export const openEtcdDcs: DcsOpener = async () => {
  throw new Error('dcs-etcd not wired yet');
};
