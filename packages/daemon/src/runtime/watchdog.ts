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
   * An activation refused for these timings (`timeout/loop_wait`). In
   * `automatic` mode the device is then left closed instead of being opened
   * and refused again every cycle. A `required` refusal makes the member
   * unusable — reported as
   * `watchdog_failed`, out of every leader race — until the timeout it needs
   * changes (ttl or safety_margin) or the agent restarts. Else a switchover's
   * candidate whose device refuses would take the key, fail, release and
   * take it again for as long as the request stands, with the other members
   * deferring to it and no primary anywhere.
   */
  private refused: { readonly timings: string; readonly reason: string } | undefined;
  /** `timeout/loop_wait` the armed device was last set for. */
  private armedFor: string | undefined;
  /**
   * The last "watchdog not used" problem logged in `automatic` mode. A
   * primary asks to activate every cycle; a machine without a watchdog
   * (most) would log the same warning every loop_wait. Logged again only
   * when the problem changes, as Patroni warns once and then runs without.
   */
  private notUsedLogged: string | undefined;

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
    if (this.refused?.timings === `${desired}/${this.options.loopWaitSeconds()}`) return this.refused.reason;
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

  /**
   * Arms the device, or — when it is armed already (the rules ask every cycle
   * a primary runs) — sets its timeout again if ttl, safety_margin or
   * loop_wait changed since, as Patroni does at its next keepalive: a ttl
   * lowered from 30 to 5 must not leave the device at 25 s.
   */
  async activate(): Promise<void> {
    if (this.options.mode === 'off') return;
    const desired = this.desiredTimeoutSeconds();
    const loopWait = this.options.loopWaitSeconds();
    const timings = `${desired}/${loopWait}`;
    if (this.fd !== undefined && this.armedFor === timings) return;
    // automatic: a device refused for these timings is not opened again every cycle (required throws below).
    if (this.fd === undefined && this.options.mode === 'automatic' && this.refused?.timings === timings) return;
    const retimed = this.fd !== undefined;
    if (this.fd === undefined) {
      const problem = this.problem();
      if (problem !== undefined) {
        if (this.options.mode === 'required') throw new PgwardenError('watchdog-unusable', problem);
        this.warnNotUsed(problem);
        return;
      }
      this.fd = openSync(this.device, 'w');
    }
    const set = await setTimeoutByIoctl(this.fd, desired);
    const actual = set.ok ? set.timeoutSeconds : this.deviceTimeoutSeconds();
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
      this.refused = { timings, reason: refusal };
      if (this.options.mode === 'required') throw new PgwardenError('watchdog-unusable', refusal);
      this.warnNotUsed(refusal);
      return;
    }
    if (late !== undefined) this.options.logger.warn({ device: this.device, problem: late }, 'watchdog timeout does not ensure a reset before the leader key expires');
    this.options.logger.info({ device: this.device, timeoutSeconds: actual, set: set.ok }, retimed ? 'watchdog timeout changed' : 'watchdog activated');
    this.armedFor = timings;
    this.notUsedLogged = undefined;
    writeSync(this.fd, '1');
  }

  private warnNotUsed(problem: string): void {
    if (this.notUsedLogged === problem) return;
    this.notUsedLogged = problem;
    this.options.logger.warn({ device: this.device, problem }, 'watchdog not used');
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

/** The local `watchdog` section as the agent reads it (re-read on every reload). */
export interface WatchdogSection {
  readonly mode: WatchdogMode;
  readonly device?: string;
  readonly safetyMarginSeconds?: number;
}

/**
 * The watchdog of the current local configuration: a reload that changes
 * `watchdog.mode`, `device` or `safety_margin` takes effect, as in Patroni —
 * at once while nothing is armed; while armed, at the next call from the
 * cycle (the renewal's keepalive or the primary's activate): the old device
 * is closed with the magic character and the new one armed in its place
 * (`mode: off` only closes). A new device that cannot be armed shows at the
 * next `activate`, which the cycle asks for while a primary runs: `required`
 * then demotes, as for any failed activation.
 */
export class ConfiguredWatchdog implements WatchdogPort {
  private current: WatchdogPort;
  private key: string;
  private armed = false;

  constructor(
    private readonly section: () => WatchdogSection,
    private readonly build: (section: WatchdogSection) => WatchdogPort,
    private readonly logger: AgentLogger,
  ) {
    const initial = section();
    this.key = JSON.stringify(initial);
    this.current = build(initial);
  }

  get usable(): boolean {
    if (!this.armed) this.replaceIfChanged();
    return this.current.usable;
  }

  async activate(): Promise<void> {
    await this.switchIfChanged();
    await this.current.activate();
    this.armed = true;
  }

  async keepalive(): Promise<void> {
    if (await this.switchIfChanged()) {
      // Re-armed on the new settings; a failure shows at the cycle's next activate.
      await this.current.activate().then(
        () => void (this.armed = true),
        (error: unknown) => this.logger.warn({ error: String(error) }, 'watchdog not armed after the configuration changed'),
      );
      return;
    }
    await this.current.keepalive();
  }

  async disable(): Promise<void> {
    await this.current.disable();
    this.armed = false;
    this.replaceIfChanged();
  }

  /** True when the settings changed while armed: the old device was closed. */
  private async switchIfChanged(): Promise<boolean> {
    if (!this.armed) {
      this.replaceIfChanged();
      return false;
    }
    const next = this.changedSection();
    if (next === undefined) return false;
    this.logger.info({ from: JSON.parse(this.key) as unknown, to: next }, 'watchdog settings changed: closing the armed device');
    await this.current.disable();
    this.armed = false;
    this.replace(next);
    return next.mode !== 'off';
  }

  private replaceIfChanged(): void {
    const next = this.changedSection();
    if (next !== undefined) this.replace(next);
  }

  /** The watchdog section when it differs from the one the current device was built for. */
  private changedSection(): WatchdogSection | undefined {
    const next = this.section();
    return JSON.stringify(next) === this.key ? undefined : next;
  }

  private replace(next: WatchdogSection): void {
    this.key = JSON.stringify(next);
    this.current = this.build(next);
  }
}

/** What `watchdog.mode: off` (pgwarden's default) uses. */
export const noWatchdog: WatchdogPort = {
  usable: true,
  activate: async () => undefined,
  keepalive: async () => undefined,
  disable: async () => undefined,
};
