/**
 * What every DCS adapter is told besides its own section (`etcd3`, `consul`):
 * who we are and the timings, with Patroni's defaults. Adapters extend this
 * schema with their section, so the fields and their checks are one.
 */
import { z } from 'zod';
import { PgwardenError } from '../errors.js';

export const dcsMemberSettingsShape = {
  scope: z.string().min(1),
  /** Our member name. */
  name: z.string().min(1),
  namespace: z.string().default('/service/'),
  ttlSeconds: z.number().positive().default(30),
  loopWaitSeconds: z.number().positive().default(10),
  retryTimeoutSeconds: z.number().positive().default(10),
};

/** Parse adapter settings; a problem becomes `dcs-config-invalid` naming every bad field. */
export function parseDcsSettings<T extends z.ZodTypeAny>(schema: T, input: unknown, section: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<T>;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new PgwardenError('dcs-config-invalid', `invalid ${section} settings: ${problems}`);
}
