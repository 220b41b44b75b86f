import assert from 'node:assert/strict'
import { DEFAULT_MANIFEST, ManifestError, networkId, parseManifest } from '../../../src/protocol/index.ts'

describe('manifest rounds.fanout', () => {
  it('defaults to 0 (every peer) and is left out then, so the network id does not change', () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(DEFAULT_MANIFEST)))
    assert.equal(parsed.rounds.fanout, undefined)
    assert.equal(networkId(parseManifest({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, fanout: 0 } })), networkId(DEFAULT_MANIFEST))
  })

  it('keeps a positive fanout, which changes the network id', () => {
    const sampled = parseManifest({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, fanout: 6 } })
    assert.equal(sampled.rounds.fanout, 6)
    assert.notEqual(networkId(sampled), networkId(DEFAULT_MANIFEST))
  })

  it('refuses a negative or fractional fanout, naming the setting', () => {
    for (const fanout of [-1, 1.5, '6']) {
      assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, fanout } }),
        (err: unknown) => err instanceof ManifestError && err.setting === 'rounds.fanout')
    }
  })
})
