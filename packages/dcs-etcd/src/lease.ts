/**
 * Our one lease (spec/dcs.md §3.4): granted with TTL = ttl, refreshed at most
 * once per loop_wait in normal calls and on every leader update (forced).
 * We drive it ourselves, one keepalive request at a time (a POST to the
 * gateway's `lease/keepalive` stream with one message, which answers once),
 * not a background keepalive whose loss reports come late; a lease etcd no
 * longer knows comes back without a TTL, and a new one is granted.
 *
 * Invariant: `renewedAtMs` is the injected clock's reading taken just before
 * the grant/keepalive request that etcd answered was *sent*. etcd restarts
 * the lease's TTL no earlier than that, so `renewedAtMs + ttl` is a safe
 * lower bound of the lease's expiry for the core's own validity check.
 */
import { EtcdRequestError, type EtcdTransport } from './transport.js';

export interface LeaseState {
  readonly id: string;
  readonly renewedAtMs: number;
  /** True when this call granted a new lease (keys on the old one are gone). */
  readonly granted: boolean;
}

export class LeaseKeeper {
  private state: { id: string; renewedAtMs: number } | undefined;

  constructor(
    private readonly transport: EtcdTransport,
    private readonly clock: () => number,
    private readonly timings: () => { ttlSeconds: number; loopWaitSeconds: number },
  ) {}

  get id(): string | undefined {
    return this.state?.id;
  }

  get renewedAtMs(): number | undefined {
    return this.state?.renewedAtMs;
  }

  /** Drop the lease (ttl changed, or etcd said it is gone): the next refresh grants a new one. */
  forget(): void {
    this.state = undefined;
  }

  /**
   * Make sure we hold a live lease. Without `force`, a lease refreshed less
   * than loop_wait ago is taken as is (no request). Throws EtcdRequestError.
   */
  async refresh(force: boolean, deadline: number): Promise<LeaseState> {
    const state = this.state;
    const { loopWaitSeconds } = this.timings();
    if (state !== undefined && !force && this.clock() - state.renewedAtMs < loopWaitSeconds * 1000) {
      return { ...state, granted: false };
    }
    if (state !== undefined) {
      const sentAt = this.clock();
      const ttl = await this.transport.run('lease-keepalive', deadline, (client, attempt) => client.leaseKeepAlive(state.id, attempt));
      if (ttl > 0) {
        if (this.state?.id === state.id) this.state = { id: state.id, renewedAtMs: sentAt };
        return { id: state.id, renewedAtMs: sentAt, granted: false };
      }
      this.state = undefined;
    }
    return this.grant(deadline);
  }

  private async grant(deadline: number): Promise<LeaseState> {
    const ttlSeconds = Math.max(1, Math.round(this.timings().ttlSeconds));
    const sentAt = this.clock();
    const response = await this.transport.run('lease-grant', deadline, (client, attempt) => client.leaseGrant(ttlSeconds, attempt));
    if (response.error !== '' || response.id === '0') {
      throw new EtcdRequestError(`lease grant refused: ${response.error || 'no lease id'}`, 'transient');
    }
    this.state = { id: response.id, renewedAtMs: sentAt };
    return { id: response.id, renewedAtMs: sentAt, granted: true };
  }
}
