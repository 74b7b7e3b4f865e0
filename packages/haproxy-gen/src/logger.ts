// haproxy-gen's logger is the one every pgwarden library shares: pino-shaped,
// so the agent passes its own logger unchanged (pino's fits too); silent when none is given.
import type { Logger } from '@pgwarden/core';

export { silentLogger } from '@pgwarden/core';
export type HaproxyGenLogger = Logger;
