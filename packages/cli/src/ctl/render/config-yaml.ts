/**
 * YAML as patronictl writes it (`yaml.safe_dump(..., default_flow_style=False,
 * allow_unicode=True, width=200)`): block style, keys sorted, sequences not
 * indented under their key. Used by show-config, edit-config and `-f yaml`.
 */
import { parse, stringify } from 'yaml';

export function formatYaml(value: unknown): string {
  if (value === null || value === undefined) return 'null\n';
  return stringify(value, {
    sortMapEntries: true,
    lineWidth: 200,
    minContentWidth: 0,
    indentSeq: false,
    // PyYAML 1.1 quotes strings that 1.1 would read as booleans (`'on'`, `'yes'`); so do we.
    version: '1.1',
    singleQuote: true,
  });
}

/** Flow style for one-line cells (tsv tags): `{clonefrom: true, nofailover: true}`. */
export function formatYamlFlow(value: unknown): string {
  return stringify(value, { sortMapEntries: true, collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0, version: '1.1', singleQuote: true }).trimEnd();
}

/** Parse as PyYAML's safe_load does (YAML 1.1: `on`/`off`/`yes`/`no` are booleans); empty text is null. */
export function parseYaml11(text: string): unknown {
  if (text.trim() === '') return null;
  return parse(text, { version: '1.1' }) as unknown;
}
