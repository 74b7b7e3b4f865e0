/**
 * Writes of the persistent keys (config, failover, sync, history, status,
 * failsafe, initialize), as Patroni's `_set_or_create`: set the data, or
 * create the znode (and its parents) when absent.
 *
 * Compare-and-set: the caller's version is the znode's mzxid (znodes.ts).
 * ZooKeeper compares data versions, so the mzxid is mapped to the data
 * version seen with it (from the last read, or one `exists`), and the set or
 * delete is conditional on that data version: any write in between makes it
 * fail, hence the CAS is exact. A refused condition is `conflict`.
 */
import type { DcsResult } from '@pgwarden/core';
import { fail, ok, unreachable, type ZkContext } from './context.js';
import type { ZnodeStat } from './znodes.js';

/** The data version that goes with `mzxid` at `path`, or undefined when the znode moved on or is gone. */
async function dataVersionAt(context: ZkContext, path: string, mzxid: number, deadline: number): Promise<number | undefined> {
  const known = context.reader.stat(path);
  if (known?.mzxid === mzxid) return known.dataVersion;
  const current = await context.znodes.exists(path, deadline);
  if (!current.ok || current.value === undefined || current.value.mzxid !== mzxid) return undefined;
  return current.value.dataVersion;
}

/** Put `value` at `path`; with `version` (mzxid), only if the znode was not modified since. Answers the new mzxid. */
export async function putKey(
  context: ZkContext,
  operation: string,
  path: string,
  value: string,
  options: { version?: number | undefined; deadline?: number } = {},
): Promise<DcsResult<number>> {
  const deadline = options.deadline ?? context.deadline();
  const { znodes, reader } = context;
  try {
    if (options.version === 0) {
      // Version 0 is "absent" (etcd's mod_revision 0): create only.
      const created = await znodes.create(path, value, deadline);
      if (!created.ok) return fail('conflict', `${operation}: the key exists (expected absent)`);
      return ok(await mzxidAfterCreate(context, path, deadline));
    }
    if (options.version !== undefined) {
      const dataVersion = await dataVersionAt(context, path, options.version, deadline);
      if (dataVersion === undefined) return fail('conflict', `${operation}: the key changed since it was read`);
      const set = await znodes.setData(path, value, deadline, dataVersion);
      if (!set.ok) return fail('conflict', `${operation}: the key changed since it was read (${set.refusal})`);
      reader.remember(path, set.value);
      return ok(set.value.mzxid);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const set = await znodes.setData(path, value, deadline);
      if (set.ok) {
        reader.remember(path, set.value);
        return ok(set.value.mzxid);
      }
      const created = await znodes.create(path, value, deadline);
      if (created.ok) return ok(await mzxidAfterCreate(context, path, deadline));
    }
    return fail('conflict', `${operation}: the key was created and deleted concurrently`);
  } catch (error) {
    return unreachable(context, operation, error);
  }
}

/** create answers no stat: read it (only when the znode is new, so rarely). */
async function mzxidAfterCreate(context: ZkContext, path: string, deadline: number): Promise<number> {
  const stat = await context.znodes.exists(path, deadline);
  const value: ZnodeStat | undefined = stat.ok ? stat.value : undefined;
  context.reader.remember(path, value);
  return value?.mzxid ?? 0;
}

/** Create `path` only if absent: conflict when it exists. */
export async function createKey(context: ZkContext, operation: string, path: string, value: string): Promise<DcsResult<void>> {
  try {
    const created = await context.znodes.create(path, value, context.deadline());
    return created.ok ? ok() : fail('conflict', `${operation}: the key already exists`);
  } catch (error) {
    return unreachable(context, operation, error);
  }
}

/** Delete `path`; with `version` (mzxid), only if not modified since. Absent is fine without a version. */
export async function deleteKey(context: ZkContext, operation: string, path: string, version?: number): Promise<DcsResult<void>> {
  const deadline = context.deadline();
  try {
    if (version === undefined) {
      const removed = await context.znodes.remove(path, deadline);
      context.reader.remember(path, undefined);
      return removed.ok || removed.refusal === 'no-node' ? ok() : fail('conflict', `${operation}: ${removed.refusal}`);
    }
    const dataVersion = await dataVersionAt(context, path, version, deadline);
    if (dataVersion === undefined) return fail('conflict', `${operation}: the key changed since it was read`);
    const removed = await context.znodes.remove(path, deadline, dataVersion);
    if (!removed.ok) return fail('conflict', `${operation}: the key changed since it was read (${removed.refusal})`);
    context.reader.remember(path, undefined);
    return ok();
  } catch (error) {
    return unreachable(context, operation, error);
  }
}
