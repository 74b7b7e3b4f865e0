/**
 * The typed options of postgres-ctl. Names mirror Patroni's `postgresql`
 * section (snake_case) so the daemon maps its config onto them key by key;
 * the few additions (`run_as`, `log_file`, `basebackup_max_attempts`, ...)
 * are pgwarden's own and say so.
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const credentialsSchema = z
  .object({
    username: z.string().min(1),
    password: z.string().optional(),
    sslmode: z.string().optional(),
    sslcert: z.string().optional(),
    sslkey: z.string().optional(),
    sslpassword: z.string().optional(),
    sslrootcert: z.string().optional(),
    sslcrl: z.string().optional(),
    sslcrldir: z.string().optional(),
    gssencmode: z.string().optional(),
    channel_binding: z.string().optional(),
  })
  // Newer libpq keys (sslnegotiation, ...) are accepted and ignored rather than failing the agent's start.
  .strip();
export type Credentials = z.infer<typeof credentialsSchema>;

/** `initdb`/`basebackup` option lists: `flag`, `{flag: value}`, or a map. */
const optionListSchema = z.union([z.array(z.union([z.string(), z.record(scalar)])), z.record(scalar)]);
export type OptionList = z.infer<typeof optionListSchema>;

/** A custom method section (`bootstrap.<method>` or `postgresql.<replica method>`). */
export const customMethodSchema = z
  .object({
    command: z.string().min(1).optional(),
    no_params: z.boolean().optional(),
    keep_data: z.boolean().optional(),
    no_leader: z.boolean().optional(),
    no_master: z.boolean().optional(),
    keep_existing_recovery_conf: z.boolean().optional(),
    recovery_conf: z.record(scalar).optional(),
  })
  .catchall(scalar);
export type CustomMethod = z.infer<typeof customMethodSchema>;

export const postgresCtlOptionsSchema = z
  .object({
    /** Member name: `application_name` in primary_conninfo, our slot name on the leader. */
    name: z.string().min(1),
    /** Cluster name (`cluster_name`, `--scope=` for custom scripts). */
    scope: z.string().min(1),
    data_dir: z.string().min(1),
    config_dir: z.string().optional(),
    config_base_name: z.string().default('postgresql'),
    custom_conf: z.string().optional(),
    bin_dir: z.string().default(''),
    bin_name: z.record(z.string()).default({}),
    /** `host[,host...]:port` → listen_addresses and port. */
    listen: z.string().min(1),
    /** `host:port` others use to reach us; defaults to the first listen host. */
    connect_address: z.string().optional(),
    database: z.string().default('postgres'),
    /** Password file written for libpq tools (default: beside the data directory). */
    pgpass: z.string().optional(),
    authentication: z.object({
      superuser: credentialsSchema,
      replication: credentialsSchema,
      rewind: credentialsSchema.optional(),
    }),
    parameters: z.record(scalar).default({}),
    pg_hba: z.array(z.string()).optional(),
    pg_ident: z.array(z.string()).optional(),
    recovery_conf: z.record(scalar).default({}),
    basebackup: optionListSchema.optional(),
    create_replica_methods: z.array(z.string().min(1)).default(['basebackup']),
    /** Sections of the custom replica methods, by method name (`postgresql.<method>` in Patroni). */
    replica_methods: z.record(customMethodSchema).default({}),
    bootstrap: z
      .object({
        method: z.string().default('initdb'),
        initdb: optionListSchema.optional(),
        pg_hba: z.array(z.string()).optional(),
        post_bootstrap: z.string().optional(),
        post_init: z.string().optional(),
        /**
         * Patroni 3.x's `bootstrap.users`: roles created after the bootstrap, with
         * their password and role options (`createdb`, `createrole`...; LOGIN unless
         * NOLOGIN is given). Patroni 4 dropped it; a 3.x configuration still has it.
         */
        users: z.record(z.object({ password: z.string().optional(), options: z.array(z.string()).default([]) })).default({}),
        /** Custom bootstrap method sections, by name. */
        methods: z.record(customMethodSchema).default({}),
      })
      .default({}),
    use_pg_rewind: z.boolean().default(false),
    use_slots: z.boolean().default(true),
    remove_data_directory_on_rewind_failure: z.boolean().default(false),
    remove_data_directory_on_diverged_timelines: z.boolean().default(false),
    pg_ctl_timeout: z.number().positive().default(60),
    use_unix_socket: z.boolean().default(false),
    /** Kerberos service name of replication connections (`krbsrvname` in primary_conninfo). */
    krbsrvname: z.string().optional(),
    /** Fencing script run before promotion; a non-zero exit cancels it (Patroni's `pre_promote`). */
    pre_promote: z.string().optional(),
    /** Script run before every stop; its exit status is only logged (Patroni's `before_stop`). */
    before_stop: z.string().optional(),
    /** pgwarden: bound of the pre_promote script (Patroni waits without one; cancellation still stops it). */
    pre_promote_timeout_seconds: z.number().positive().default(3600),
    /** pgwarden: OS user PostgreSQL runs as when we are root (default `postgres`). */
    run_as: z.string().default('postgres'),
    /** pgwarden: file receiving the postmaster's stderr (default `<data_dir>/pgwarden-postmaster.log`). */
    log_file: z.string().optional(),
    /** Patroni tries pg_basebackup twice, 5 s apart. */
    basebackup_max_attempts: z.number().int().min(1).default(2),
    basebackup_retry_delay_seconds: z.number().min(0).default(5),
    /** Bound of SQL statements on the local connection (Patroni: 2 s). */
    statement_timeout_ms: z.number().int().positive().default(2000),
    connect_timeout_seconds: z.number().int().positive().default(3),
  })
  .strict();

export type PostgresCtlOptionsInput = z.input<typeof postgresCtlOptionsSchema>;
export type PostgresCtlOptions = z.output<typeof postgresCtlOptionsSchema>;

/** Listen host list and port from `listen` (`127.0.0.1,::1:5432`). */
export function parseListen(listen: string): { hosts: string[]; port: number } {
  const colon = listen.lastIndexOf(':');
  const hostPart = colon >= 0 ? listen.slice(0, colon) : listen;
  const port = colon >= 0 ? Number(listen.slice(colon + 1)) : 5432;
  return { hosts: hostPart.split(',').map((host) => host.trim()).filter(Boolean), port };
}
