/**
 * YAML text → plain value, keeping source positions so that every problem can
 * be reported at file:line:column. Parsed as YAML 1.1 like PyYAML does, so
 * `on`/`off`/`yes`/`no` are booleans and `0755` is octal, exactly as Patroni
 * reads the same file.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Tags } from 'yaml';
import type { ConfigIssue, ConfigPathSegment } from './issues.js';

export interface YamlPosition {
  readonly line: number;
  readonly column: number;
  /** How many path segments were found; less than the path length when a key is missing. */
  readonly depth: number;
}

export interface ParsedYaml {
  readonly file: string;
  readonly value: unknown;
  readonly issues: readonly ConfigIssue[];
  /** Where `path` (or its deepest existing ancestor) is written. */
  locate(path: readonly ConfigPathSegment[]): YamlPosition;
}

function childOf(node: unknown, segment: ConfigPathSegment): { key?: Node; value: unknown } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(segment)) return { key: pair.key as Node, value: pair.value };
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

/**
 * The parser notices an unclosed quote only at the end of the file; the person
 * needs the line where the quote was opened: the last unescaped one before.
 */
function openingQuoteOffset(text: string, message: string, errorOffset: number): number | undefined {
  const quote = message.includes('"quote') ? '"' : message.includes("'quote") ? "'" : undefined;
  if (!quote) return undefined;
  for (let index = Math.min(errorOffset, text.length) - 1; index >= 0; index -= 1) {
    if (text[index] === quote && (quote === "'" || text[index - 1] !== '\\')) return index;
  }
  return undefined;
}

/**
 * The `yaml` package's 1.1 schema also reads `y`/`n` as booleans; PyYAML (and
 * so Patroni) keeps them strings: `name: n` is a member called "n".
 */
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

function withPyYamlBooleans(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag) || tag.test === undefined) return tag;
    return { ...tag, test: tag.test.test('true') ? PYYAML_TRUE : PYYAML_FALSE };
  });
}

/** Parses one YAML document; syntax errors become issues with positions (all of them). */
export function parseYamlSource(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    version: '1.1',
    merge: true,
    lineCounter,
    prettyErrors: false,
    customTags: withPyYamlBooleans,
  });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const issues: ConfigIssue[] = document.errors.map((error) => {
    const opening = openingQuoteOffset(text, error.message, error.pos[0]);
    const at = position(opening ?? error.pos[0]);
    const hint = opening === undefined ? '' : ' (the string that starts here is never closed)';
    const message = `invalid YAML: ${error.message.split('\n')[0]}${hint}`;
    return { severity: 'error', path: '', message, source: { kind: 'file', file, ...at } };
  });
  const value = issues.length === 0 ? document.toJS({ maxAliasCount: 1000 }) : undefined;
  const locate = (path: readonly ConfigPathSegment[]): YamlPosition => {
    let node: unknown = document.contents;
    let offset = rangeStart(node) ?? 0;
    let keyOffset = 0;
    let depth = 0;
    for (const segment of path) {
      const child = childOf(node, segment);
      if (!child) {
        // A missing key is reported at the key of the map that should hold it.
        offset = keyOffset;
        break;
      }
      depth += 1;
      node = child.value;
      keyOffset = rangeStart(child.key) ?? rangeStart(child.value) ?? keyOffset;
      offset = rangeStart(child.value) ?? keyOffset;
    }
    return { ...position(offset), depth };
  };
  return { file, value, issues, locate };
}
