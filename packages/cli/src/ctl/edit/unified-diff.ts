/**
 * A unified diff of two texts (Python difflib's `unified_diff` layout, three
 * lines of context), for edit-config to show what will change before it asks.
 * The line matching is a longest-common-subsequence; configs are small.
 */

type Op = { readonly kind: ' ' | '-' | '+'; readonly text: string };

function diffLines(before: readonly string[], after: readonly string[]): Op[] {
  const rows = before.length;
  const cols = after.length;
  const lcs: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0));
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      lcs[i]![j] = before[i] === after[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < cols) {
    if (i < rows && j < cols && before[i] === after[j]) {
      ops.push({ kind: ' ', text: before[i++]! });
      j++;
    } else if (i < rows && (j === cols || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as difflib prints a replaced block.
      ops.push({ kind: '-', text: before[i++]! });
    } else {
      ops.push({ kind: '+', text: after[j++]! });
    }
  }
  return ops;
}

function range(start: number, length: number): string {
  const first = length === 0 ? start : start + 1;
  return length === 1 ? `${first}` : `${first},${length}`;
}

function splitLines(text: string): string[] {
  return text.replace(/\n+$/, '').split('\n');
}

/** The diff as lines (`---`, `+++`, `@@ ... @@`, then ` `/`-`/`+` lines); empty when equal. */
export function unifiedDiff(beforeText: string, afterText: string, context = 3): string[] {
  const ops = diffLines(splitLines(beforeText), splitLines(afterText));
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return [];
  const groups: Array<[number, number]> = [];
  for (const index of changed) {
    const last = groups[groups.length - 1];
    if (last !== undefined && index - last[1] <= 2 * context) last[1] = index;
    else groups.push([index, index]);
  }
  const out = ['--- ', '+++ '];
  for (const [firstChange, lastChange] of groups) {
    const start = Math.max(0, firstChange - context);
    const end = Math.min(ops.length, lastChange + context + 1);
    let beforeStart = 0;
    let afterStart = 0;
    for (const op of ops.slice(0, start)) {
      if (op.kind !== '+') beforeStart++;
      if (op.kind !== '-') afterStart++;
    }
    const hunk = ops.slice(start, end);
    const beforeLength = hunk.filter((op) => op.kind !== '+').length;
    const afterLength = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${range(beforeStart, beforeLength)} +${range(afterStart, afterLength)} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.text}`);
  }
  return out;
}

/** Colour for a terminal: red removals, green additions, cyan hunk headers. */
export function colourDiffLine(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return `\u001b[1m${line}\u001b[0m`;
  if (line.startsWith('@@')) return `\u001b[36m${line}\u001b[0m`;
  if (line.startsWith('+')) return `\u001b[32m${line}\u001b[0m`;
  if (line.startsWith('-')) return `\u001b[31m${line}\u001b[0m`;
  return line;
}
