import { EMPTY_TREE_ROOT, nodeHash } from './merkle-hash.ts'

/**
 * Roots and proofs of a Merkle tree over leaf hashes, as defined in
 * [RFC 9162 §2.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1). Every function takes the
 * leaf hashes (`leafHash` of each entry), not the entries, so a log keeps 32 bytes per entry in
 * memory. Sizes and indices are plain numbers, exact up to 2^53.
 */

/** Whether `n` (a positive safe integer) is 2^j for some j >= 0. */
export function isPowerOfTwo (n: number): boolean {
  let x = n
  while (x > 1 && x % 2 === 0) x /= 2
  return x === 1
}

/** The largest power of two strictly smaller than `n` (n >= 2): the split point `k` of RFC 9162 §2.1.1. */
export function largestPowerOfTwoBelow (n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * `MTH(D[n])` of [RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1) over
 * `leaves[start, end)`: the empty hash for no leaf, the leaf hash for one, else the node hash of
 * the first `k` leaves' tree and the rest's, `k` the largest power of two below the count.
 */
export function merkleTreeHash (leaves: readonly Uint8Array[], start = 0, end = leaves.length): Uint8Array {
  const n = end - start
  if (n === 0) return EMPTY_TREE_ROOT
  if (n === 1) return leaves[start] as Uint8Array
  // Perfect subtrees are hashed bottom-up without recursion (the common case in a log).
  if (isPowerOfTwo(n)) return perfectTreeHash(leaves, start, n)
  const k = largestPowerOfTwoBelow(n)
  return nodeHash(merkleTreeHash(leaves, start, start + k), merkleTreeHash(leaves, start + k, end))
}

function perfectTreeHash (leaves: readonly Uint8Array[], start: number, n: number): Uint8Array {
  // Pairs are hashed level by level into one scratch array, halving its live length each pass.
  const level = new Array<Uint8Array>(n / 2)
  for (let i = 0; i < n / 2; i++) level[i] = nodeHash(leaves[start + 2 * i] as Uint8Array, leaves[start + 2 * i + 1] as Uint8Array)
  for (let width = n / 2; width > 1; width /= 2) {
    for (let i = 0; i < width / 2; i++) level[i] = nodeHash(level[2 * i] as Uint8Array, level[2 * i + 1] as Uint8Array)
  }
  return level[0] as Uint8Array
}

/**
 * The inclusion proof `PATH(m, D[n])` of
 * [RFC 9162 §2.1.3.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1): the sibling hashes
 * from leaf `index` up to the root of the tree of the first `size` leaves, leaf side first.
 * @throws RangeError unless 0 <= index < size <= leaves.length.
 */
export function inclusionProof (leaves: readonly Uint8Array[], index: number, size = leaves.length): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || size > leaves.length) {
    throw new RangeError(`inclusionProof: leaf ${index} is not in a tree of ${size} (of ${leaves.length} leaves)`)
  }
  return path(leaves, index, 0, size)
}

function path (leaves: readonly Uint8Array[], m: number, start: number, end: number): Uint8Array[] {
  const n = end - start
  if (n === 1) return []
  const k = largestPowerOfTwoBelow(n)
  return m < k
    ? [...path(leaves, m, start, start + k), merkleTreeHash(leaves, start + k, end)]
    : [...path(leaves, m - k, start + k, end), merkleTreeHash(leaves, start, start + k)]
}

/**
 * The consistency proof `PROOF(m, D[n])` of
 * [RFC 9162 §2.1.4.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1) between the tree of
 * the first `oldSize` leaves and the tree of the first `newSize`: empty when `oldSize` is 0 or
 * equals `newSize`; otherwise at most ceil(log2(newSize)) + 1 hashes.
 * @throws RangeError unless 0 <= oldSize <= newSize <= leaves.length.
 */
export function consistencyProof (leaves: readonly Uint8Array[], oldSize: number, newSize = leaves.length): Uint8Array[] {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize || newSize > leaves.length) {
    throw new RangeError(`consistencyProof: sizes ${oldSize} -> ${newSize} (of ${leaves.length} leaves)`)
  }
  if (oldSize === 0 || oldSize === newSize) return []
  return subproof(leaves, oldSize, 0, newSize, true)
}

function subproof (leaves: readonly Uint8Array[], m: number, start: number, end: number, complete: boolean): Uint8Array[] {
  const n = end - start
  if (m === n) return complete ? [] : [merkleTreeHash(leaves, start, end)]
  const k = largestPowerOfTwoBelow(n)
  return m <= k
    ? [...subproof(leaves, m, start, start + k, complete), merkleTreeHash(leaves, start + k, end)]
    : [...subproof(leaves, m - k, start + k, end, false), merkleTreeHash(leaves, start, start + k)]
}
