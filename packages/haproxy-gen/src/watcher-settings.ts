/**
 * The watcher's settings as data (for the agent's configuration section or a
 * standalone runner): where the file lives, how HAProxy is reloaded, and the
 * generator options. Validated like the options: a bad setting is refused
 * with its path named, before the watcher starts.
 */
import { PgwardenError, type Dcs } from '@pgwarden/core';
import { z } from 'zod';
import type { HaproxyGenLogger } from './logger.js';
import { haproxyOptionsSchema } from './options.js';
import type { ReloadMethod } from './reload-haproxy.js';
import type { WatcherOptions } from './watcher.js';

const pathSchema = z.string().min(1).regex(/^[^\0\r\n]*$/, 'must be a file path');

export const reloadMethodSchema = z
  .union([
    z.object({ method: z.literal('none') }).strict(),
    z.object({ method: z.literal('signal'), pid: z.number().int().min(2).optional(), pidFile: pathSchema.optional() }).strict(),
    z.object({ method: z.literal('command'), argv: z.tuple([z.string().min(1)]).rest(z.string()), timeoutMs: z.number().int().positive().optional() }).strict(),
  ])
  .superRefine((method, context) => {
    if (method.method === 'signal' && method.pid === undefined && method.pidFile === undefined) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['pidFile'], message: 'signal reloads need pid or pidFile (the master PID)' });
    }
  });

export const haproxyWatcherSettingsSchema = z
  .object({
    /** The live haproxy.cfg. */
    configFile: pathSchema,
    haproxy: haproxyOptionsSchema.default({}),
    /** Default: SIGUSR2 to the master named in Debian's pid file. */
    reload: reloadMethodSchema.default({ method: 'signal', pidFile: '/run/haproxy.pid' }),
    /** HAProxy's master CLI socket (Debian: /run/haproxy-master.sock); confirms reloads, cuts old workers' sessions. */
    masterSocket: pathSchema.optional(),
    haproxyBinary: pathSchema.default('/usr/sbin/haproxy'),
    pollIntervalMs: z.number().int().min(100).default(10_000),
  })
  .strict();

export type HaproxyWatcherSettingsInput = z.input<typeof haproxyWatcherSettingsSchema>;

/** Validate `input` and turn it into startHaproxyWatcher's options; throws `haproxy-invalid-options`. */
export function watcherOptionsFromSettings(input: unknown, dcs: Pick<Dcs, 'getCluster' | 'watch'>, logger?: HaproxyGenLogger): WatcherOptions {
  const result = haproxyWatcherSettingsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`);
    throw new PgwardenError('haproxy-invalid-options', `invalid haproxy watcher settings: ${problems.join('; ')}`, { cause: result.error });
  }
  const settings = result.data;
  return {
    dcs,
    haproxy: settings.haproxy,
    install: { path: settings.configFile, reload: settings.reload as ReloadMethod, haproxyBinary: settings.haproxyBinary },
    pollIntervalMs: settings.pollIntervalMs,
    ...(settings.masterSocket === undefined ? {} : { masterSocket: settings.masterSocket }),
    ...(logger === undefined ? {} : { logger }),
  };
}
