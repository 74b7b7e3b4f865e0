/**
 * The dynamic configuration: what lives in the DCS `/config` key (and in
 * `bootstrap.dcs` before the cluster exists) and applies to every member.
 * Timing minimums are not part of the schema on purpose: the daemon adjusts
 * them (timeouts.ts) while `--validate-config` rejects them (validate.ts).
 */
import { z } from 'zod';
import { booleanField, integerField, stringField, stringListField } from './fields.js';
import { parseBoolean } from './value-parsers.js';
import { customMethodSchema, parameterValueSchema, postgresqlSharedShape } from './schema-postgresql.js';

/** Limits Patroni's validator puts on bootstrap.dcs.postgresql.parameters. */
const PARAMETER_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  max_connections: [1, 262143],
  max_locks_per_transaction: [10, 2147483647],
  max_prepared_transactions: [0, 262143],
  max_replication_slots: [0, 262143],
  max_wal_senders: [0, 262143],
  max_worker_processes: [0, 262143],
};

const dynamicParametersSchema = z.record(parameterValueSchema).superRefine((parameters, ctx) => {
  for (const [name, [min, max]] of Object.entries(PARAMETER_LIMITS)) {
    if (!(name in parameters)) continue;
    const check = integerField({ min, max }).safeParse(parameters[name]);
    if (!check.success) {
      const expected = `an integer between ${min} and ${max}`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `expected ${expected}`, params: { expected } });
    }
  }
});

const standbyClusterObject = z
  .object({
    host: stringField().optional(),
    port: integerField({ min: 1, max: 65535 }).optional(),
    primary_slot_name: stringField().optional(),
    create_replica_methods: stringListField().optional(),
    restore_command: stringField().optional(),
    archive_cleanup_command: stringField().optional(),
    recovery_min_apply_delay: z.union([stringField(), z.number()]).optional(),
  })
  .passthrough();
export type IgnoreSlot = z.output<typeof ignoreSlotSchema>;
export type StandbyClusterConfig = z.output<typeof standbyClusterObject>;
export const standbyClusterSchema: z.ZodType<StandbyClusterConfig, z.ZodTypeDef, unknown> = standbyClusterObject;

const permanentSlotObject = z
  .object({
    type: z.enum(['physical', 'logical']).optional(),
    database: stringField().optional(),
    plugin: stringField().optional(),
  })
  .passthrough()
  // Without a type, a slot naming both database and plugin is logical (as Patroni infers it).
  .transform((slot) => ({ ...slot, type: slot.type ?? (slot.database && slot.plugin ? ('logical' as const) : ('physical' as const)) }))
  .superRefine((slot, ctx) => {
    if (slot.type !== 'logical') return;
    for (const key of ['database', 'plugin'] as const) {
      if (slot[key] === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'required for a logical slot', params: { expected: 'a string (required for a logical slot)' } });
      }
    }
  });
export type PermanentSlot = z.output<typeof permanentSlotObject>;
export const permanentSlotSchema: z.ZodType<PermanentSlot, z.ZodTypeDef, unknown> = permanentSlotObject;

/** `name:` with an empty value is a physical slot. */
export const slotsSchema = z.record(z.union([z.null().transform(() => ({ type: 'physical' as const })), permanentSlotSchema]));

export const ignoreSlotSchema = z
  .object({
    name: stringField().optional(),
    type: z.enum(['physical', 'logical']).optional(),
    database: stringField().optional(),
    plugin: stringField().optional(),
  })
  .passthrough();

/**
 * Switches of the dynamic configuration are read with parse_bool by Patroni's
 * global config, so `"on"` or `"true"` written through the REST API count too.
 */
function modeField(allowQuorum = false) {
  const expected = allowQuorum ? 'a boolean or "quorum"' : 'a boolean (true or false)';
  return z.unknown().transform((value, ctx): boolean | 'quorum' => {
    if (allowQuorum && value === 'quorum') return 'quorum';
    const parsed = parseBoolean(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}`, params: { expected } });
      return z.NEVER;
    }
    return parsed;
  });
}
const switchField = () => modeField().transform((value) => value === true);

const dynamicConfigObject = z
  .object({
    ttl: integerField().optional(),
    loop_wait: integerField().optional(),
    retry_timeout: integerField().optional(),
    maximum_lag_on_failover: integerField({ min: 0 }).optional(),
    maximum_lag_on_syncnode: integerField({ min: -1 }).optional(),
    max_timelines_history: integerField({ min: 0 }).optional(),
    primary_start_timeout: integerField({ min: 0 }).optional(),
    master_start_timeout: integerField({ min: 0 }).optional(),
    primary_stop_timeout: integerField({ min: 0 }).optional(),
    master_stop_timeout: integerField({ min: 0 }).optional(),
    check_timeline: switchField().optional(),
    synchronous_mode: modeField(true).optional(),
    synchronous_mode_strict: switchField().optional(),
    synchronous_node_count: integerField({ min: 1 }).optional(),
    failsafe_mode: switchField().optional(),
    pause: switchField().optional(),
    member_slots_ttl: integerField({ min: 0, baseUnit: 's' }).optional(),
    postgresql: z
      .object({ ...postgresqlSharedShape, parameters: dynamicParametersSchema.optional() })
      .passthrough()
      .optional(),
    standby_cluster: standbyClusterSchema.optional(),
    slots: slotsSchema.optional(),
    permanent_slots: slotsSchema.optional(),
    permanent_replication_slots: slotsSchema.optional(),
    ignore_slots: z.array(ignoreSlotSchema).optional(),
    /** pgwarden's own switches beyond Patroni; Patroni members ignore them. */
    pgwarden: z.object({ prefer_last_leader_after_dcs_outage: booleanField().optional() }).passthrough().optional(),
  })
  .passthrough();
export type DynamicConfig = z.output<typeof dynamicConfigObject>;
export const dynamicConfigSchema: z.ZodType<DynamicConfig, z.ZodTypeDef, unknown> = dynamicConfigObject;

export { customMethodSchema };
