/**
 * pg_controldata, parsed. Run with LANG=C so the keys are the English ones
 * whatever the host locale is.
 */
import { existsSync } from 'node:fs';
import type { RunAsUser } from '../process/run-as.js';
import { runCommand } from '../process/run-command.js';

export type ControlData = Readonly<Record<string, string>>;

export function parseControlData(output: string): ControlData {
  const data: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().replace(/^Current /, '');
    data[key] = line.slice(colon + 1).trim();
  }
  return data;
}

export async function readControlData(binary: string, dataDir: string, user: RunAsUser): Promise<ControlData | undefined> {
  if (!existsSync(`${dataDir}/global/pg_control`)) return undefined;
  const result = await runCommand(binary, [dataDir], { user, timeoutMs: 10_000, env: { LANG: 'C', LC_ALL: 'C' } });
  return result.code === 0 ? parseControlData(result.stdout) : undefined;
}

/** `X/Y` → bytes. */
export function parseLsn(lsn: string | undefined | null): number | undefined {
  if (!lsn) return undefined;
  const match = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(lsn.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return parseInt(match[1], 16) * 2 ** 32 + parseInt(match[2], 16);
}

export function formatLsn(bytes: number): string {
  const high = Math.floor(bytes / 2 ** 32);
  const low = bytes - high * 2 ** 32;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** pg_rewind works when the cluster logs hint bits or has checksums. */
export function isRewindable(control: ControlData): boolean {
  return control['wal_log_hints setting'] === 'on' || Number(control['Data page checksum version'] ?? '0') > 0;
}
