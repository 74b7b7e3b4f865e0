/**
 * The HA decision machine: decide() and its pure helpers (spec/ha-loop.md).
 * See the HA section of packages/core/README.md for the runtime protocol.
 */
export { decide } from './decide.js';
export { recordLockRenewal } from './absorb.js';
export { initialMemory, type HaMemory, type RewindState } from './memory.js';
export { backgroundActionName } from './background-names.js';
export { isLockValid, lockValidUntilMs, safetyMarginMs } from './lock-validity.js';
export { formatBytes, formatLsn, lagBytes, exceedsMaximumLag } from './lag.js';
export { rankFailoverCandidates, type CandidateVerdict, type RankingInput } from './rank-candidates.js';
export { assessTakeover, type TakeoverInput, type TakeoverVerdict } from './healthiest.js';
export { switchoverHandedToMe } from './takeover.js';
export { selectSyncStandbys, synchronousStandbyNamesValue, type SyncEligibleMember, type SyncSelection, type SyncSelectionInput } from './sync-standbys.js';
export {
  guaranteeOfSetting,
  keyCovers,
  planQuorum,
  quorumSetting,
  quorumVotes,
  type Facts,
  type Guarantee,
  type PendingGuarantee,
  type QuorumKey,
  type QuorumPlan,
  type QuorumPlanInput,
} from './quorum.js';
