/**
 * A configuration problem a person can act on: where (file:line:column or the
 * environment variable), which key, what was expected, what was found.
 */

export type ConfigPathSegment = string | number;

export type ConfigIssueSource =
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly column: number }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'dcs' };

export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  /** Key path such as `postgresql.authentication.replication.username`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  readonly expected?: string;
  readonly found?: string;
  readonly source?: ConfigIssueSource;
}

/** `postgresql.create_replica_methods[1]` from its segments. */
export function formatConfigPath(path: readonly ConfigPathSegment[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');
}

function formatSource(source: ConfigIssueSource | undefined): string {
  if (!source) return '';
  if (source.kind === 'file') return `${source.file}:${source.line}:${source.column}: `;
  if (source.kind === 'env') return `environment variable ${source.variable}: `;
  return 'DCS /config: ';
}

/** One line: `postgres0.yml:12:11: restapi.listen: expected "host:port" ..., found string "x"`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${formatSource(issue.source)}${severity}${path}${issue.message}`;
}

const SECRET_KEY = /(password|token|secret|keyfile_password|sslpassword)$/i;

/** How a value looks in a message; secrets are never printed. */
export function describeFound(value: unknown, path: readonly ConfigPathSegment[] = []): string {
  const last = path[path.length - 1];
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof last === 'string' && SECRET_KEY.test(last) && typeof value !== 'object') return `a ${typeof value} (hidden)`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Date) return `a date (quote the value to make it a string)`;
  return 'a map';
}
