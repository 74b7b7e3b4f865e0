/**
 * Entry of the `pgwardenctl` bin: parse the command line, build the context
 * (config file, environment, DCS, REST client) for the command that runs,
 * and turn every failure into one line on standard error and a non-zero exit
 * code — an operator at 3 a.m. gets a sentence, never a stack trace
 * (set PGWARDENCTL_DEBUG=1 to see one).
 */
import { isPgwardenError } from '@pgwarden/core';
import { CommanderError } from 'commander';
import { registerCompletion } from './completion/register.js';
import { createContext, type CtlContext } from './context.js';
import { openDcs as openConfiguredDcs, type DcsOpener } from './dcs/open-dcs.js';
import { registerHaproxy } from './commands/haproxy.js';
import { createProcessIo, type CtlIo } from './io.js';
import { buildProgram, type GlobalOptions, type Runner } from './program.js';
import { createMemberApi } from './rest/member-api.js';
import { readConfigFile } from './settings/config-file.js';
import { buildCtlSettings } from './settings/ctl-settings.js';
import { parseDcsUrl } from './settings/dcs-url.js';
import { CTL_VERSION } from './commands/version.js';

export interface CtlDependencies {
  readonly io?: CtlIo;
  readonly env?: NodeJS.ProcessEnv;
  readonly openDcs?: DcsOpener;
}

function contextFor(globals: GlobalOptions, io: CtlIo, env: NodeJS.ProcessEnv, openDcs: DcsOpener): CtlContext {
  const file = readConfigFile(globals.configFile, env);
  const urlText = globals.dcsUrl ?? globals.dcs ?? (env['DCS_URL'] || undefined);
  const settings = buildCtlSettings({
    config: file.data,
    env,
    ...(urlText !== undefined ? { dcsUrl: parseDcsUrl(urlText) } : {}),
    insecure: globals.insecure === true,
  });
  const api = createMemberApi(settings.rest, `pgwardenctl/${CTL_VERSION} Node.js/${process.versions.node}`);
  return createContext(settings, io, api, openDcs, env);
}

function errorLine(error: unknown): string {
  if (isPgwardenError(error)) return error.message;
  if (error instanceof Error) return error.message.split('\n')[0] ?? 'unknown error';
  return String(error);
}

export async function runCtl(argv: readonly string[], dependencies: CtlDependencies = {}): Promise<number> {
  const processIo = dependencies.io === undefined ? createProcessIo() : undefined;
  const io = dependencies.io ?? processIo!;
  const env = dependencies.env ?? process.env;
  const openDcs = dependencies.openDcs ?? openConfiguredDcs;
  let exitCode = 0;
  const runner: Runner = async (globals, run) => {
    const ctx = contextFor(globals, io, env, openDcs);
    try {
      exitCode = await run(ctx);
    } finally {
      await ctx.close();
    }
  };
  const program = buildProgram(runner, io, [registerCompletion, registerHaproxy]);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.err(`Error: ${errorLine(error)}`);
    if (env['PGWARDENCTL_DEBUG'] && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  } finally {
    processIo?.close();
  }
}
