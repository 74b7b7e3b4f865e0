/**
 * WAL with its lineage. Real timelines can collide (two promotions from the
 * same base both create timeline N+1), so each promotion also opens a
 * segment with a globally unique id: two WALs hold the same bytes up to the
 * point where their segment lists agree. This is how the invariants tell
 * "contains this acknowledged write" and "diverged" apart exactly.
 */
export interface WalSegment {
  /** Unique per promotion/bootstrap in the whole run. */
  readonly id: number;
  readonly start: number;
}

export interface Wal {
  readonly segments: readonly WalSegment[];
  readonly end: number;
}

function segmentEnd(wal: Wal, index: number): number {
  return wal.segments[index + 1]?.start ?? wal.end;
}

/** Length of the prefix both WALs share, in bytes. */
export function commonPrefix(a: Wal, b: Wal): number {
  for (let index = 0; ; index++) {
    const left = a.segments[index];
    const right = b.segments[index];
    if (left === undefined || right === undefined) return Math.min(a.end, b.end);
    if (left.id !== right.id || left.start !== right.start) return Math.min(left.start, right.start, a.end, b.end);
    const leftEnd = segmentEnd(a, index);
    const rightEnd = segmentEnd(b, index);
    if (leftEnd !== rightEnd) {
      const nextLeft = a.segments[index + 1];
      const nextRight = b.segments[index + 1];
      // One WAL stops inside the segment the other continues: shared up to the shorter.
      if (nextLeft === undefined && leftEnd <= rightEnd) return leftEnd;
      if (nextRight === undefined && rightEnd <= leftEnd) return rightEnd;
      return Math.min(leftEnd, rightEnd);
    }
  }
}

/** `a` is a prefix of `b`: b holds every byte of a. */
export function isPrefixOf(a: Wal, b: Wal): boolean {
  return commonPrefix(a, b) >= a.end;
}

/** `b` truncated to `end` (a replica that received up to `end`). */
export function truncate(wal: Wal, end: number): Wal {
  return { segments: wal.segments.filter((segment, index) => index === 0 || segment.start < end), end: Math.min(end, wal.end) };
}

export function extend(wal: Wal, bytes: number): Wal {
  return { segments: wal.segments, end: wal.end + bytes };
}

export function fork(wal: Wal, id: number): Wal {
  return { segments: [...wal.segments, { id, start: wal.end }], end: wal.end };
}
