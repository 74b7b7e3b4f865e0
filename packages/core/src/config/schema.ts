/**
 * The whole local configuration file (Patroni's YAML) as one zod schema, with
 * the checks that span sections: exactly one supported DCS, custom bootstrap
 * and replica methods that point at a section with a `command`.
 */
import { z } from 'zod';
import { booleanField, commandField, stringField, stringListField } from './fields.js';
import { dynamicConfigSchema, standbyClusterSchema } from './schema-dynamic.js';
import { customMethodSchema, parameterValueSchema, postgresqlSchema } from './schema-postgresql.js';
import {
  citusSchema,
  consulSchema,
  ctlSchema,
  etcd3Schema,
  logSchema,
  redisSchema,
  restapiSchema,
  tagsSchema,
  watchdogSchema,
  zookeeperSchema,
} from './schema-sections.js';

/** initdb options Patroni sets itself. */
const FORBIDDEN_INITDB_OPTIONS = ['pgdata', 'nosync', 'pwfile', 'sync-only', 'version'];

function addExpected(ctx: z.RefinementCtx, path: (string | number)[], expected: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `expected ${expected}`, params: { expected } });
}

/** Runs `schema` on `value` and reports its problems under `path`. */
function checkNested(ctx: z.RefinementCtx, schema: z.ZodTypeAny, value: unknown, path: (string | number)[]): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: [...path, ...issue.path] } as z.IssueData);
}

const initdbOptionSchema = z.union([stringField(), z.record(parameterValueSchema)]);

const bootstrapObject = z
  .object({
    dcs: dynamicConfigSchema.default({}),
    method: stringField().default('initdb'),
    initdb: z.union([z.array(initdbOptionSchema), z.record(parameterValueSchema)]).optional(),
    pg_hba: stringListField().optional(),
    post_bootstrap: commandField().optional(),
    post_init: commandField().optional(),
    users: z.record(z.object({ password: stringField().optional(), options: stringListField().optional() }).passthrough()).optional(),
  })
  .passthrough()
  .superRefine((bootstrap, ctx) => {
    const initdb = bootstrap.initdb ?? [];
    const entries = Array.isArray(initdb) ? initdb : [initdb];
    entries.forEach((entry, index) => {
      const names = typeof entry === 'string' ? [entry] : Object.keys(entry);
      for (const name of names) {
        if (FORBIDDEN_INITDB_OPTIONS.includes(name)) {
          addExpected(ctx, Array.isArray(initdb) ? ['initdb', index] : ['initdb', name], `an initdb option other than ${FORBIDDEN_INITDB_OPTIONS.join(', ')} (Patroni sets it)`);
        }
      }
    });
    if (bootstrap.method !== 'initdb') {
      const section = (bootstrap as Record<string, unknown>)[bootstrap.method];
      if (section === undefined) addExpected(ctx, ['method'], `"initdb" or the name of a section of bootstrap with a command`);
      else checkNested(ctx, customMethodSchema, section, [bootstrap.method]);
    }
  });
export type BootstrapConfig = z.output<typeof bootstrapObject>;
export const bootstrapSchema: z.ZodType<BootstrapConfig, z.ZodTypeDef, unknown> = bootstrapObject;

const SUPPORTED_DCS = ['etcd3', 'consul', 'redis', 'zookeeper'] as const;
const UNSUPPORTED_DCS = ['etcd', 'exhibitor', 'kubernetes', 'raft'] as const;

function checkDcsSections(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const name of UNSUPPORTED_DCS) {
    if (config[name] === undefined) continue;
    // Patroni's own samples use `etcd:` (the v2 API); etcd 3.x serves v3, which pgwarden speaks.
    const hint = name === 'etcd' ? ' (for etcd 3.x rename the section to etcd3: the keys are the same)' : '';
    addExpected(ctx, [name], `a DCS pgwarden supports: etcd3, consul, redis or zookeeper${hint}`);
  }
  const present = SUPPORTED_DCS.filter((name) => config[name] !== undefined);
  if (present.length > 1) addExpected(ctx, [present[1] ?? 'consul'], `exactly one DCS section, but ${present[0] ?? 'etcd3'} is also set`);
  const anyUnsupported = UNSUPPORTED_DCS.some((name) => config[name] !== undefined);
  if (present.length === 0 && !anyUnsupported) addExpected(ctx, [], 'a DCS section: etcd3, consul, redis or zookeeper');
  const etcd3 = config['etcd3'];
  if (etcd3 && typeof etcd3 === 'object') {
    const locators = ['host', 'hosts', 'url', 'proxy', 'srv'].filter((key) => (etcd3 as Record<string, unknown>)[key] !== undefined);
    if (locators.length === 0) addExpected(ctx, ['etcd3'], 'one of host, hosts, url, proxy or srv');
  }
  const redis = config['redis'];
  if (redis && typeof redis === 'object') {
    const locators = ['host', 'hosts', 'url', 'sentinels'].filter((key) => (redis as Record<string, unknown>)[key] !== undefined);
    if (locators.length === 0) addExpected(ctx, ['redis'], 'one of host, hosts, url or sentinels');
  }
}

function checkReplicaMethods(postgresql: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const methods = (postgresql['create_replica_methods'] ?? postgresql['create_replica_method']) as unknown;
  if (!Array.isArray(methods)) return;
  const key = postgresql['create_replica_methods'] !== undefined ? 'create_replica_methods' : 'create_replica_method';
  methods.forEach((method, index) => {
    if (typeof method !== 'string' || method === 'basebackup') return;
    const section = postgresql[method];
    if (section === undefined) addExpected(ctx, ['postgresql', key, index], `a replica method with a section postgresql.${method} that has a command`);
    else checkNested(ctx, customMethodSchema, section, ['postgresql', method]);
  });
}

const configObjectSchema = z
  .object({
    name: stringField().min(1, { message: 'expected a non-empty string' }),
    scope: stringField().min(1, { message: 'expected a non-empty string' }),
    namespace: stringField().default('/service'),
    log: logSchema.default({}),
    restapi: restapiSchema,
    ctl: ctlSchema.optional(),
    etcd3: etcd3Schema.optional(),
    consul: consulSchema.optional(),
    redis: redisSchema.optional(),
    zookeeper: zookeeperSchema.optional(),
    bootstrap: bootstrapSchema.optional(),
    postgresql: postgresqlSchema,
    watchdog: watchdogSchema.default({}),
    tags: tagsSchema.default({}),
    citus: citusSchema.optional(),
    standby_cluster: standbyClusterSchema.optional(),
    /**
     * pgwarden's own local switches. `patroni3_compat`: publish Patroni 3.x's
     * spelling `master` for a primary (member key, GET /patroni, callbacks,
     * the patroni_master metric) so that 3.x members and tools that only
     * know `master` keep working during a migration.
     */
    pgwarden: z.object({ patroni3_compat: booleanField().default(false) }).passthrough().default({}),
  })
  .passthrough();

/** A validated local configuration (file + environment), Patroni's defaults filled in. */
export type PatroniConfig = z.output<typeof configObjectSchema>;

/** The schema of the local configuration, cross-section checks included. */
export const configSchema: z.ZodType<PatroniConfig, z.ZodTypeDef, unknown> = configObjectSchema.superRefine((config, ctx) => {
  checkDcsSections(config, ctx);
  checkReplicaMethods(config.postgresql as Record<string, unknown>, ctx);
});
