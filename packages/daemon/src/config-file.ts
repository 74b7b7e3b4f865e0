/**
 * Reading the agent's configuration from disk: a YAML file, or a directory
 * whose *.yml / *.yaml files are merged in name order (Patroni's rule), then
 * handed to core's pure `loadConfig`. Every failure comes back as a typed
 * issue naming the path and the reason; nothing is thrown for bad input.
 * Also the local cache of the dynamic configuration
 * (`<data_dir>/patroni.dynamic.json`), written atomically.
 */
import { readdir, readFile, rename, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type ConfigIssue, type ConfigSourceText, type Environment, type LoadConfigResult } from '@pgwarden/core';
import { checkInstallation } from './installation-check.js';

export interface LoadConfigFileOptions {
  /** Defaults to `process.env`. The caller removes `consumedEnv` from it. */
  readonly env?: Environment;
  /** `validate` for `--validate-config`, `run` (default) for the agent. */
  readonly mode?: 'validate' | 'run';
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links (a symlink loop)',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ENAMETOOLONG: 'the path is too long',
};

function fileIssue(file: string, reason: string): ConfigIssue {
  return { severity: 'error', path: '', message: `cannot read configuration ${file}: ${reason}` };
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && READ_ERRORS[code]) ?? (code ? `read failed (${code})` : 'read failed');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readText(file: string): Promise<ConfigSourceText | ConfigIssue> {
  try {
    const bytes = await readFile(file);
    try {
      return { file, text: utf8.decode(bytes) };
    } catch {
      return fileIssue(file, 'not UTF-8 text');
    }
  } catch (error) {
    return fileIssue(file, describeReadError(error));
  }
}

async function readSources(path: string): Promise<ConfigSourceText[] | ConfigIssue> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    return fileIssue(path, describeReadError(error));
  }
  if (!info.isDirectory()) {
    if (!info.isFile()) return fileIssue(path, 'not a regular file');
    const source = await readText(path);
    return 'text' in source ? [source] : source;
  }
  let names: string[];
  try {
    names = (await readdir(path)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    return fileIssue(path, describeReadError(error));
  }
  if (names.length === 0) return fileIssue(path, 'is a directory without *.yml or *.yaml files');
  const sources: ConfigSourceText[] = [];
  for (const name of names) {
    const source = await readText(join(path, name));
    if (!('text' in source)) return source;
    sources.push(source);
  }
  return sources;
}

/**
 * Loads and validates the configuration at `path` (file or directory). With
 * no path, the configuration comes from `PATRONI_CONFIGURATION` or the
 * `PATRONI_*` variables alone, as Patroni does. A path that does not exist is
 * an error (Patroni would fall back to the environment; a typo should not
 * start an agent with a different configuration).
 */
export async function loadConfigFile(path: string | undefined, options: LoadConfigFileOptions = {}): Promise<LoadConfigResult> {
  const env = options.env ?? process.env;
  const mode = options.mode ?? 'run';
  if (path === undefined) return loadConfig([], { env, mode });
  const sources = await readSources(path);
  if (!Array.isArray(sources)) return { ok: false, issues: [sources], consumedEnv: [] };
  const result = loadConfig(sources, { env, mode });
  if (!result.ok || mode !== 'validate') return result;
  // Like `patroni --validate-config`: the binaries and the data directory must fit too.
  const problems = await checkInstallation(result.config, result.locate, env);
  return problems.length === 0 ? result : { ok: false, issues: [...problems, ...result.warnings], consumedEnv: result.consumedEnv };
}

export const DYNAMIC_CACHE_FILE = 'patroni.dynamic.json';

/** The cached dynamic configuration of `dataDir`, or undefined when absent or unreadable. */
export async function readDynamicConfigCache(dataDir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dataDir, DYNAMIC_CACHE_FILE), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache through a temporary file and a rename, so a crash never
 * leaves half a file; mode 0600 like the data directory's files.
 */
export async function writeDynamicConfigCache(dataDir: string, config: unknown): Promise<void> {
  const target = join(dataDir, DYNAMIC_CACHE_FILE);
  const temporary = `${target}.tmp`;
  await writeFile(temporary, JSON.stringify(config, null, 2), { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, target);
}
