/**
 * Building blocks of etcd transactions, and what their answers mean. Compare
 * targets are the three Patroni uses (spec/dcs.md §3.3): CREATE == 0 (the key
 * does not exist), MOD == v (compare-and-swap on mod_revision), VALUE == name
 * (ownership of the leader key).
 */
import type { ICompare, IRequestOp, IResponseOp, ITxnResponse } from 'etcd3';

const bytes = (text: string): Buffer => Buffer.from(text);

export function keyAbsent(key: string): ICompare {
  return { key: bytes(key), target: 'Create', result: 'Equal', create_revision: 0 };
}

export function modifiedAt(key: string, version: number): ICompare {
  return { key: bytes(key), target: 'Mod', result: 'Equal', mod_revision: version };
}

export function valueIs(key: string, value: string): ICompare {
  return { key: bytes(key), target: 'Value', result: 'Equal', value: bytes(value) };
}

export function putOp(key: string, value: string, lease?: string): IRequestOp {
  return { request_put: { key: bytes(key), value: bytes(value), ...(lease !== undefined ? { lease } : {}) } };
}

export function deleteOp(key: string): IRequestOp {
  return { request_delete_range: { key: bytes(key) } };
}

export function rangeOp(key: string): IRequestOp {
  return { request_range: { key: bytes(key) } };
}

export function revisionOf(response: { header: { revision: string } }): number {
  return Number(response.header.revision);
}

/** The value of the key read by a `rangeOp` in a failure branch; undefined if absent. */
export function rangedValue(op: IResponseOp | undefined): string | undefined {
  const kv = op?.response_range?.kvs?.[0];
  return kv === undefined ? undefined : kv.value.toString();
}

/** The lease id of the key read by a `rangeOp`; undefined if absent. */
export function rangedLease(op: IResponseOp | undefined): string | undefined {
  const kv = op?.response_range?.kvs?.[0];
  return kv === undefined ? undefined : String(kv.lease);
}

export function nestedTxn(op: IResponseOp | undefined): ITxnResponse | undefined {
  return op?.response_txn ?? undefined;
}
