/**
 * `log.dir`: the agent writes `<dir>/patroni.log` instead of stderr and
 * rotates it as Patroni's RotatingFileHandler does — when a record would
 * take the file past `file_size` bytes, `patroni.log.(n-1)` becomes
 * `patroni.log.n` ... `patroni.log` becomes `patroni.log.1`, and at most
 * `file_num` old files are kept. Writes are synchronous: a record is on disk
 * (in the page cache) before the agent acts on what it logged, and nothing
 * is lost when the process exits.
 *
 * A log file that cannot be written never stops the agent: the record goes
 * to stderr with one warning, and the file is tried again at the next record.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface RotatingLogFileOptions {
  readonly dir: string;
  /** Bytes; a file is rotated before it would grow past this. Default 25,000,000. */
  readonly fileSize?: number;
  /** Old files kept (`patroni.log.1` … `.N`). Default 4. */
  readonly fileNum?: number;
  /** Permissions of a newly created file (Patroni 4.x `log.mode`); default 0o600 by the umask. */
  readonly mode?: number;
  /** Where records go while the file cannot be written; stderr by default. */
  readonly fallback?: { write(line: string): unknown };
}

export const LOG_FILE_NAME = 'patroni.log';

export class RotatingLogFile {
  readonly path: string;
  private fd: number | undefined;
  private size = 0;
  private failing = false;
  private readonly fileSize: number;
  private readonly fileNum: number;

  constructor(private readonly options: RotatingLogFileOptions) {
    this.path = join(options.dir, LOG_FILE_NAME);
    this.fileSize = options.fileSize ?? 25_000_000;
    this.fileNum = options.fileNum ?? 4;
  }

  write(line: string): void {
    try {
      const bytes = Buffer.byteLength(line);
      const fd = this.open();
      if (this.size > 0 && this.size + bytes > this.fileSize) {
        this.rotate();
        this.write(line);
        return;
      }
      writeSync(fd, line);
      this.size += bytes;
      this.failing = false;
    } catch (error) {
      this.closeQuietly();
      const fallback = this.options.fallback ?? process.stderr;
      if (!this.failing) {
        fallback.write(`${JSON.stringify({ level: 'warn', msg: `cannot write the log file ${this.path}: ${(error as Error).message}; logging to stderr` })}\n`);
      }
      this.failing = true;
      fallback.write(line);
    }
  }

  close(): void {
    this.closeQuietly();
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    mkdirSync(this.options.dir, { recursive: true });
    const fd = openSync(this.path, 'a', this.options.mode ?? 0o600);
    this.fd = fd;
    this.size = fstatSync(fd).size;
    return fd;
  }

  private rotate(): void {
    this.closeQuietly();
    if (this.fileNum <= 0) {
      rmSync(this.path, { force: true });
      return;
    }
    rmSync(`${this.path}.${this.fileNum}`, { force: true });
    for (let index = this.fileNum - 1; index >= 1; index--) {
      const from = `${this.path}.${index}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${index + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
  }

  private closeQuietly(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed or gone: the next write opens it again.
    }
    this.fd = undefined;
    this.size = 0;
  }
}
