/**
 * Install a rendered haproxy.cfg: write it next to the live file, let HAProxy
 * check it, then rename it over the live file (atomic on one file system) and
 * reload. Invariant: the live file only ever holds text that `haproxy -c`
 * accepted; a refused render leaves it untouched and HAProxy running as it was.
 */
import { basename, dirname, join } from 'node:path';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { PgwardenError, isPgwardenError } from '@pgwarden/core';
import { checkHaproxyConfig } from './check-config.js';
import { silentLogger, type HaproxyGenLogger } from './logger.js';
import { readMasterState, waitForReload } from './confirm-reload.js';
import { reloadHaproxy, type ReloadMethod } from './reload-haproxy.js';
import { saveServerState, type ServerStateOptions } from './server-state.js';

export interface InstallOptions {
  /** The live configuration file HAProxy runs with (`-f`). */
  readonly path: string;
  readonly reload: ReloadMethod;
  readonly haproxyBinary?: string;
  readonly logger?: HaproxyGenLogger;
  /** Mode of a newly created file; an existing file keeps its mode. Default 0o640 (stats auth is a secret). */
  readonly fileMode?: number;
  /**
   * Save server states through the runtime API before reloading (options `adminSocket` and
   * `serverStateFile`), so the new workers do not start blind. A failed save is logged and the
   * reload goes ahead: stale routing for one check interval beats no configuration change.
   */
  readonly serverState?: ServerStateOptions;
  /**
   * HAProxy's master CLI socket (`-S`). With it the reload is confirmed: a configuration that
   * passed `haproxy -c` but failed to load (a port already taken) throws
   * `haproxy-reload-rejected`, and the previous live file is put back.
   */
  readonly masterSocket?: string;
  /** How long to wait for the master to report the reload; default 30 s. */
  readonly reloadTimeoutMs?: number;
  /** Install and reload even when the live file already holds this text. */
  readonly force?: boolean;
}

export interface InstallResult {
  /** False when the live file already held this text (nothing written, no reload). */
  readonly changed: boolean;
  readonly reloaded: boolean;
  /** HAProxy's warnings about the accepted configuration. */
  readonly warnings: readonly string[];
}

let temporaryCounter = 0;

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PgwardenError('haproxy-install-failed', `cannot read ${path}`, { cause: error });
  }
}

async function writeDurably(path: string, text: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function modeFor(path: string, fallback: number): Promise<number> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return fallback;
  }
}

/** Reload; with a master socket, wait for the verdict and put `previous` back if HAProxy could not load the new file. */
async function reloadConfirmed(options: InstallOptions, previous: string | undefined, logger: HaproxyGenLogger): Promise<void> {
  if (options.reload.method === 'none') return;
  // Without a readable master CLI the reload still happens, unconfirmed, as without masterSocket.
  const before =
    options.masterSocket === undefined
      ? undefined
      : await readMasterState(options.masterSocket).catch((error: unknown) => {
          logger.warn({ message: error instanceof Error ? error.message : String(error) }, 'cannot read the HAProxy master state; the reload will not be confirmed');
          return undefined;
        });
  await reloadHaproxy(options.reload);
  if (options.masterSocket === undefined || before === undefined) {
    logger.info({ method: options.reload.method }, 'HAProxy reload requested');
    return;
  }
  try {
    await waitForReload(options.masterSocket, before, options.reloadTimeoutMs ?? 30_000);
    logger.info({ method: options.reload.method }, 'HAProxy reloaded');
  } catch (error) {
    if (isPgwardenError(error, 'haproxy-reload-rejected') && previous !== undefined) {
      await restore(options.path, previous);
      logger.error({ path: options.path }, 'HAProxy could not load the new configuration; previous file restored, old workers still serve');
    }
    throw error;
  }
}

async function restore(path: string, previous: string): Promise<void> {
  temporaryCounter += 1;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${temporaryCounter}.tmp`);
  await writeDurably(temporary, previous, await modeFor(path, 0o640));
  await rename(temporary, path);
}

/** Write `text` as the live HAProxy configuration at `options.path` and reload, unless HAProxy refuses it. */
export async function installHaproxyConfig(text: string, options: InstallOptions): Promise<InstallResult> {
  const logger = options.logger ?? silentLogger;
  const current = await readIfExists(options.path);
  if (current === text && options.force !== true) return { changed: false, reloaded: false, warnings: [] };

  temporaryCounter += 1;
  const temporary = join(dirname(options.path), `.${basename(options.path)}.${process.pid}.${temporaryCounter}.tmp`);
  try {
    await writeDurably(temporary, text, await modeFor(options.path, options.fileMode ?? 0o640));
  } catch (error) {
    throw new PgwardenError('haproxy-install-failed', `cannot write ${temporary}`, { cause: error });
  }
  let renamed = false;
  try {
    const verdict = await checkHaproxyConfig(temporary, { haproxyBinary: options.haproxyBinary, displayName: 'the new configuration' });
    if (!verdict.ok) {
      logger.error({ path: options.path, messages: verdict.messages }, 'HAProxy refused the new configuration; the live file is unchanged');
      throw new PgwardenError('haproxy-config-rejected', `HAProxy refused the new configuration (live file ${options.path} unchanged): ${verdict.messages.join(' | ')}`);
    }
    try {
      await rename(temporary, options.path);
    } catch (error) {
      throw new PgwardenError('haproxy-install-failed', `cannot rename the new configuration over ${options.path}`, { cause: error });
    }
    renamed = true;
    await syncDirectory(dirname(options.path));
    logger.info({ path: options.path, warnings: verdict.messages }, 'installed new HAProxy configuration');
    if (options.serverState !== undefined) {
      await saveServerState(options.serverState, text).catch((error: unknown) =>
        logger.warn({ message: error instanceof Error ? error.message : String(error) }, 'could not save server states before the reload'),
      );
    }
    await reloadConfirmed(options, current, logger);
    return { changed: true, reloaded: options.reload.method !== 'none', warnings: verdict.messages };
  } finally {
    if (!renamed) await unlink(temporary).catch(() => undefined);
  }
}
