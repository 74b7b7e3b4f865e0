/**
 * The bordered table patronictl prints (Python's prettytable as Patroni
 * configures it), reproduced character for character because operators'
 * scripts parse it: one space of padding each side, column width = widest of
 * header and cells, left alignment unless told otherwise, multi-line cells
 * expanded line by line, and an optional title written over the top border
 * right after the first `+`.
 */

export type Alignment = 'l' | 'r';

export interface AsciiTableInput {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Column title → alignment; absent columns are left aligned. */
  readonly alignment?: Readonly<Record<string, Alignment>>;
  /** Written over the top border, e.g. ` Cluster: demo (123) `. */
  readonly title?: string;
}

function cellLines(cell: string): string[] {
  return cell.split('\n');
}

function pad(text: string, width: number, align: Alignment): string {
  return align === 'r' ? text.padStart(width) : text.padEnd(width);
}

function border(widths: readonly number[]): string {
  return `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
}

function renderRow(cells: readonly string[], widths: readonly number[], aligns: readonly Alignment[]): string[] {
  const split = cells.map(cellLines);
  const height = Math.max(1, ...split.map((lines) => lines.length));
  const out: string[] = [];
  for (let line = 0; line < height; line++) {
    const parts = widths.map((width, column) => pad(split[column]?.[line] ?? '', width, aligns[column] ?? 'l'));
    out.push(`| ${parts.join(' | ')} |`);
  }
  return out;
}

function overwriteTitle(rule: string, title: string): string {
  const fitted = title.slice(0, Math.max(0, rule.length - 2));
  return rule.slice(0, 1) + fitted + rule.slice(1 + fitted.length);
}

/** Render the table; with a multi-line cell anywhere, rules separate every row (prettytable's ALL). */
export function renderAsciiTable(input: AsciiTableInput): string {
  const { columns, rows } = input;
  const widths = columns.map((title, column) =>
    Math.max(
      ...cellLines(title).map((line) => line.length),
      ...rows.flatMap((row) => cellLines(row[column] ?? '').map((line) => line.length)),
    ),
  );
  const aligns = columns.map((title) => input.alignment?.[title] ?? 'l');
  const rule = border(widths);
  const multiLine = rows.some((row) => row.some((cell) => cell.includes('\n')));
  const lines: string[] = [input.title === undefined ? rule : overwriteTitle(rule, input.title)];
  // Headers are centred by prettytable only when align is 'c'; Patroni sets every column, headers follow alignment.
  lines.push(...renderRow(columns, widths, aligns), rule);
  rows.forEach((row, index) => {
    lines.push(...renderRow(row, widths, aligns));
    if (multiLine && index < rows.length - 1) lines.push(rule);
  });
  if (rows.length > 0) lines.push(rule);
  return lines.join('\n');
}
