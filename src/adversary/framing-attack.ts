/**
 * Framing: an attack on a peer-alignment memory (round/peer-alignment.ts) rather than on the rule.
 * The memory measures each peer's update against the coordinate-wise median of all the node's
 * inputs, the attackers' included, so colluders can pull that median, coordinate by coordinate,
 * against one honest peer's update until the memory leaves that peer out.
 */
import { checkInputs } from '../aggregation/index.ts'

/**
 * The model that pulls the median of every node's inputs against the update of `victim` (its
 * model − `reference`): per coordinate, the smallest of the honest values (`honest`, the victim's
 * among them) where the victim's update is positive, the largest where it is negative, and the
 * victim's own value where it is zero. Beyond the honest range would pull the median no further:
 * it moves by the attackers' count in rank, whatever their values.
 * @throws AggregationPreconditionError when the models' lengths differ.
 */
export function frameModel (victim: Float32Array, honest: readonly Float32Array[], reference: Float32Array): Float32Array {
  const d = checkInputs('frame', [victim, ...honest, reference], 1, 'a victim model')
  const out = new Float32Array(d)
  for (let j = 0; j < d; j++) {
    const own = victim[j] as number
    const update = own - (reference[j] as number)
    let value = own
    for (const model of honest) {
      const x = model[j] as number
      if ((update > 0 && x < value) || (update < 0 && x > value)) value = x
    }
    out[j] = value
  }
  return out
}
