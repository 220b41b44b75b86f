/**
 * Framing: an attack on a peer-alignment memory (round/peer-alignment.ts) rather than on the rule.
 * The memory measures each peer's update against the coordinate-wise median of all the node's
 * inputs, the attackers' included, so colluders can pull that median, coordinate by coordinate,
 * against one honest peer's update until the memory leaves that peer out.
 */
import { checkInputs, coordinateMedian } from '../aggregation/index.ts'
import { updateCosine } from '../round/index.ts'

/**
 * The honest peer least aligned with the honest models' median (cosine of their updates from
 * `reference`): the one a memory is closest to leaving out, framed by {@link frameModel}. Ties
 * go to the first; an update without direction counts as aligned.
 */
export function frameTarget (honest: readonly Float32Array[], reference: Float32Array): number {
  const median = coordinateMedian(honest)
  let target = 0
  let lowest = Infinity
  honest.forEach((model, i) => {
    const cosine = updateCosine(model, median, reference)
    if (cosine < lowest) { lowest = cosine; target = i }
  })
  return target
}

/**
 * The model that pulls the median of every node's inputs against the update of the honest peer
 * {@link frameTarget} picks: per coordinate, the smallest honest value where the target's update
 * (its model − `reference`) is positive and the largest where it is negative (where it is zero,
 * the target's own value). Beyond the honest range would pull the median no further: it moves by
 * the attackers' count in rank, whatever their values.
 * @throws AggregationPreconditionError when there are no honest models or their lengths differ.
 */
export function frameModel (honest: readonly Float32Array[], reference: Float32Array): Float32Array {
  const d = checkInputs('frame', honest, 1, 'an honest model')
  const target = honest[frameTarget(honest, reference)] as Float32Array
  const out = new Float32Array(d)
  for (let j = 0; j < d; j++) {
    const update = (target[j] as number) - (reference[j] as number)
    let value = target[j] as number
    for (const model of honest) {
      const x = model[j] as number
      if ((update > 0 && x < value) || (update < 0 && x > value)) value = x
    }
    out[j] = value
  }
  return out
}
