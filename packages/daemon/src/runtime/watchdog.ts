/**
 * The Linux watchdog (spec/ha-loop.md §15): armed when this member becomes
 * primary, fed after each successful lock renewal (also while paused, unlike
 * Patroni: see core's README), disarmed on demotion and shutdown. If the agent hangs while PostgreSQL keeps running as
 * primary, the machine resets before the leader key expires.
 *
 * Node cannot issue the WDIOC_SETTIMEOUT ioctl, so the device timeout is
 * read from sysfs instead of set: a device whose timeout is longer than
 * `ttl - safety_margin` cannot protect us — `required` refuses to activate
 * (and the member may not take the lock), `automatic` warns. Configure the
 * driver's timeout (e.g. `modprobe softdog soft_margin=25`).
 */
import { accessSync, closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { PgwardenError } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { WatchdogPort } from '../ports.js';

export type WatchdogMode = 'off' | 'automatic' | 'required';

export interface WatchdogOptions {
  readonly mode: WatchdogMode;
  readonly device?: string;
  /** Seconds; -1 means ttl // 2. */
  readonly safetyMarginSeconds?: number;
  readonly ttlSeconds: () => number;
  readonly loopWaitSeconds: () => number;
  readonly logger: AgentLogger;
}

/** Patroni's spellings of the mode: `require`, `auto`, `disable(d)`, `false`. */
export function parseWatchdogMode(value: unknown): WatchdogMode {
  if (value === false) return 'off';
  if (value === true) return 'automatic';
  const text = String(value ?? 'automatic').toLowerCase();
  if (text === 'off' || text === 'disable' || text === 'disabled' || text === 'false') return 'off';
  if (text === 'required' || text === 'require') return 'required';
  return 'automatic';
}

export class LinuxWatchdog implements WatchdogPort {
  private fd: number | undefined;
  private readonly device: string;

  constructor(private readonly options: WatchdogOptions) {
    this.device = options.device ?? '/dev/watchdog';
  }

  /**
   * ttl - safety_margin, as Patroni computes it — with the margin capped at
   * ttl/2 as the lock's validity caps it (`lock-validity.ts`), so that under
   * the fast profile (ttl < 2 × safety_margin, which Patroni never runs) the
   * watchdog fires when the lock stops being ours rather than at once.
   * Whole seconds, rounded down: a device never fires later than the fence.
   */
  desiredTimeoutSeconds(): number {
    const ttl = this.options.ttlSeconds();
    const margin = this.options.safetyMarginSeconds ?? 5;
    return margin === -1 ? Math.floor(ttl / 2) : Math.floor(ttl - Math.min(margin, ttl / 2));
  }

  get usable(): boolean {
    if (this.options.mode !== 'required') return true;
    return this.problem() === undefined;
  }

  /** Why the watchdog cannot be used, or undefined when it can. */
  problem(): string | undefined {
    const desired = this.desiredTimeoutSeconds();
    if (desired - this.options.loopWaitSeconds() < 0) return `watchdog timeout ${desired}s is shorter than loop_wait`;
    try {
      accessSync(this.device, constants.W_OK);
    } catch {
      return `watchdog device ${this.device} is not writable`;
    }
    const deviceTimeout = this.deviceTimeoutSeconds();
    if (deviceTimeout !== undefined && deviceTimeout > desired) {
      return `watchdog device timeout ${deviceTimeout}s is longer than ttl - safety_margin = ${desired}s`;
    }
    return undefined;
  }

  private deviceTimeoutSeconds(): number | undefined {
    try {
      const text = readFileSync(`/sys/class/watchdog/${basename(this.device)}/timeout`, 'utf8');
      const value = Number(text.trim());
      return Number.isFinite(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async activate(): Promise<void> {
    if (this.options.mode === 'off' || this.fd !== undefined) return;
    const problem = this.problem();
    if (problem !== undefined) {
      if (this.options.mode === 'required') throw new PgwardenError('watchdog-unusable', problem);
      this.options.logger.warn({ device: this.device, problem }, 'watchdog not used');
      return;
    }
    this.fd = openSync(this.device, 'w');
    this.options.logger.info({ device: this.device, timeoutSeconds: this.deviceTimeoutSeconds() }, 'watchdog activated');
    writeSync(this.fd, '1');
  }

  async keepalive(): Promise<void> {
    if (this.fd === undefined) return;
    writeSync(this.fd, '1');
  }

  async disable(): Promise<void> {
    if (this.fd === undefined) return;
    // The magic close character: the driver stops the timer instead of resetting the machine.
    try {
      writeSync(this.fd, 'V');
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
      this.options.logger.info({ device: this.device }, 'watchdog disabled');
    }
  }
}

/** What `watchdog.mode: off` (pgwarden's default) uses. */
export const noWatchdog: WatchdogPort = {
  usable: true,
  activate: async () => undefined,
  keepalive: async () => undefined,
  disable: async () => undefined,
};
