/**
 * `history`: the `/history` lines as a table TL, LSN, Reason, Timestamp,
 * New Leader; short lines are padded with empty cells, and json/yaml keep
 * the empty values (no title), as patronictl does.
 */
import type { HistoryLine } from '@pgwarden/core';
import type { Cell, TableData } from './output.js';

export const HISTORY_COLUMNS = ['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader'] as const;

export function buildHistoryTable(lines: readonly HistoryLine[]): TableData {
  const rows = lines.map((line) => {
    const row: Cell[] = line.map((cell) => (cell === null ? '' : cell));
    while (row.length < HISTORY_COLUMNS.length) row.push('');
    return row.slice(0, HISTORY_COLUMNS.length);
  });
  return { columns: HISTORY_COLUMNS, rows, alignment: { TL: 'r', LSN: 'r' } };
}
