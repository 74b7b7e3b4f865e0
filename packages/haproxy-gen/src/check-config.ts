/**
 * Ask the real HAProxy whether it accepts a configuration file
 * (`haproxy -c -f <file>`). HAProxy is the only judge of its own syntax: a
 * render that it refuses must never replace the live file.
 */
import { execFile } from 'node:child_process';
import { PgwardenError } from '@pgwarden/core';

export const DEFAULT_HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface CheckResult {
  readonly ok: boolean;
  /** HAProxy's ALERT/WARNING lines, with the checked path replaced by `displayName`. */
  readonly messages: readonly string[];
}

function interestingLines(output: string, path: string, displayName: string): string[] {
  return output
    .split('\n')
    .filter((line) => /\[(ALERT|WARNING)\]/.test(line))
    .map((line) => line.split(path).join(displayName).replace(/^\[(ALERT|WARNING)\]\s+\(\d+\)\s+:\s+/, '[$1] ').trim());
}

/** Run `haproxy -c -f path`; resolves with HAProxy's verdict, rejects only when HAProxy could not be run. */
export function checkHaproxyConfig(
  path: string,
  options: { readonly haproxyBinary?: string; readonly timeoutMs?: number; readonly displayName?: string } = {},
): Promise<CheckResult> {
  const binary = options.haproxyBinary ?? DEFAULT_HAPROXY_BINARY;
  const displayName = options.displayName ?? path;
  return new Promise((resolve, reject) => {
    execFile(binary, ['-c', '-f', path], { timeout: options.timeoutMs ?? 30_000 }, (error, stdout, stderr) => {
      const messages = interestingLines(`${stdout}\n${stderr}`, path, displayName);
      if (error === null) {
        resolve({ ok: true, messages });
        return;
      }
      const exitCode = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      if (typeof exitCode === 'number') {
        resolve({ ok: false, messages: messages.length > 0 ? messages : [`haproxy -c exited with code ${exitCode}`] });
        return;
      }
      reject(new PgwardenError('haproxy-check-failed', `could not run ${binary} -c: ${error.message}`, { cause: error }));
    });
  });
}
