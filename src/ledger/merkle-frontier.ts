import { EMPTY_TREE_ROOT, nodeHash } from './merkle-hash.ts'

/**
 * The root of a growing Merkle tree in O(log n) memory and time per append: the roots of the
 * perfect subtrees that the binary decomposition of the size splits the leaves into, left to
 * right. Folding them from the right gives `MTH` of
 * [RFC 9162 §2.1.1](https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1), because its split at
 * the largest power of two below n is exactly that decomposition.
 */
export class MerkleFrontier {
  #sizes: number[] = []
  #hashes: Uint8Array[] = []
  #size = 0

  /** Leaves appended so far. */
  get size (): number {
    return this.#size
  }

  /** Append one leaf hash. */
  append (leaf: Uint8Array): void {
    this.#sizes.push(1)
    this.#hashes.push(leaf)
    this.#size++
    // Two neighbouring perfect subtrees of equal size merge into one twice as large.
    while (this.#sizes.length >= 2 && this.#sizes.at(-1) === this.#sizes.at(-2)) {
      const right = this.#hashes.pop() as Uint8Array
      const left = this.#hashes.pop() as Uint8Array
      const size = (this.#sizes.pop() as number) * 2
      this.#sizes.pop()
      this.#sizes.push(size)
      this.#hashes.push(nodeHash(left, right))
    }
  }

  /** `MTH` of the leaves appended so far. */
  root (): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_TREE_ROOT
    let root = this.#hashes.at(-1) as Uint8Array
    for (let i = this.#hashes.length - 2; i >= 0; i--) root = nodeHash(this.#hashes[i] as Uint8Array, root)
    return root
  }
}
