/**
 * Remembers whether any lifecycle callback ran since the agent started:
 * Patroni fires on_start once after start-up only when none did.
 */
import type { CallbackAction, CallbackPort } from '../ports.js';

export interface TrackedCallbacks extends CallbackPort {
  readonly fired: boolean;
}

export function trackCallbacks(port: CallbackPort): TrackedCallbacks {
  let fired = false;
  return {
    get fired() {
      return fired;
    },
    run(action: CallbackAction, role: string) {
      fired = true;
      port.run(action, role);
    },
    close: () => port.close(),
  };
}
