import { computeEpsilon, epsilonAgrees } from '../privacy/index.ts'
import type { EntryBody } from './entry-kinds.ts'
import type { AnyLedgerEntry, LedgerEntry } from './ledger-entry.ts'

/**
 * The `privacy` entries of a log, checked the way an outsider would: each follows its round's
 * `training` entry and accounts for that training's steps, the accountant's count of steps never
 * goes back, and the epsilon it records is the one the RDP accountant (src/privacy/) recomputes
 * from the recorded steps, sampling rate, noise multiplier and delta (docs/wire.md §10.5).
 */

/** The accountant's state a `privacy` entry records, apart from the round. */
export type PrivacyAccount = Omit<EntryBody<'privacy'>, 'round'>

/** Whether two accounts are one accountant's: the same mechanism and the same parameters of its steps, so their step counts compare. */
function sameAccountant (a: PrivacyAccount, b: PrivacyAccount): boolean {
  return a.mechanism === b.mechanism && a.samplingRate === b.samplingRate && a.noiseMultiplier === b.noiseMultiplier && a.delta === b.delta
}

/**
 * What is wrong with a `privacy` entry, given the entry just before it and the log's previous
 * `privacy` entry; undefined when all holds. Checked in order:
 * - the entry before is the `training` entry of the same round;
 * - the steps it accounts are that training's (dp-sgd: the training's steps; update-clip: one
 *   noised update of the whole data set per round, so 1 step at sampling rate 1);
 * - the steps spent in all include this round's, and, under the same accountant as the previous
 *   `privacy` entry, at least that entry's and this round's (a count that went back is an
 *   accountant reset: its earlier spending was forgotten);
 * - the epsilon recorded agrees with the recomputation (to {@link epsilonAgrees}).
 */
export function privacyRecordFailure (
  entry: LedgerEntry<'privacy'>, before: AnyLedgerEntry | undefined, previous: LedgerEntry<'privacy'> | undefined
): string | undefined {
  const b = entry.body
  const round = `privacy of round ${b.round}`
  if (before?.kind !== 'training' || before.body.round !== b.round) return `${round} does not follow that round's training entry`
  if (b.mechanism === 'dp-sgd' && b.steps !== before.body.steps) return `${round}: accounts ${b.steps} DP-SGD steps, the training took ${before.body.steps}`
  if (b.mechanism === 'update-clip' && (b.steps !== 1 || b.samplingRate !== 1)) {
    return `${round}: update-clip accounts one update of the whole data set (1 step at sampling rate 1), not ${b.steps} at ${b.samplingRate}`
  }
  if (b.stepsSpent < b.steps) return `${round}: ${b.stepsSpent} steps spent in all, fewer than the round's ${b.steps}`
  if (previous !== undefined && sameAccountant(previous.body, b) && b.stepsSpent < previous.body.stepsSpent + b.steps) {
    return `${round}: ${b.stepsSpent} steps spent in all, but entry ${previous.seq} (round ${previous.body.round}) had spent ${previous.body.stepsSpent} and this round took ${b.steps} more: the accountant went back`
  }
  // The decoder's field types keep every parameter in the accountant's ranges.
  const recomputed = computeEpsilon({ samplingRate: b.samplingRate, noiseMultiplier: b.noiseMultiplier, steps: b.stepsSpent }, b.delta).epsilon
  if (!epsilonAgrees(b.epsilon, recomputed)) {
    return `${round}: epsilon ${b.epsilon} recorded, but ${b.stepsSpent} steps at sampling rate ${b.samplingRate}, noise multiplier ${b.noiseMultiplier} and delta ${b.delta} spend epsilon ${recomputed}`
  }
  return undefined
}

/** The last `privacy` entry of a log: the epsilon the node had spent by its last private round; undefined for a node that never trained privately. */
export function lastPrivacyRecord (entries: readonly AnyLedgerEntry[]): LedgerEntry<'privacy'> | undefined {
  return entries.findLast((e): e is LedgerEntry<'privacy'> => e.kind === 'privacy')
}
