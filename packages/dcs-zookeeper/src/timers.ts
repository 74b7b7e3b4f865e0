/** Real timers for core's WakeSignal (core sets none itself). */
import type { SetTimer } from '@pgwarden/core';

export const timeoutTimer: SetTimer = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  return () => clearTimeout(timer);
};
