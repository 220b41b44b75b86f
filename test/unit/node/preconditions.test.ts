import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ManifestError } from '../../../src/protocol/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'
import type { NetworkManifest } from '../../../src/protocol/index.ts'
import { aggregatorFor, checkReachable } from '../../../src/node/index.ts'

async function peers (n: number): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: n }, async (_, i) => peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i + 1))).toString()))
  return ids.sort()
}

describe('manifest preconditions', () => {
  it('refuses the README\'s manifest (trimmed mean, b=1) with two members, naming 2 members and 3 inputs', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, members: await peers(2) }
    assert.throws(() => aggregatorFor(manifest), (err: unknown) => {
      assert.ok(err instanceof ManifestError)
      assert.equal(err.exitStatus, 2)
      assert.equal(err.setting, 'members')
      assert.match(err.message, /2 members, but aggregation\.rule "trimmed-mean" with f=1 needs 3 inputs/)
      assert.doesNotMatch(err.message, /\n/)
      return true
    })
  })

  it('accepts as many members as the rule needs, and an open member list', async () => {
    assert.equal(aggregatorFor({ ...DEFAULT_MANIFEST, members: await peers(3) }).minInputs, 3)
    assert.equal(aggregatorFor(DEFAULT_MANIFEST).minInputs, 3)
    // The mean needs one input: two members are plenty.
    assert.equal(aggregatorFor({ ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, members: await peers(2) }).minInputs, 1)
  })

  it('refuses a peer sample too small for the rule: fanout + 1 < minInputs', () => {
    const rule = { name: 'krum', f: 2, minInputs: 7 }
    const at = (fanout: number): NetworkManifest => ({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, quorum: 6, fanout } })
    assert.throws(() => checkReachable(at(5), rule), /rounds\.fanout: 5 sampled peers give 6 inputs, but aggregation\.rule "krum" with f=2 needs 7 inputs.*rounds\.fanout >= 6/)
    checkReachable(at(6), rule)
    checkReachable(at(0), rule)
  })
})
