import { createRng, deriveSeed, shuffleInPlace } from './random.ts'
import { InputError } from '../errors/index.ts'

/**
 * How the train part of a data set is dealt to the nodes of a simulated swarm:
 * - `iid`: uniformly at random, equal sizes (within one example);
 * - `dirichlet`: label skew; each class is dealt to the nodes in proportions drawn from
 *   Dir(alpha), the usual federated-learning recipe (Hsu, Qi & Brown 2019,
 *   https://arxiv.org/abs/1909.06335). Small alpha (0.1) is very skewed, large alpha (100) is
 *   close to iid.
 */
export type PartitionScheme =
  | { readonly kind: 'iid' }
  | { readonly kind: 'dirichlet', readonly alpha: number }

/** A partition that cannot be made, or a partition string that cannot be read. */
export class PartitionError extends InputError {
  constructor (message: string) {
    super('bad-partition', message)
  }
}

/** The accepted forms of a partition string, for help texts and error messages. */
export const PARTITION_FORMS = ['iid', 'dirichlet:ALPHA'] as const

/** Share of a node's shard held out from training to measure its local accuracy. */
export const HOLDOUT_FRACTION = 0.1

// Below this many examples per node (or the fair share, if smaller) the Dirichlet draw is topped
// up from the largest shard, so that no node is left with nothing to train on.
const MIN_DIRICHLET_SHARD = 10

/**
 * Read a partition from its command-line form: `iid` or `dirichlet:ALPHA` with ALPHA > 0.
 * @throws PartitionError naming the string and the accepted forms.
 */
export function parsePartition (text: string): PartitionScheme {
  if (text === 'iid') return { kind: 'iid' }
  const match = /^dirichlet:(.+)$/.exec(text)
  const alpha = match === null ? NaN : Number(match[1])
  if (match !== null && Number.isFinite(alpha) && alpha > 0) return { kind: 'dirichlet', alpha }
  const why = match === null ? 'unknown scheme' : `alpha ${JSON.stringify(match[1])} is not a positive number`
  throw new PartitionError(`partition ${JSON.stringify(text)}: ${why}; accepted forms: ${PARTITION_FORMS.join(', ')} (e.g. dirichlet:0.5)`)
}

/** The command-line form of a partition (the inverse of {@link parsePartition}). */
export function formatPartition (scheme: PartitionScheme): string {
  return scheme.kind === 'iid' ? 'iid' : `dirichlet:${scheme.alpha}`
}

/**
 * Deal example indices `0..labels.length-1` to `nodes` nodes. Pure and deterministic: the same
 * arguments give the same shards in every process, so every node of a swarm, given the same
 * seed, computes the same partition and takes its own shard.
 * @returns `nodes` disjoint shards covering every index, each sorted ascending and non-empty;
 *   with `dirichlet`, each holds at least min(10, floor(n / nodes)) examples.
 * @throws PartitionError when `nodes` is not a positive integer, alpha is not positive, or there
 *   are fewer than 2 examples per node (one to train on, one to hold out).
 */
export function partition (labels: ArrayLike<number>, nodes: number, scheme: PartitionScheme, seed: number): Int32Array[] {
  const n = labels.length
  if (!Number.isInteger(nodes) || nodes < 1) throw new PartitionError(`nodes: got ${nodes}, expected a positive integer`)
  if (n < 2 * nodes) throw new PartitionError(`${n} examples cannot be dealt to ${nodes} nodes: each needs at least 2`)
  const rng = createRng(deriveSeed(seed, 0x70617274))
  let shards: number[][]
  if (scheme.kind === 'iid') {
    const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), rng)
    shards = Array.from({ length: nodes }, (_, k) => Array.from(order.subarray(Math.floor(k * n / nodes), Math.floor((k + 1) * n / nodes))))
  } else {
    if (!(scheme.alpha > 0) || !Number.isFinite(scheme.alpha)) throw new PartitionError(`dirichlet alpha: got ${scheme.alpha}, expected a positive number`)
    shards = dirichletShards(labels, nodes, scheme.alpha, rng)
    topUp(shards, Math.min(MIN_DIRICHLET_SHARD, Math.floor(n / nodes)))
  }
  return shards.map(shard => Int32Array.from(shard).sort())
}

/**
 * Split a node's shard into the part it trains on and a held-out part for its status line:
 * a deterministic HOLDOUT_FRACTION (10%, at least 1 example) chosen with `seed`.
 * @throws PartitionError when the shard has fewer than 2 examples.
 */
export function splitHoldout (shard: Int32Array, seed: number): { train: Int32Array, holdout: Int32Array } {
  if (shard.length < 2) throw new PartitionError(`a shard of ${shard.length} example(s) cannot be split into train and held-out parts`)
  const order = shuffleInPlace(Int32Array.from(shard), createRng(deriveSeed(seed, 0x686f6c64)))
  const holdoutCount = Math.max(1, Math.floor(shard.length * HOLDOUT_FRACTION))
  return { train: order.slice(holdoutCount).sort(), holdout: order.slice(0, holdoutCount).sort() }
}

function dirichletShards (labels: ArrayLike<number>, nodes: number, alpha: number, rng: ReturnType<typeof createRng>): number[][] {
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number
    const members = byClass.get(label)
    if (members === undefined) byClass.set(label, [i])
    else members.push(i)
  }
  const shards: number[][] = Array.from({ length: nodes }, () => [])
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byClass.get(label) as number[], rng)
    const draws = Array.from({ length: nodes }, () => rng.gamma(alpha))
    const total = draws.reduce((a, b) => a + b, 0)
    let start = 0
    let cumulative = 0
    draws.forEach((draw, k) => {
      cumulative += draw
      const end = k === nodes - 1 || total === 0 ? members.length : Math.round(members.length * cumulative / total)
      for (let i = start; i < end; i++) (shards[k] as number[]).push(members[i] as number)
      start = Math.max(start, end)
    })
  }
  return shards
}

// Move examples from the largest shard to any shard below `min` until none is, deterministically.
function topUp (shards: number[][], min: number): void {
  for (const shard of shards) {
    while (shard.length < min) {
      let largest = shards[0] as number[]
      for (const other of shards) if (other.length > largest.length) largest = other
      shard.push(largest.pop() as number)
    }
  }
}
