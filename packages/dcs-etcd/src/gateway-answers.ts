/**
 * What etcd's JSON gateway answers, as zod schemas (the types are inferred
 * from them). proto3 JSON rules apply: int64 fields (revisions, lease ids,
 * TTLs) are decimal strings, bytes are base64, and a field at its default
 * value is left out — an absent `succeeded` is false, absent `kvs` is none,
 * an absent revision is 0, an absent TTL is 0. Keys and values are decoded
 * to UTF-8 strings here, so nothing past this file sees base64; lease ids
 * stay decimal strings ("0" for none) because they do not fit a double.
 */
import { z } from 'zod';

const int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional();
const count = int64.transform((value) => (value === undefined ? 0 : Number(value)));
const id = int64.transform((value) => (value === undefined ? '0' : String(value)));
const bytes = z
  .string()
  .optional()
  .transform((value) => (value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8')));

const headerSchema = z
  .object({ revision: count })
  .optional()
  .transform((header) => header ?? { revision: 0 });

/** One key as etcd returned it (the shape of parse-cluster's RawKey). */
const keyValueSchema = z
  .object({ key: bytes, value: bytes, mod_revision: count, lease: id })
  .transform((kv) => ({ key: kv.key, value: kv.value, modRevision: kv.mod_revision, lease: kv.lease }));

export const rangeAnswerSchema = z.object({ header: headerSchema, kvs: z.array(keyValueSchema).default([]) });

/** put and deleterange: only the revision they were applied at matters to us. */
export const writeAnswerSchema = z.object({ header: headerSchema });

const responseOpSchema = z.object({ response_range: rangeAnswerSchema.optional() });

/** A transaction nested in a failure branch (we nest one level, never more). */
const innerTxnAnswerSchema = z.object({
  succeeded: z.boolean().default(false),
  responses: z.array(responseOpSchema).default([]),
});

export const txnAnswerSchema = z.object({
  header: headerSchema,
  succeeded: z.boolean().default(false),
  responses: z.array(responseOpSchema.extend({ response_txn: innerTxnAnswerSchema.optional() })).default([]),
});

export const leaseGrantAnswerSchema = z.object({
  ID: id,
  TTL: count,
  error: z.string().default(''),
});

/** The keepalive stream's one answer; a lease etcd no longer knows comes back without TTL. */
export const leaseKeepAliveAnswerSchema = z.object({
  result: z.object({ ID: id, TTL: count }).default({}),
});

export const memberListAnswerSchema = z.object({
  members: z.array(z.object({ clientURLs: z.array(z.string()).default([]) })).default([]),
});

export const authenticateAnswerSchema = z.object({ token: z.string().min(1) });

const watchEventSchema = z.object({
  type: z.string().optional(),
  kv: keyValueSchema,
});

/** One line of the watch stream (`{"result": …}`; errors are taken out before). */
export const watchAnswerSchema = z.object({
  result: z.object({
    header: headerSchema,
    created: z.boolean().default(false),
    canceled: z.boolean().default(false),
    cancel_reason: z.string().default(''),
    compact_revision: count,
    events: z.array(watchEventSchema).default([]),
  }),
});

export type KeyValue = z.output<typeof keyValueSchema>;
export type RangeAnswer = z.output<typeof rangeAnswerSchema>;
export type WriteAnswer = z.output<typeof writeAnswerSchema>;
export type TxnAnswer = z.output<typeof txnAnswerSchema>;
export type ResponseOp = TxnAnswer['responses'][number];
export type InnerTxnAnswer = z.output<typeof innerTxnAnswerSchema>;
export type WatchAnswer = z.output<typeof watchAnswerSchema>['result'];

/** The error carried by a gateway body, in any of the shapes etcd 3.4–3.6 use. */
export const gatewayErrorBodySchema = z.object({
  error: z
    .union([
      z.string(),
      z.object({ grpc_code: z.number().optional(), code: z.number().optional(), message: z.string().optional() }),
    ])
    .optional(),
  code: z.number().optional(),
  message: z.string().optional(),
});
