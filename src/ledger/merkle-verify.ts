import { MERKLE_HASH_BYTES, equalBytes, nodeHash } from './merkle-hash.ts'
import { isPowerOfTwo } from './merkle-tree.ts'

/**
 * Verification of Merkle inclusion and consistency proofs, step by step as
 * [RFC 9162 §2.1.3.2](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2) and
 * [§2.1.4.2](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2) write them. Both return a
 * boolean: a proof that does not verify is an ordinary outcome, not an exception. Every hash must
 * be {@link MERKLE_HASH_BYTES} long.
 */

const isHash = (h: Uint8Array): boolean => h.byteLength === MERKLE_HASH_BYTES
const odd = (x: number): boolean => x % 2 === 1
const half = (x: number): number => Math.floor(x / 2)

/**
 * Whether `proof` shows that `leaf` (a leaf hash) is entry `index` of the tree of `size` entries
 * whose root is `root`. RFC 9162 §2.1.3.2.
 */
export function verifyInclusion (leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn) }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && equalBytes(r, root)
}

/**
 * Whether `proof` shows that the tree of `oldSize` entries with root `oldRoot` is a prefix of the
 * tree of `newSize` entries with root `newRoot`. RFC 9162 §2.1.4.2 for 0 < oldSize < newSize; for
 * the cases its algorithm leaves aside, the proof must be empty and: oldSize 0 is consistent with
 * anything, equal sizes need equal roots.
 */
export function verifyConsistency (oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false
  if (oldSize === 0) return proof.length === 0
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot)
  // Step 1: an empty path fails.
  if (proof.length === 0) return false
  // Step 2: when oldSize is an exact power of two, the old root itself starts the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof]
  // Step 3.
  let fn = oldSize - 1
  let sn = newSize - 1
  // Step 4.
  while (odd(fn)) { fn = half(fn); sn = half(sn) }
  // Step 5.
  let fr = path[0] as Uint8Array
  let sr = fr
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn) }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  // Step 7.
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot)
}
