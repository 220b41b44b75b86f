import { AlignmentBudget } from './alignment-budget.ts'

/**
 * What colluding attackers share: a deterministic attack crafted once per round and honest set,
 * so that f colluders in one process (the robustness benchmark) search once, not f times, and
 * send the same model, as a coordinated cluster would.
 */
export class Collusion {
  /** The colluders' shared estimate of how a peer-alignment memory sees them (the `slack` searches). */
  readonly budget = new AlignmentBudget()
  readonly #models = new Map<number, Map<string, Float32Array | undefined>>()

  /**
   * The model crafted for `round` from the honest peers `honestIds`: `craft()`'s result, computed
   * by the first colluder to ask and reused by the others.
   */
  craftOnce (round: number, honestIds: readonly string[], craft: () => Float32Array | undefined): Float32Array | undefined {
    let models = this.#models.get(round)
    if (models === undefined) this.#models.set(round, models = new Map())
    const key = [...honestIds].sort().join(' ')
    if (!models.has(key)) models.set(key, craft())
    return models.get(key)
  }

  /** Forget the rounds before `oldest`. */
  forgetBefore (oldest: number): void {
    for (const round of this.#models.keys()) if (round < oldest) this.#models.delete(round)
  }
}
