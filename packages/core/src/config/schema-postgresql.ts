/**
 * The `postgresql` section. The same shape appears locally and inside the
 * dynamic configuration; which keys count from where is decided when the
 * effective configuration is built (effective-config.ts), not here.
 */
import { z } from 'zod';
import {
  booleanField,
  commandField,
  hostPortField,
  integerField,
  stringField,
  stringListField,
} from './fields.js';
import { parseBoolean } from './value-parsers.js';

/** libpq connection options Patroni keeps for a role (everything else is dropped). */
export const AUTHENTICATION_KEYS = [
  'username',
  'password',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'gssencmode',
  'channel_binding',
] as const;

const userCredentialsObject = z
  .object({
    username: stringField(),
    password: z.union([stringField(), z.number().transform(String)]).optional(),
    sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
    sslcert: stringField().optional(),
    sslkey: stringField().optional(),
    sslpassword: stringField().optional(),
    sslrootcert: stringField().optional(),
    sslcrl: stringField().optional(),
    sslcrldir: stringField().optional(),
    gssencmode: z.enum(['disable', 'prefer', 'require']).optional(),
    channel_binding: z.enum(['disable', 'prefer', 'require']).optional(),
  })
  // Patroni keeps only these libpq options of a role; anything else is dropped.
  .strip();
export type UserCredentials = z.output<typeof userCredentialsObject>;
export const userCredentialsSchema: z.ZodType<UserCredentials, z.ZodTypeDef, unknown> = userCredentialsObject;

export const BINARY_NAMES = [
  'pg_ctl',
  'initdb',
  'pg_controldata',
  'pg_basebackup',
  'postgres',
  'pg_isready',
  'pg_rewind',
] as const;

const CALLBACK_NAMES = ['on_start', 'on_stop', 'on_restart', 'on_reload', 'on_role_change'] as const;

/** PostgreSQL GUC values as YAML writes them; booleans become on/off when written. */
export const parameterValueSchema = z.union([z.string(), z.number(), z.boolean()], {
  errorMap: () => ({ message: 'expected a string, number or boolean', params: { expected: 'a string, number or boolean' } }),
});

/** Method flags are read for truthiness by Patroni; its docs write `no_master: 1`. */
const methodFlagField = () =>
  z
    .union([z.boolean(), z.number(), z.string()], {
      errorMap: () => ({ message: 'expected a boolean or 1/0', params: { expected: 'a boolean or 1/0' } }),
    })
    .transform((value) => parseBoolean(value) ?? Boolean(value));

/** A replica-creation or bootstrap method section (`pgbackrest: {command: ..., keep_data: true}`). */
const customMethodObject = z
  .object({
    command: commandField(),
    no_params: methodFlagField().optional(),
    keep_data: methodFlagField().optional(),
    no_leader: methodFlagField().optional(),
    no_master: methodFlagField().optional(),
    keep_existing_recovery_conf: methodFlagField().optional(),
    recovery_conf: z.record(parameterValueSchema).optional(),
  })
  .passthrough();
export type CustomMethodConfig = z.output<typeof customMethodObject>;
export const customMethodSchema: z.ZodType<CustomMethodConfig, z.ZodTypeDef, unknown> = customMethodObject;

export const postgresqlSharedShape = {
  bin_dir: stringField().optional(),
  bin_name: z.object(Object.fromEntries(BINARY_NAMES.map((name) => [name, stringField().optional()]))).passthrough().optional(),
  config_base_name: stringField().optional(),
  custom_conf: stringField().optional(),
  database: stringField().optional(),
  parameters: z.record(parameterValueSchema).optional(),
  pg_hba: stringListField().optional(),
  pg_ident: stringListField().optional(),
  recovery_conf: z.record(parameterValueSchema).optional(),
  callbacks: z.object(Object.fromEntries(CALLBACK_NAMES.map((name) => [name, commandField().optional()]))).passthrough().optional(),
  create_replica_methods: stringListField().optional(),
  create_replica_method: stringListField().optional(),
  basebackup: z.union([z.array(z.union([stringField(), z.record(parameterValueSchema)])), z.record(parameterValueSchema)]).optional(),
  use_pg_rewind: booleanField().optional(),
  use_slots: booleanField().optional(),
  remove_data_directory_on_rewind_failure: booleanField().optional(),
  remove_data_directory_on_diverged_timelines: booleanField().optional(),
  pg_ctl_timeout: integerField({ min: 0 }).optional(),
  use_unix_socket: booleanField().optional(),
  use_unix_socket_repl: booleanField().optional(),
  pre_promote: commandField().optional(),
  before_stop: commandField().optional(),
  krbsrvname: stringField().optional(),
};

/** The local `postgresql` section: listen, connect_address, data_dir and authentication are required. */
const postgresqlObject = z
  .object({
    ...postgresqlSharedShape,
    listen: hostPortField({ multipleHosts: true }),
    connect_address: hostPortField({ advertised: true }),
    proxy_address: stringField().optional(),
    data_dir: stringField().min(1, { message: 'expected a non-empty path' }),
    config_dir: stringField().optional(),
    pgpass: stringField().optional(),
    authentication: z.object({
      superuser: userCredentialsSchema,
      replication: userCredentialsSchema,
      rewind: userCredentialsSchema.optional(),
    }).passthrough(),
  })
  .passthrough();
export type PostgresqlConfig = z.output<typeof postgresqlObject>;
export const postgresqlSchema: z.ZodType<PostgresqlConfig, z.ZodTypeDef, unknown> = postgresqlObject;

