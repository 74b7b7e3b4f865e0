/**
 * patronictl's `print_output`: one table rendered as pretty (bordered),
 * tsv, json or yaml. Cells are kept as values (numbers stay numbers in
 * json/yaml); pretty and tsv show their text form.
 */
import { renderAsciiTable, type Alignment } from './ascii-table.js';
import { formatYaml } from './config-yaml.js';
import { toPythonJson } from '@pgwarden/core';

export const OUTPUT_FORMATS = ['pretty', 'tsv', 'json', 'yaml', 'yml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number] | 'topology';

export type Cell = string | number | boolean | Readonly<Record<string, unknown>>;

export interface TableData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  readonly alignment?: Readonly<Record<string, Alignment>>;
  /** Title over the top border (pretty); when set, json/yaml drop empty-string cells as patronictl does. */
  readonly title?: string;
}

function cellText(cell: Cell): string {
  if (typeof cell === 'object') return toPythonJson(cell);
  if (typeof cell === 'boolean') return cell ? 'True' : 'False';
  return String(cell);
}

/** The rows as objects keyed by column title, as `-f json|yaml` prints them. */
export function tableAsObjects(table: TableData): Record<string, Cell>[] {
  return table.rows.map((row) => {
    const entry: Record<string, Cell> = {};
    table.columns.forEach((column, index) => {
      const cell = row[index] ?? '';
      if (table.title !== undefined && cell === '') return;
      entry[column] = cell;
    });
    return entry;
  });
}

export function renderTable(table: TableData, format: OutputFormat, delimiter = '\t'): string {
  switch (format) {
    case 'json':
      return toPythonJson(tableAsObjects(table));
    case 'yaml':
    case 'yml':
      return formatYaml(tableAsObjects(table)).trimEnd();
    case 'tsv':
      return [table.columns, ...table.rows].map((row) => row.map(cellText).join(delimiter)).join('\n');
    case 'pretty':
    case 'topology':
      return renderAsciiTable({
        columns: table.columns,
        rows: table.rows.map((row) => row.map(cellText)),
        ...(table.alignment ? { alignment: table.alignment } : {}),
        ...(table.title !== undefined ? { title: table.title } : {}),
      });
  }
}

/** Python's round(): halves go to the even neighbour (round(2.5) == 2). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
