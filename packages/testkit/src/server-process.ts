/**
 * A test server's process that can be stopped and started again (etcd,
 * ZooKeeper, Redis): the current child, whether it has exited, and the output
 * of the last run once it has. A stop sends SIGCONT first, so a server a test
 * froze with SIGSTOP can be stopped too.
 */
import { startProcess, type TestProcess } from './processes.js';

export interface RestartableProcess {
  /** Start a new run (the previous one must have stopped). */
  launch(): void;
  pid(): number | undefined;
  running(): boolean;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function restartableProcess(binary: string, args: () => readonly string[]): RestartableProcess {
  let child: TestProcess | undefined;
  let exited = true;
  let lastOutput = '';
  return {
    launch() {
      const started = startProcess(binary, args());
      child = started;
      exited = false;
      void started.exited().then(() => {
        if (child === started) exited = true;
      });
    },
    pid: () => (exited ? undefined : child?.pid),
    running: () => !exited,
    output: () => (child ? child.output() : lastOutput),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child === undefined || exited) return;
      try {
        process.kill(child.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await child.stop(signal, 5000);
      lastOutput = child.output();
      exited = true;
    },
  };
}
