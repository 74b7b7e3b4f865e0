/**
 * Where pgwardenctl's configuration comes from, as for patronictl: `-c FILE`,
 * else env `PATRONICTL_CONFIG_FILE`, else `$XDG_CONFIG_HOME/patroni/patronictl.yaml`
 * (`~/.config/...`). A missing default file is fine (everything can come from
 * `--dcs-url`); a missing file that was asked for is an error.
 */
import { PgwardenError } from '@pgwarden/core';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseYaml11 } from '../render/config-yaml.js';

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : join(homedir(), '.config');
  return join(base, 'patroni', 'patronictl.yaml');
}

export interface LoadedConfigFile {
  /** The path that was read, or undefined when no file was found at the default place. */
  readonly path?: string;
  readonly data: Record<string, unknown>;
}

export function readConfigFile(explicitPath: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfigFile {
  const requested = explicitPath ?? (env['PATRONICTL_CONFIG_FILE'] || undefined);
  const path = requested ?? defaultConfigPath(env);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    if (requested === undefined) return { data: {} };
    throw new PgwardenError('config-file', `Provided config file ${path} not existing or no read rights.`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml11(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PgwardenError('config-file', `Config file ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null) return { path, data: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PgwardenError('config-file', `Config file ${path} must contain a YAML mapping`);
  }
  return { path, data: parsed as Record<string, unknown> };
}
