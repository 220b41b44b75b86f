import assert from 'node:assert/strict'
import {
  EMPTY_TREE_ROOT, MerkleFrontier, consistencyProof, inclusionProof, leafHash, merkleTreeHash, nodeHash, verifyConsistency,
  verifyInclusion
} from '../../../src/ledger/index.ts'

/**
 * Test vectors of the RFC 6962 / RFC 9162 Merkle tree, the data published with the reference
 * implementations (certificate-transparency-go, transparency-dev/merkle): eight leaves, the root
 * of each prefix, and known inclusion and consistency proofs.
 */
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex)
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]
/** Inclusion proofs: leaf index (0-based), tree size, path. */
const INCLUSION: Array<[number, number, string[]]> = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']]
]
/** Consistency proofs: old size, new size, path. */
const CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']]
]

const hashes = LEAVES.map(leafHash)

/** A proof with bit `bit` of byte 0 of element `i` flipped. */
function flipped (proof: readonly Uint8Array[], i: number, bit = 3): Uint8Array[] {
  return proof.map((h, j) => {
    if (j !== i) return h
    const copy = Uint8Array.from(h)
    copy[0] = (copy[0] as number) ^ (1 << bit)
    return copy
  })
}

/** Deterministic distinct leaves. */
function leavesOf (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)))
}

describe('ledger: RFC 9162 Merkle tree', () => {
  it('hashes the empty tree, a leaf and a node with domain separation', () => {
    assert.equal(toHex(EMPTY_TREE_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    assert.equal(toHex(merkleTreeHash([])), toHex(EMPTY_TREE_ROOT))
    // The leaf of the empty string is SHA-256(0x00), not SHA-256().
    assert.equal(toHex(leafHash(new Uint8Array())), ROOTS[0])
    assert.notEqual(toHex(nodeHash(hashes[0] as Uint8Array, hashes[1] as Uint8Array)), toHex(leafHash(new Uint8Array([...hashes[0] as Uint8Array, ...hashes[1] as Uint8Array]))))
  })

  it('computes the reference root of every prefix of the eight test leaves', () => {
    for (let n = 1; n <= 8; n++) assert.equal(toHex(merkleTreeHash(hashes.slice(0, n))), ROOTS[n - 1], `size ${n}`)
  })

  it('generates and verifies the reference inclusion proofs', () => {
    for (const [index, size, expected] of INCLUSION) {
      const proof = inclusionProof(hashes, index, size)
      assert.deepEqual(proof.map(toHex), expected, `leaf ${index} of ${size}`)
      assert.ok(verifyInclusion(hashes[index] as Uint8Array, index, size, proof, hex(ROOTS[size - 1] as string)))
    }
  })

  it('generates and verifies the reference consistency proofs', () => {
    for (const [oldSize, newSize, expected] of CONSISTENCY) {
      const proof = consistencyProof(hashes, oldSize, newSize)
      assert.deepEqual(proof.map(toHex), expected, `${oldSize} -> ${newSize}`)
      assert.ok(verifyConsistency(oldSize, newSize, hex(ROOTS[oldSize - 1] as string), hex(ROOTS[newSize - 1] as string), proof))
    }
  })

  it('verifies every inclusion proof in trees of up to 64 leaves and refuses tampered ones', () => {
    const leaves = leavesOf(64)
    for (let size = 1; size <= 64; size++) {
      const root = merkleTreeHash(leaves, 0, size)
      for (let index = 0; index < size; index++) {
        const leaf = leaves[index] as Uint8Array
        const proof = inclusionProof(leaves, index, size)
        assert.ok(verifyInclusion(leaf, index, size, proof, root), `leaf ${index} of ${size}`)
        const bad = `leaf ${index} of ${size} verified with`
        if (size > 1) assert.ok(!verifyInclusion(leaves[(index + 1) % size] as Uint8Array, index, size, proof, root), `${bad} another leaf`)
        if (index + 1 < size) assert.ok(!verifyInclusion(leaf, index + 1, size, proof, root), `${bad} index + 1`)
        assert.ok(!verifyInclusion(leaf, index, size * 2, proof, root), `${bad} size * 2`)
        assert.ok(!verifyInclusion(leaf, index, size, [...proof, root], root), `${bad} a trailing hash`)
        assert.ok(!verifyInclusion(leaf, index, size, [root, ...proof], root), `${bad} a leading hash`)
        if (proof.length > 0) assert.ok(!verifyInclusion(leaf, index, size, proof.slice(0, -1), root), `${bad} a dropped hash`)
        for (let i = 0; i < proof.length; i++) assert.ok(!verifyInclusion(leaf, index, size, flipped(proof, i), root), `${bad} hash ${i} flipped`)
      }
    }
  })

  it('verifies every consistency proof between trees of up to 64 leaves and refuses tampered ones', () => {
    const leaves = leavesOf(64)
    const roots = Array.from({ length: 65 }, (_, n) => merkleTreeHash(leaves, 0, n))
    for (let newSize = 1; newSize <= 64; newSize++) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(leaves, oldSize, newSize)
        const oldRoot = roots[oldSize] as Uint8Array
        const newRoot = roots[newSize] as Uint8Array
        assert.ok(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof), `${oldSize} -> ${newSize}`)
        assert.ok(proof.length <= Math.ceil(Math.log2(newSize)) + 1, `${oldSize} -> ${newSize}: ${proof.length} hashes`)
        if (oldSize === 0 || oldSize === newSize) continue
        const bad = `${oldSize} -> ${newSize} verified with`
        assert.ok(!verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof), `${bad} swapped roots`)
        assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, roots[newSize - 1] as Uint8Array, proof), `${bad} another new root`)
        assert.ok(!verifyConsistency(oldSize, newSize, roots[oldSize - 1] as Uint8Array, newRoot, proof), `${bad} another old root`)
        assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, newRoot, []), `${bad} no proof`)
        assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot]), `${bad} a trailing hash`)
        assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof]), `${bad} a leading hash`)
        assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1)), `${bad} a dropped hash`)
        assert.ok(!verifyConsistency(oldSize, newSize * 2, oldRoot, newRoot, proof), `${bad} size * 2`)
        for (let i = 0; i < proof.length; i++) assert.ok(!verifyConsistency(oldSize, newSize, oldRoot, newRoot, flipped(proof, i, 4)), `${bad} hash ${i} flipped`)
      }
    }
  })

  it('keeps the root of a growing tree in a frontier equal to MTH at every size up to 64', () => {
    const leaves = leavesOf(64)
    const frontier = new MerkleFrontier()
    assert.equal(toHex(frontier.root()), toHex(EMPTY_TREE_ROOT))
    for (let n = 1; n <= 64; n++) {
      frontier.append(leaves[n - 1] as Uint8Array)
      assert.equal(toHex(frontier.root()), toHex(merkleTreeHash(leaves, 0, n)), `size ${n}`)
    }
  })

  it('refuses a log that forked: the same size with another entry, or a shorter log against a longer one', () => {
    const leaves = leavesOf(10)
    const forked = [...leaves.slice(0, 6), leafHash(new TextEncoder().encode('rewritten')), ...leaves.slice(7)]
    const proof = consistencyProof(forked, 5, 10)
    assert.ok(!verifyConsistency(5, 10, merkleTreeHash(leaves, 0, 5), merkleTreeHash(leaves), proof))
    assert.ok(!verifyConsistency(10, 10, merkleTreeHash(leaves), merkleTreeHash(forked), []))
    assert.ok(!verifyConsistency(10, 5, merkleTreeHash(leaves), merkleTreeHash(leaves, 0, 5), []))
  })

  it('needs at most 21 hashes to prove a log of 1,000,000 entries consistent with any earlier one tried', function () {
    this.timeout(60_000)
    const one = leafHash(new Uint8Array([1]))
    const leaves: Uint8Array[] = new Array<Uint8Array>(1_000_000).fill(one)
    let longest = 0
    // 2^19 + 1 is one of the old sizes with the longest proof (21 hashes), as 3 and 65,537 are.
    for (const oldSize of [524_289]) {
      longest = Math.max(longest, consistencyProof(leaves, oldSize).length)
    }
    assert.ok(longest <= 21, `${longest} hashes`)
    assert.ok(longest >= 19, `${longest} hashes: the proof cannot be shorter than the tree is deep`)
  })
})
