/**
 * Everything pgwardenctl reads from or writes to the person in front of it,
 * behind one interface so that tests drive the commands with scripted answers
 * and capture their output, and so that no command touches process.std* directly.
 */
import { PgwardenError } from '@pgwarden/core';
import { createInterface, type Interface } from 'node:readline';

export interface CtlIo {
  /** Write a line (a newline is added) to standard output. */
  out(text: string): void;
  /** Write a line to standard error (progress, warnings). */
  err(text: string): void;
  /** Ask a question; returns the answer, or `defaultValue` for an empty answer. */
  prompt(question: string, defaultValue?: string): Promise<string>;
  /** Ask y/N (or Y/n with `defaultValue`). */
  confirm(question: string, defaultValue?: boolean): Promise<boolean>;
  readonly stdoutIsTty: boolean;
  readonly stdinIsTty: boolean;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Standard input as text, for `--apply -` / `--replace -`. */
  readStdin(): Promise<string>;
}

/** Reads answers line by line from a stream, one per question (works for pipes and terminals). */
class LineReader {
  private readonly lines: string[] = [];
  private readonly waiters: Array<(line: string | undefined) => void> = [];
  private closed = false;
  private readline: Interface | undefined;

  constructor(private readonly input: NodeJS.ReadableStream) {}

  next(): Promise<string | undefined> {
    if (this.readline === undefined) {
      this.readline = createInterface({ input: this.input, terminal: false });
      this.readline.on('line', (line) => {
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      });
      this.readline.on('close', () => {
        this.closed = true;
        for (const waiter of this.waiters.splice(0)) waiter(undefined);
      });
    }
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.readline?.close();
  }
}

export function createProcessIo(): CtlIo & { close(): void } {
  const reader = new LineReader(process.stdin);
  const ask = async (question: string): Promise<string> => {
    process.stdout.write(question);
    const answer = await reader.next();
    if (answer === undefined) {
      process.stdout.write('\n');
      throw new PgwardenError('aborted', 'Aborted! (no answer on standard input; use --force to skip questions)');
    }
    return answer.trim();
  };
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    async prompt(question, defaultValue) {
      const suffix = defaultValue !== undefined && defaultValue !== '' ? ` [${defaultValue}]` : '';
      const answer = await ask(`${question}${suffix}: `);
      return answer === '' ? (defaultValue ?? '') : answer;
    },
    async confirm(question, defaultValue = false) {
      for (;;) {
        const answer = (await ask(`${question} [${defaultValue ? 'Y/n' : 'y/N'}]: `)).toLowerCase();
        if (answer === '') return defaultValue;
        if (answer === 'y' || answer === 'yes') return true;
        if (answer === 'n' || answer === 'no') return false;
        process.stdout.write('Error: invalid input\n');
      }
    },
    stdoutIsTty: process.stdout.isTTY === true,
    stdinIsTty: process.stdin.isTTY === true,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
    close: () => reader.close(),
  };
}

/** `YYYY-MM-DD HH:MM:SS` in local time, as patronictl prints before tables and results. */
export function formatLocalTimestamp(date: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** Seconds with one decimal, for "done in 4.2 s". */
export function formatElapsed(startMs: number, endMs: number): string {
  return `${((endMs - startMs) / 1000).toFixed(1)} s`;
}
