/**
 * The program `watchdog-kernel.test.ts` runs inside testkit's watchdog VM:
 * the agent's LinuxWatchdog on /dev/watchdog, which there is the kernel's
 * i6300esb driver on QEMU's emulated chip. One JSON object per line on
 * standard output (the VM's console): `{"step": ...}` for what it did,
 * `{"log": ...}` for what the watchdog logged. The scenario is the first
 * argument:
 *
 * - `freeze`: a timeout out of the driver's range refused (required), then
 *   armed at ttl − safety_margin, fed for longer than that timeout, re-timed
 *   after a ttl change, closed with the magic character and left closed for
 *   longer than its timeout, armed again, fed, and then the process stops
 *   itself (SIGSTOP) as a hung agent would: the machine must reset.
 * - `killed`: armed, fed, then the process is killed (SIGKILL), so the
 *   kernel closes the device without the magic character: the timer keeps
 *   running and the machine must reset.
 */
import { readFileSync } from 'node:fs';
import type { AgentLogger } from '../../src/logger.js';
import { LinuxWatchdog } from '../../src/runtime/watchdog.js';

const print = (object: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(object)}\n`);
const step = (name: string, fields: Record<string, unknown> = {}): void => print({ step: name, ...fields });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The kernel's own view of the armed timeout. */
const kernelTimeout = (): number => Number(readFileSync('/sys/class/watchdog/watchdog0/timeout', 'utf8').trim());

function consoleLogger(): AgentLogger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void =>
      print({ log: message, level, ...fields });
  const logger: AgentLogger = { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => logger };
  return logger;
}

function watchdog(ttl: { seconds: number }): LinuxWatchdog {
  return new LinuxWatchdog({ mode: 'required', device: '/dev/watchdog', ttlSeconds: () => ttl.seconds, loopWaitSeconds: () => 1, logger: consoleLogger() });
}

async function feed(device: LinuxWatchdog, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await sleep(1000);
    await device.keepalive();
    step('fed');
  }
}

async function freeze(): Promise<void> {
  // The 6300ESB takes 1..2046 s: ttl 2100 asks for 2095.
  const tooLong = watchdog({ seconds: 2100 });
  await tooLong.activate().then(
    () => step('not-refused'),
    (error: unknown) => step('refused', { error: String(error), usable: tooLong.usable }),
  );

  const ttl = { seconds: 10 };
  const device = watchdog(ttl);
  await device.activate();
  step('armed', { kernelTimeout: kernelTimeout() });
  await feed(device, 8); // longer than the 5 s timeout: only the feeding keeps the machine up
  ttl.seconds = 6; // safety_margin 5 capped at ttl/2: 3 s
  await device.activate();
  step('retimed', { kernelTimeout: kernelTimeout() });
  await feed(device, 2);
  await device.disable();
  step('closed');
  await sleep(6000); // twice the 3 s timeout
  step('alive-after-close');

  await device.activate();
  step('armed', { kernelTimeout: kernelTimeout() });
  await feed(device, 3);
  step('freezing', { ttlSeconds: ttl.seconds });
  process.kill(process.pid, 'SIGSTOP');
}

async function killed(): Promise<void> {
  const device = watchdog({ seconds: 10 });
  await device.activate();
  step('armed', { kernelTimeout: kernelTimeout() });
  await feed(device, 2);
  step('killing');
  process.kill(process.pid, 'SIGKILL');
}

const scenario = process.argv[2];
if (scenario === 'freeze') await freeze();
else if (scenario === 'killed') await killed();
else {
  step('unknown-scenario', { scenario });
  process.exitCode = 2;
}
