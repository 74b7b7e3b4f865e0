// Shared fixtures of the configuration tests: a minimal valid member config
// whose line numbers the bad-input cases refer to.
import { formatConfigIssue, loadConfig, type LoadConfigOptions } from '../../src/config/index.js';

export const BASE_YAML = `scope: batman
name: postgresql0
restapi:
  listen: 127.0.0.1:8008
  connect_address: 127.0.0.1:8008
etcd3:
  host: 127.0.0.1:2379
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
    postgresql:
      parameters:
        max_connections: 100
postgresql:
  listen: 127.0.0.1:5432
  connect_address: 127.0.0.1:5432
  data_dir: /var/lib/postgresql/15/main
  authentication:
    superuser:
      username: postgres
      password: secret
    replication:
      username: replicator
      password: rep-pass
tags:
  nofailover: false
`;

/** BASE_YAML with `from` replaced by `to` (the fixture must contain `from`). */
export function edit(from: string, to: string, text = BASE_YAML): string {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** The formatted problems (errors first) of `text` as file `bad.yml`. */
export function problemsOf(text: string, options: LoadConfigOptions = { mode: 'validate' }): string[] {
  const result = loadConfig([{ file: 'bad.yml', text }], { mode: 'validate', ...options });
  return result.ok ? result.warnings.map(formatConfigIssue) : result.issues.map(formatConfigIssue);
}
