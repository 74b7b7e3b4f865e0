/**
 * `edit-config` (spec/patronictl.md §3.9): change `/config` in the DCS with
 * `--replace`, `--apply`, `--set`/`--pg` (in that order) or in an editor,
 * show the unified diff, ask, and write with compare-and-swap on the version
 * read, so that a concurrent change is never silently overwritten.
 */
import { PgwardenError } from '@pgwarden/core';
import { readFileSync } from 'node:fs';
import type { CtlContext } from '../context.js';
import { applyKeyValuePairs, deepEqual, dropNulls, mergePatch, parseConfigText, pgPairsAsSetPairs, type ConfigData } from '../edit/config-changes.js';
import { editInEditor } from '../edit/run-editor.js';
import { colourDiffLine, unifiedDiff } from '../edit/unified-diff.js';
import { formatYaml } from '../render/config-yaml.js';

export interface EditConfigOptions {
  readonly quiet?: boolean;
  readonly set?: readonly string[];
  readonly pg?: readonly string[];
  readonly apply?: string;
  readonly replace?: string;
  readonly force?: boolean;
}

async function readSource(ctx: CtlContext, source: string): Promise<ConfigData> {
  if (source === '-') return parseConfigText(await ctx.io.readStdin(), 'standard input');
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new PgwardenError('file-not-found', `Cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseConfigText(text, source);
}

async function computeChange(ctx: CtlContext, current: ConfigData, name: string, options: EditConfigOptions): Promise<ConfigData> {
  let changed = current;
  let requested = false;
  if (options.replace !== undefined) {
    changed = dropNulls(await readSource(ctx, options.replace));
    requested = true;
  }
  if (options.apply !== undefined) {
    changed = mergePatch(changed, await readSource(ctx, options.apply));
    requested = true;
  }
  const pairs = [...(options.set ?? []), ...pgPairsAsSetPairs(options.pg ?? [])];
  if (pairs.length > 0) {
    changed = applyKeyValuePairs(changed, pairs);
    requested = true;
  }
  if (!requested) changed = parseConfigText(editInEditor(formatYaml(current), name, ctx.env), 'the edited configuration');
  return changed;
}

export async function editConfigCommand(ctx: CtlContext, clusterArg: string | undefined, options: EditConfigOptions): Promise<number> {
  const name = ctx.clusterName(clusterArg);
  const cluster = await ctx.readCluster(name);
  if (cluster.config === undefined) throw new PgwardenError('no-config', `The config key does not exist in the cluster ${name}`);
  const current = cluster.config.data as ConfigData;
  const changed = await computeChange(ctx, current, name, options);
  if (deepEqual(current, changed)) {
    if (!options.quiet) ctx.io.out('Not changed');
    return 0;
  }
  if (!options.quiet) {
    for (const line of unifiedDiff(formatYaml(current), formatYaml(changed))) ctx.io.out(ctx.io.stdoutIsTty ? colourDiffLine(line) : line);
  }
  if ((options.apply === '-' || options.replace === '-') && !options.force) {
    ctx.io.out('Use --force option to apply changes');
    return 1;
  }
  if (!options.force && !(await ctx.io.confirm('Apply these changes?'))) {
    ctx.io.out('Not applied');
    return 1;
  }
  const dcs = await ctx.dcs(name);
  const written = await dcs.setConfig(changed, cluster.config.version);
  if (!written.ok) {
    if (written.reason === 'conflict') throw new PgwardenError('conflict', 'Config modification aborted due to concurrent changes');
    throw new PgwardenError('dcs-unreachable', `Could not write the config key: ${written.message}`);
  }
  ctx.io.out('Configuration changed');
  return 0;
}
