/**
 * The head of `global/pg_control`, read without spawning pg_controldata: the
 * system identifier, the cluster state, the latest checkpoint and its
 * timeline. Those fields sit at the same offsets in every ControlFileData
 * since PostgreSQL 11 (pg_control_version 1100 on); the rest of the struct
 * moves between versions and is not read here.
 *
 * A read is trusted only when the file's CRC-32C checks out. Where the CRC
 * lies depends on the version (it ends the struct), so every 4-byte-aligned
 * position after the fields read is tried: the one whose stored value is the
 * CRC of the bytes before it. A torn or foreign file matches nowhere (a false
 * match is a 2^-32 chance per position).
 *
 * The caller (a demoted primary publishing its shutdown checkpoint) waits on
 * this while no member takes writes; pg_controldata costs a process spawned
 * as the PostgreSQL user, 10-20 ms on a loaded host.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLsn } from './controldata.js';

/** pg_controldata's names of DBState (PostgreSQL's `dbState()`). */
const STATES = ['starting up', 'shut down', 'shut down in recovery', 'shutting down', 'in crash recovery', 'in archive recovery', 'in production'] as const;

const FIRST_VERSION = 1100;
/** After the checkpoint copy's timeline (offset 48): the CRC is further on. */
const FIRST_CRC_OFFSET = 56;
const LAST_CRC_OFFSET = 1024;

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** Where the CRC-32C of the bytes before it is stored, or undefined. */
function crcOffset(buffer: Buffer): number | undefined {
  let crc = 0xffffffff;
  const end = Math.min(LAST_CRC_OFFSET, buffer.length - 4);
  for (let offset = 0; offset <= end; offset++) {
    if (offset >= FIRST_CRC_OFFSET && offset % 4 === 0 && ((crc ^ 0xffffffff) >>> 0) === buffer.readUInt32LE(offset)) return offset;
    crc = (CRC_TABLE[(crc ^ buffer[offset]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  }
  return undefined;
}

export interface ControlFileHead {
  readonly 'Database system identifier': string;
  readonly 'Database cluster state': string;
  readonly 'Latest checkpoint location': string;
  readonly "Latest checkpoint's REDO location": string;
  readonly "Latest checkpoint's TimeLineID": string;
}

/** The head of pg_control in pg_controldata's words, or undefined when it cannot be trusted (old version, bad CRC, unreadable). */
export function readControlFileHead(dataDir: string): ControlFileHead | undefined {
  let buffer: Buffer;
  try {
    buffer = readFileSync(join(dataDir, 'global', 'pg_control'));
  } catch {
    return undefined;
  }
  if (buffer.length < FIRST_CRC_OFFSET + 4 || buffer.readUInt32LE(8) < FIRST_VERSION || crcOffset(buffer) === undefined) return undefined;
  const state = STATES[buffer.readInt32LE(16)];
  if (state === undefined) return undefined;
  return {
    'Database system identifier': buffer.readBigUInt64LE(0).toString(),
    'Database cluster state': state,
    'Latest checkpoint location': formatLsn(Number(buffer.readBigUInt64LE(32))),
    "Latest checkpoint's REDO location": formatLsn(Number(buffer.readBigUInt64LE(40))),
    "Latest checkpoint's TimeLineID": String(buffer.readUInt32LE(48)),
  };
}
