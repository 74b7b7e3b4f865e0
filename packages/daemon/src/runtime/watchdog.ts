/**
 * The Linux watchdog (spec/ha-loop.md §15): armed when this member becomes
 * primary, fed after each successful lock renewal (also while paused, unlike
 * Patroni: see core's README), disarmed on demotion and shutdown. If the agent hangs while PostgreSQL keeps running as
 * primary, the machine resets before the leader key expires.
 *
 * On activation the device's timeout is set to `ttl - safety_margin` as
 * Patroni sets it (WDIOC_SETTIMEOUT) and read back (WDIOC_GETTIMEOUT). Node
 * has no ioctl, so a `perl` child (perl-base is Essential on Debian) issues
 * both on our open descriptor, passed as its standard input. A device whose
 * timeout cannot be brought to `ttl - safety_margin` or below cannot protect
 * us in time — `required` refuses to activate (the member gives the lock up
 * before promoting), `automatic` warns and uses it anyway, as Patroni does (it
 * still resets a hung machine, later). A timeout shorter than loop_wait would
 * reset a healthy machine between two renewals: refused in both modes.
 * Without the ioctl (no perl, a driver that refuses it) the timeout is read
 * from sysfs instead; a `required` watchdog whose timeout can be neither set
 * nor read is refused.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { PgwardenError, watchdogTimeoutSeconds } from '@pgwarden/core';
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
  /**
   * A `required` activation refused for this timeout (the device cannot be
   * brought to it): the member stays unusable — reported as
   * `watchdog_failed`, out of every leader race — until the timeout it needs
   * changes (ttl or safety_margin) or the agent restarts. Else a switchover's
   * candidate whose device refuses would take the key, fail, release and
   * take it again for as long as the request stands, with the other members
   * deferring to it and no primary anywhere.
   */
  private refused: { readonly timeoutSeconds: number; readonly reason: string } | undefined;

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
    return watchdogTimeoutSeconds(this.options.ttlSeconds(), this.options.safetyMarginSeconds);
  }

  get usable(): boolean {
    if (this.options.mode !== 'required') return true;
    return this.problem() === undefined;
  }

  /**
   * Why the watchdog cannot be used, or undefined when it can (as far as can
   * be told before opening it: the timeout is set and checked on activation).
   */
  problem(): string | undefined {
    const desired = this.desiredTimeoutSeconds();
    if (desired - this.options.loopWaitSeconds() < 0) return `watchdog timeout ${desired}s is shorter than loop_wait`;
    if (this.refused?.timeoutSeconds === desired) return this.refused.reason;
    try {
      accessSync(this.device, constants.W_OK);
    } catch {
      return `watchdog device ${this.device} is not writable`;
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
    const desired = this.desiredTimeoutSeconds();
    const set = await setTimeoutByIoctl(this.fd, desired);
    const actual = set.ok ? set.timeoutSeconds : this.deviceTimeoutSeconds();
    const loopWait = this.options.loopWaitSeconds();
    const couldNotSet = set.ok ? '' : ` (could not set it: ${set.reason})`;
    // Shorter than loop_wait: it would reset a healthy machine between two renewals, whatever the mode.
    const tooShort = actual !== undefined && actual < loopWait ? `watchdog device timeout ${actual}s is shorter than loop_wait ${loopWait}s${couldNotSet}` : undefined;
    // Longer than ttl - safety_margin, or unknown: it may fire after the key expired. Not enough
    // when required; used anyway in automatic (it still resets a hung machine), as Patroni does.
    const late =
      actual === undefined
        ? `watchdog timeout could be neither set nor read (${set.ok ? '' : set.reason}); it must be at most ttl - safety_margin = ${desired}s`
        : actual > desired
          ? `watchdog device timeout ${actual}s is longer than ttl - safety_margin = ${desired}s${couldNotSet}`
          : undefined;
    const refusal = tooShort ?? (this.options.mode === 'required' ? late : undefined);
    if (refusal !== undefined) {
      await this.disable();
      if (this.options.mode === 'required') {
        this.refused = { timeoutSeconds: desired, reason: refusal };
        throw new PgwardenError('watchdog-unusable', refusal);
      }
      this.options.logger.warn({ device: this.device, problem: refusal }, 'watchdog not used');
      return;
    }
    if (late !== undefined) this.options.logger.warn({ device: this.device, problem: late }, 'watchdog timeout does not ensure a reset before the leader key expires');
    this.options.logger.info({ device: this.device, timeoutSeconds: actual, set: set.ok }, 'watchdog activated');
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

/** _IOWR('W', 6, int) and _IOR('W', 7, int) of linux/watchdog.h. */
const WDIOC_SETTIMEOUT = 0xc0045706;
const WDIOC_GETTIMEOUT = 0x80045707;
const IOCTL_SCRIPT = [
  'my $t = pack("i", $ARGV[0]);',
  `ioctl(STDIN, ${WDIOC_SETTIMEOUT}, $t) or die "WDIOC_SETTIMEOUT: $!\\n";`,
  'my $g = pack("i", 0);',
  `ioctl(STDIN, ${WDIOC_GETTIMEOUT}, $g) or die "WDIOC_GETTIMEOUT: $!\\n";`,
  'print unpack("i", $g), "\\n";',
].join(' ');

type IoctlResult = { readonly ok: true; readonly timeoutSeconds: number } | { readonly ok: false; readonly reason: string };

/** WDIOC_SETTIMEOUT then WDIOC_GETTIMEOUT on `fd`, through a perl child that gets it as its standard input. */
export function setTimeoutByIoctl(fd: number, seconds: number, perl = 'perl'): Promise<IoctlResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(perl, ['-e', IOCTL_SCRIPT, String(seconds)], { stdio: [fd, 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `could not run ${perl}: ${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const value = Number(stdout.trim());
      if (code === 0 && Number.isInteger(value) && value > 0) resolve({ ok: true, timeoutSeconds: value });
      else resolve({ ok: false, reason: stderr.trim() || `${perl} exited with ${String(code)}` });
    });
  });
}

/** What `watchdog.mode: off` (pgwarden's default) uses. */
export const noWatchdog: WatchdogPort = {
  usable: true,
  activate: async () => undefined,
  keepalive: async () => undefined,
  disable: async () => undefined,
};
