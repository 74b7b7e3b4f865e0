/**
 * A terminal for tests: output captured line by line, questions answered from
 * a script (a question with no answer left fails the test loudly), standard
 * input given as text.
 */
import type { CtlIo } from '../../src/ctl/io.js';

export interface ScriptedIo extends CtlIo {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Questions asked, in order. */
  readonly questions: string[];
}

export function createScriptedIo(answers: readonly string[] = [], stdin = ''): ScriptedIo {
  const queue = [...answers];
  const stdout: string[] = [];
  const stderr: string[] = [];
  const questions: string[] = [];
  const next = (question: string): string => {
    questions.push(question);
    const answer = queue.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${question}`);
    return answer;
  };
  return {
    stdout,
    stderr,
    questions,
    out: (text) => void stdout.push(...text.split('\n')),
    err: (text) => void stderr.push(...text.split('\n')),
    prompt: async (question, defaultValue) => {
      const answer = next(question);
      return answer === '' ? (defaultValue ?? '') : answer;
    },
    confirm: async (question, defaultValue = false) => {
      const answer = next(question).toLowerCase();
      return answer === '' ? defaultValue : answer === 'y' || answer === 'yes';
    },
    stdoutIsTty: false,
    stdinIsTty: false,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readStdin: async () => stdin,
  };
}
