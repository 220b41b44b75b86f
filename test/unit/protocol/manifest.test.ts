import assert from 'node:assert/strict'
import { DEFAULT_MANIFEST, ManifestError, canonicalJson, networkId, parameterCount, parseManifest } from '../../../src/protocol/index.ts'

describe('network manifest', () => {
  it('hashes equal manifests equally, whatever the key order', () => {
    const reordered = JSON.parse(JSON.stringify({ rounds: DEFAULT_MANIFEST.rounds, members: [], aggregation: DEFAULT_MANIFEST.aggregation, training: DEFAULT_MANIFEST.training, model: DEFAULT_MANIFEST.model, name: DEFAULT_MANIFEST.name }))
    assert.equal(networkId(parseManifest(reordered)), networkId(DEFAULT_MANIFEST))
    assert.match(networkId(DEFAULT_MANIFEST), /^[0-9a-f]{32}$/)
  })

  it('gives a different network id to any change', () => {
    const changed = parseManifest({ ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, learningRate: 0.05 } })
    assert.notEqual(networkId(changed), networkId(DEFAULT_MANIFEST))
  })

  it('writes canonical JSON with sorted keys and no spaces', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }] }), '{"a":[{"c":"x","d":2}],"b":1}')
  })

  it('counts parameters: weights and biases of every layer', () => {
    // 784*64 + 64 + 64*10 + 10
    assert.equal(parameterCount(DEFAULT_MANIFEST.model), 50890)
  })

  it('names the bad setting, its value and what is allowed', () => {
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, quorum: -1 } }),
      (err: unknown) => err instanceof ManifestError && err.setting === 'rounds.quorum' && /got -1, expected an integer from 0/.test(err.message))
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, model: { ...DEFAULT_MANIFEST.model, hiddenLayers: [{ type: 'dense', units: 8, activation: 'gelu' }] } }),
      (err: unknown) => err instanceof ManifestError && err.setting === 'model.hiddenLayers[0].activation' && /relu/.test(err.message))
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, aggregation: {} }), { setting: 'aggregation.rule' })
    assert.throws(() => parseManifest('{}'), { setting: '(root)' })
  })
})
