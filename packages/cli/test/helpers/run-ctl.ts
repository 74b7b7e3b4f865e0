/** Run pgwardenctl in-process against a DCS URL, capturing what it prints. */
import { runCtl } from '../../src/ctl/main.js';
import { createScriptedIo } from './scripted-io.js';

export interface CtlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly questions: readonly string[];
}

export async function ctl(
  argv: readonly string[],
  options: { answers?: readonly string[]; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CtlRun> {
  const io = createScriptedIo(options.answers, options.stdin);
  const code = await runCtl(argv, { io, env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent', ...options.env } });
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n'), questions: io.questions };
}
