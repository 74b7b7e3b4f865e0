// haproxy-gen's logger is the one every pgwarden library shares: pino-shaped,
// so the agent passes its pino instance unchanged; silent when none is given.
import type { Logger } from '@pgwarden/core';

export { silentLogger } from '@pgwarden/core';
export type HaproxyGenLogger = Logger;
