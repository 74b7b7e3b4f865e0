/**
 * Quorum commit (`synchronous_mode: quorum`, Patroni 4; spec/ha-loop.md §9.6,
 * spec/dcs.md `/sync`), pure.
 *
 * Two promises meet here:
 *
 * - PostgreSQL's `synchronous_standby_names = 'ANY n (S)'` promises that every
 *   commit it acknowledges is on at least `n` members of `S` (a
 *   {@link Guarantee});
 * - the `/sync` key `{leader, sync_standby: V, quorum: q}` promises that a
 *   member which sees `q + 1` members of `V` (itself included when it is one)
 *   at or behind its own position holds every acknowledged commit, so it may
 *   be promoted (the {@link QuorumKey}).
 *
 * The single invariant, {@link keyCovers}: every guarantee still in force is
 * covered by the key. A commit on `k` members of `G` escapes a set of `q + 1`
 * voters only if `q + 1` voters avoid all of those `k`; the adversary puts
 * the `k` outside `V` first, so at least `max(0, k − |G \ V|)` of them are
 * voters, and the key covers the guarantee exactly when
 * `|V| − max(0, k − |G \ V|) ≤ q`. (This is Patroni's "quorum + numsync ≥
 * |voters ∪ sync|" together with its subset rule, without needing the sets
 * nested.)
 *
 * Changing either side keeps it: the key is written first when it must grow
 * (more votes, other voters), PostgreSQL is changed only to a value the
 * written key already covers, and the key shrinks only once the guarantee of
 * the previous PostgreSQL value is absorbed — enough members of the new set
 * have flushed past the position at which the new value was seen in force
 * (every older commit lies before it). Until then the previous value stays a
 * pending guarantee, kept in the agent's memory; a leader that starts without
 * that memory takes the key it finds as the guarantee (a key that covered
 * every guarantee implies that each commit is on `|V| − q` voters).
 */

/** Every acknowledged commit is on at least `count` of `names` (of any standby when `anyStandby`). */
export interface Guarantee {
  readonly count: number;
  readonly names: readonly string[];
  readonly anyStandby?: boolean;
}

/** A guarantee of commits made before `untilLsn`, while the PostgreSQL value after it is not yet confirmed. */
export interface PendingGuarantee extends Guarantee {
  readonly untilLsn: number;
}

/** The `/sync` key in quorum mode: `quorum` votes among `voters` (the leader is never a voter). */
export interface QuorumKey {
  readonly quorum: number;
  readonly voters: readonly string[];
}

const lower = (names: readonly string[]): Set<string> => new Set(names.map((name) => name.toLowerCase()));

/** No candidate can ever gather the votes: nobody but the leader may be promoted. */
export function keyBlocksPromotion(key: QuorumKey): boolean {
  const voters = lower(key.voters).size;
  return voters === 0 || key.quorum >= voters;
}

/** The invariant: a candidate proven by `key` holds every commit `guarantee` speaks of. */
export function keyCovers(key: QuorumKey, facts: Facts): boolean {
  return keyBlocksPromotion(key) || quorumFor(key.voters, facts) <= key.quorum;
}

/** The fewest voters certain to hold a commit of `guarantee`. */
function votersHolding(voters: readonly string[], guarantee: Guarantee): number {
  if (guarantee.anyStandby === true) return 0;
  const voterSet = lower(voters);
  const outside = [...lower(guarantee.names)].filter((name) => !voterSet.has(name)).length;
  return Math.max(0, guarantee.count - outside);
}

/**
 * Facts about one class of commits: each is true of all of them, so a key
 * that covers any one of them covers the class.
 */
export type Facts = readonly Guarantee[];

/** The votes needed over `voters` so that a candidate holds every commit of `facts`. */
function quorumFor(voters: readonly string[], facts: Facts): number {
  const size = lower(voters).size;
  return Math.min(...facts.map((guarantee) => size - votersHolding(voters, guarantee)));
}

/** The smallest quorum over `voters` covering every class of commits; undefined when none short of blocking does. */
export function smallestQuorum(voters: readonly string[], classes: readonly Facts[]): number | undefined {
  const size = lower(voters).size;
  let quorum = 0;
  for (const facts of classes) quorum = Math.max(quorum, quorumFor(voters, facts));
  return quorum < size ? quorum : undefined;
}

/** What a key that covered every guarantee promises by itself: each commit is on `|V| − q` voters. */
export function guaranteeOfKey(key: QuorumKey): Guarantee {
  if (keyBlocksPromotion(key)) return { count: 0, names: [] };
  return { count: lower(key.voters).size - key.quorum, names: key.voters };
}

function unquote(name: string): string {
  const trimmed = name.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1).replace(/""/g, '"') : trimmed;
}

/**
 * What PostgreSQL enforces for a synchronous_standby_names value: `ANY n (…)`,
 * `FIRST n (…)`, `n (…)` and the plain list (`FIRST 1`) all put each commit on
 * `n` of the names; `*` on any standby; empty on none.
 */
export function guaranteeOfSetting(value: string | undefined): Guarantee {
  const text = (value ?? '').trim();
  if (text === '') return { count: 0, names: [] };
  const match = /^(?:(?:any|first)\s+)?(\d+)\s*\((.*)\)$/is.exec(text);
  const count = match === null ? 1 : Number(match[1]);
  const list = match === null ? text : (match[2] ?? '');
  const names = list.split(',').map(unquote).filter((name) => name !== '');
  if (names.includes('*')) return { count, names: [], anyStandby: true };
  return { count: Math.min(count, names.length), names };
}

function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The synchronous_standby_names value of quorum mode: `ANY n (…)`, `*` (strict, nobody) or empty. */
export function quorumSetting(count: number, names: readonly string[], strict: boolean): string {
  if (names.length === 0) return strict ? '*' : '';
  return `ANY ${Math.min(count, names.length)} (${[...names].sort().map(quoteName).join(',')})`;
}

export interface QuorumPlanInput {
  /** `/sync` as it stands (we are its leader). */
  readonly key: QuorumKey;
  /** synchronous_standby_names as PostgreSQL reports it now. */
  readonly setting: string;
  /** What is known of the commits made under earlier settings not yet absorbed (see {@link factsOfPending}). */
  readonly pending: readonly Facts[];
  /** Members eligible and streaming from us now, best first. */
  readonly active: readonly string[];
  /** `synchronous_node_count`. */
  readonly wanted: number;
  readonly strict: boolean;
}

export interface QuorumPlan {
  /** Write `/sync` with this key first (it covers the setting after the change too). */
  readonly key?: QuorumKey;
  /** Then set synchronous_standby_names to this value. */
  readonly setting?: string;
  /** The rule's explanation, for the log. */
  readonly reason: string;
}

function sameKey(a: QuorumKey, b: QuorumKey): boolean {
  const left = lower(a.voters);
  const right = lower(b.voters);
  return a.quorum === b.quorum && left.size === right.size && [...left].every((name) => right.has(name));
}

/**
 * One cycle of the quorum state machine: the target is every active member
 * both in the setting and among the voters, `ANY min(wanted, |active|)` of
 * them, and the smallest quorum that covers every guarantee in force (the
 * current setting's, the target's and the pending ones). The key goes first;
 * it never covers less than is in force, so writing it is always safe, and
 * the setting then changes only to a value the key covers. A key that would
 * need every voter to vote is written as "nobody but the leader" instead.
 */
export function planQuorum(input: QuorumPlanInput): QuorumPlan {
  const names = [...input.active].sort();
  const count = Math.min(Math.max(input.wanted, 1), names.length);
  const setting = quorumSetting(count, names, input.strict);
  const settingChanges = input.setting.trim() !== setting;
  const inForce: Facts[] = [[guaranteeOfSetting(input.setting)], ...input.pending];
  const needed = settingChanges ? [...inForce, [guaranteeOfSetting(setting)]] : inForce;
  const quorum = smallestQuorum(names, needed);
  const key: QuorumKey = quorum === undefined ? { quorum: 0, voters: [] } : { quorum, voters: names };
  const keyChanges = !sameKey(key, input.key) && !(keyBlocksPromotion(key) && keyBlocksPromotion(input.key));
  const reason =
    quorum === undefined
      ? `no quorum over [${names.join(',')}] covers the commits in force yet: nobody but the leader may be promoted`
      : `quorum ${quorum} of [${names.join(',')}], ${setting === '' ? 'no synchronous standby' : setting}`;
  return { ...(keyChanges ? { key } : {}), ...(settingChanges ? { setting } : {}), reason };
}

/**
 * What is known of the commits before a pending guarantee's `untilLsn`: the
 * guarantee itself, and that each member whose flushed position reached
 * `untilLsn` holds all of them.
 */
export function factsOfPending(pending: PendingGuarantee, positions: ReadonlyMap<string, number>): Facts {
  const holders = [...positions].filter(([, lsn]) => lsn >= pending.untilLsn).map(([name]) => name);
  return holders.length === 0 ? [pending] : [pending, { count: holders.length, names: holders }];
}

/**
 * A pending guarantee is absorbed once `count` members of the current
 * setting's set hold everything before it: from then on the current
 * setting's guarantee speaks for those commits too.
 */
export function isAbsorbed(pending: PendingGuarantee, current: Guarantee, positions: ReadonlyMap<string, number>): boolean {
  if (current.anyStandby === true) {
    return current.count > 0 && [...positions.values()].filter((lsn) => lsn >= pending.untilLsn).length >= current.count;
  }
  const names = lower(current.names);
  const holders = [...positions].filter(([name, lsn]) => names.has(name.toLowerCase()) && lsn >= pending.untilLsn).length;
  return holders >= current.count;
}

/**
 * The failover rule: votes a candidate gathers from `voters` (members at or
 * behind it, reachable, not running as primary). A voter candidate counts
 * itself; any other must find one voter more. It may promote when the result
 * reaches `quorum`.
 */
export function quorumVotes(self: string, key: QuorumKey, behindOrEqual: readonly string[]): number {
  const voters = lower(key.voters);
  const me = self.toLowerCase();
  const seen = new Set(behindOrEqual.map((name) => name.toLowerCase()).filter((name) => name !== me && voters.has(name)));
  return seen.size - (voters.has(me) ? 0 : 1);
}
