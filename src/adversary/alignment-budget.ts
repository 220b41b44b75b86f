import type { PeerAlignmentOptions } from '../aggregation/index.ts'

/**
 * How far below the threshold an attacker estimates it may go: its estimate of each honest node's
 * median differs from theirs in float rounding and, after an exclusion, in the start model.
 */
export const ALIGNMENT_MARGIN = 0.02

/**
 * An attacker's estimate of the moving average a peer-alignment memory keeps of it, and the slack
 * that average leaves: the lowest alignment this round may have that keeps the average at the
 * threshold (plus ALIGNMENT_MARGIN). Rounds of good behaviour bank slack, which a later round spends
 * on an attack far below the threshold (`slack=1` of the objective searches). Colluders in one
 * process share one (Collusion), as they share the crafted model.
 */
export class AlignmentBudget {
  #average: number | undefined
  #round = -Infinity

  /** The lowest alignment that keeps the estimated average at the threshold, from -1 to 1 (1: none may go lower). */
  floor (options: PeerAlignmentOptions): number {
    const target = options.threshold + ALIGNMENT_MARGIN
    if (this.#average === undefined) return clamp(target)
    return clamp((target - options.decay * this.#average) / (1 - options.decay))
  }

  /** Count the alignment of the model sent in `round`, up to the memory's ceiling, as the memory does (once a round; later calls for the round are ignored). */
  spend (options: PeerAlignmentOptions, round: number, alignment: number): void {
    if (round <= this.#round || !Number.isFinite(alignment)) return
    this.#round = round
    const counted = Math.min(options.ceiling, alignment)
    this.#average = this.#average === undefined ? counted : options.decay * this.#average + (1 - options.decay) * counted
  }
}

const clamp = (x: number): number => Math.min(1, Math.max(-1, x))
