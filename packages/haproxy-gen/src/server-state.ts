/**
 * Carry health-check verdicts across a reload. A fresh HAProxy worker deems
 * every server UP until its first check; saving `show servers state` through
 * the runtime API just before the reload, into the file named by
 * `server-state-file`, lets the new worker start from what the old one knew
 * (a replica stays DOWN in the primary backend).
 *
 * Invariant: the state file only ever names servers with the addresses and
 * ports of the configuration being installed. HAProxy applies the saved
 * address and ports over the configured ones, so a stale line would send
 * traffic and checks to where a member used to be.
 */
import { createConnection } from 'node:net';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { PgwardenError } from '@pgwarden/core';

export interface ServerStateOptions {
  /** HAProxy runtime API socket (`stats socket`, option `adminSocket`). */
  readonly adminSocket: string;
  /** The `server-state-file` path (option `serverStateFile`). */
  readonly stateFile: string;
}

export function runtimeCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', (error) => reject(new PgwardenError('haproxy-runtime-api-failed', `HAProxy runtime API ${socketPath}: ${error.message}`, { cause: error })));
    socket.on('close', (hadError) => {
      if (!hadError) resolve(answer);
    });
  });
}

const unbracket = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** `backend/server` → "addr port checkAddr checkPort" for every server line of a configuration. */
function configuredServers(configText: string): Map<string, string> {
  const servers = new Map<string, string>();
  let backend: string | undefined;
  for (const line of configText.split('\n')) {
    const section = /^(\S+)\s+(\S+)/.exec(line);
    if (section !== null) backend = section[1] === 'backend' ? section[2] : undefined;
    const server = /^\s+server\s+(\S+)\s+(\S+):(\d+)\s.*\baddr\s+(\S+)\s+port\s+(\d+)/.exec(line);
    if (server === null || backend === undefined) continue;
    const [, name, host = '', port, checkHost = '', checkPort] = server;
    servers.set(`${backend}/${name}`, `${unbracket(host)} ${port} ${unbracket(checkHost)} ${checkPort}`);
  }
  return servers;
}

/**
 * Keep the state lines of servers whose addresses and ports are the same in
 * `configText` (fields per HAProxy's state format version 1); drop the rest,
 * which then start as a fresh worker would.
 */
export function filterServerState(stateText: string, configText: string): string {
  const servers = configuredServers(configText);
  const lines = stateText.split('\n');
  if (lines[0]?.trim() !== '1') return '';
  const kept = lines.filter((line, index) => {
    if (index === 0 || line.startsWith('#')) return true;
    const fields = line.split(' ');
    if (fields.length < 23) return false;
    const expected = servers.get(`${fields[1]}/${fields[3]}`);
    return expected !== undefined && expected === `${fields[4]} ${fields[18]} ${fields[22]} ${fields[21]}`;
  });
  return kept.filter((line) => line !== '').join('\n') + '\n';
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

/**
 * Save the running workers' server states for the configuration `configText`
 * about to be loaded. When the runtime API cannot be asked, the existing
 * file is still filtered so that it never contradicts the new configuration.
 */
export async function saveServerState(options: ServerStateOptions, configText: string): Promise<void> {
  let state: string;
  try {
    state = await runtimeCommand(options.adminSocket, 'show servers state');
    if (!/^\d+\n/.test(state)) throw new PgwardenError('haproxy-runtime-api-failed', `unexpected answer to "show servers state": ${state.slice(0, 200)}`);
  } catch (error) {
    const previous = await readFile(options.stateFile, 'utf8').catch(() => undefined);
    if (previous !== undefined) await writeAtomically(options.stateFile, filterServerState(previous, configText));
    throw error;
  }
  await writeAtomically(options.stateFile, filterServerState(state, configText));
}
