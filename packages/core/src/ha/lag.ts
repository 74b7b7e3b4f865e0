/** WAL positions as bytes, and how operators read them. */

/** PostgreSQL's text form of an LSN: high and low 32 bits in hex, `0/3000060`. */
export function formatLsn(lsn: number): string {
  const high = Math.floor(lsn / 2 ** 32);
  const low = lsn % 2 ** 32;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** Bytes in the unit an operator reads at a glance (binary units, as pg_size_pretty). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : Math.round(value)} ${units[unit]}`;
}

/** How far `position` is behind the leader's last published position (never negative). */
export function lagBytes(leaderLsn: number, position: number | undefined): number {
  if (position === undefined) return leaderLsn;
  return Math.max(0, leaderLsn - position);
}

/** Patroni's lag check: lag strictly above the limit disqualifies. */
export function exceedsMaximumLag(leaderLsn: number, position: number | undefined, maximumLagBytes: number): boolean {
  return lagBytes(leaderLsn, position) > maximumLagBytes;
}
