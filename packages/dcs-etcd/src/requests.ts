/**
 * Building blocks of etcd requests in the gateway's JSON (bytes as base64,
 * int64 as decimal strings), and what their answers mean. Compare targets
 * are the three Patroni uses (spec/dcs.md §3.3): CREATE == 0 (the key does
 * not exist), MOD == v (compare-and-swap on mod_revision), VALUE == name
 * (ownership of the leader key).
 */
import type { InnerTxnAnswer, RangeAnswer } from './gateway-answers.js';

const base64 = (bytes: string | Buffer): string => (typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('base64');

export interface RangeRequest {
  readonly key: string;
  readonly range_end?: string;
}

export interface PutRequest {
  readonly key: string;
  readonly value: string;
  /** Lease id, decimal. */
  readonly lease?: string;
}

export interface DeleteRangeRequest {
  readonly key: string;
  readonly range_end?: string;
}

export interface Compare {
  readonly key: string;
  readonly target: 'CREATE' | 'MOD' | 'VALUE';
  readonly result: 'EQUAL';
  readonly create_revision?: string;
  readonly mod_revision?: string;
  readonly value?: string;
}

export interface RequestOp {
  readonly request_range?: RangeRequest;
  readonly request_put?: PutRequest;
  readonly request_delete_range?: DeleteRangeRequest;
  readonly request_txn?: TxnRequest;
}

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface WatchCreateRequest {
  readonly key: string;
  readonly range_end?: string;
  readonly start_revision?: string;
}

/** `key`, or the range [key, rangeEnd) when a range end is given. */
export function rangeRequest(key: string, rangeEnd?: Buffer): RangeRequest {
  return { key: base64(key), ...(rangeEnd !== undefined ? { range_end: base64(rangeEnd) } : {}) };
}

export function putRequest(key: string, value: string, lease?: string): PutRequest {
  return { key: base64(key), value: base64(value), ...(lease !== undefined ? { lease } : {}) };
}

export function watchRequest(key: string, rangeEnd: Buffer, startRevision: number): WatchCreateRequest {
  return { key: base64(key), range_end: base64(rangeEnd), start_revision: String(startRevision) };
}

export function keyAbsent(key: string): Compare {
  return { key: base64(key), target: 'CREATE', result: 'EQUAL', create_revision: '0' };
}

export function modifiedAt(key: string, version: number): Compare {
  return { key: base64(key), target: 'MOD', result: 'EQUAL', mod_revision: String(version) };
}

export function valueIs(key: string, value: string): Compare {
  return { key: base64(key), target: 'VALUE', result: 'EQUAL', value: base64(value) };
}

export function putOp(key: string, value: string, lease?: string): RequestOp {
  return { request_put: putRequest(key, value, lease) };
}

export function deleteOp(key: string): RequestOp {
  return { request_delete_range: rangeRequest(key) };
}

export function rangeOp(key: string): RequestOp {
  return { request_range: rangeRequest(key) };
}

export function revisionOf(answer: { readonly header: { readonly revision: number } }): number {
  return answer.header.revision;
}

type ResponseOp = { readonly response_range?: RangeAnswer | undefined };

/** The value of the key read by a `rangeOp` in a failure branch; undefined if absent. */
export function rangedValue(op: ResponseOp | undefined): string | undefined {
  return op?.response_range?.kvs[0]?.value;
}

/** The lease id of the key read by a `rangeOp`; undefined if absent. */
export function rangedLease(op: ResponseOp | undefined): string | undefined {
  return op?.response_range?.kvs[0]?.lease;
}

export function nestedTxn(op: { readonly response_txn?: InnerTxnAnswer | undefined } | undefined): InnerTxnAnswer | undefined {
  return op?.response_txn;
}
