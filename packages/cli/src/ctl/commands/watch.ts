/**
 * `-W` / `-w SEC`: run a view again and again, clearing the terminal between
 * runs, until interrupted (Ctrl-C ends the process as for patronictl).
 */
import type { CtlIo } from '../io.js';

export function watchInterval(watchFlag: boolean | undefined, seconds: string | undefined): number | undefined {
  if (seconds !== undefined) return Number(seconds);
  return watchFlag ? 2 : undefined;
}

export async function repeatView(io: CtlIo, intervalSeconds: number | undefined, show: () => Promise<void>): Promise<number> {
  if (intervalSeconds === undefined) {
    await show();
    return 0;
  }
  for (;;) {
    if (io.stdoutIsTty) process.stdout.write('\u001b[H\u001b[2J');
    await show();
    await io.sleep(intervalSeconds * 1000);
  }
}
