import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { DEFAULT_MANIFEST, ManifestError, canonicalJson, networkId, parseManifest } from '../../../src/protocol/index.ts'

const DP_SGD = { mode: 'dp-sgd', epsilonBudget: 4, delta: 1e-5, clipNorm: 1, noiseMultiplier: 1.1, onBudgetExhausted: 'relay' } as const

const withPrivacy = (privacy: unknown): unknown => JSON.parse(JSON.stringify({ ...DEFAULT_MANIFEST, privacy }))

const refused = (setting: string) => (err: unknown): boolean => err instanceof ManifestError && err.setting === setting && err.exitStatus === 2

describe('manifest privacy', () => {
  it('keeps the default network id of docs/wire.md when privacy is absent or off', () => {
    const documented = /network id\s+\*\*`([0-9a-f]{32})`\*\*/.exec(readFileSync(new URL('../../../docs/wire.md', import.meta.url), 'utf8'))?.[1]
    assert.ok(documented !== undefined, 'docs/wire.md states the default network id')
    assert.equal(networkId(DEFAULT_MANIFEST), documented)
    const off = parseManifest(withPrivacy({ mode: 'off' }))
    assert.equal('privacy' in off, false)
    assert.equal(networkId(off), documented)
    assert.equal(networkId(parseManifest(JSON.parse(JSON.stringify(DEFAULT_MANIFEST)))), documented)
  })

  it('parses a dp-sgd section into the manifest, frozen, and makes it part of the network id', () => {
    const parsed = parseManifest(withPrivacy(DP_SGD))
    assert.deepEqual(parsed.privacy, DP_SGD)
    assert.ok(Object.isFrozen(parsed.privacy))
    assert.notEqual(networkId(parsed), networkId(DEFAULT_MANIFEST))
    assert.notEqual(networkId(parseManifest(withPrivacy({ ...DP_SGD, epsilonBudget: 8 }))), networkId(parsed))
    assert.ok(canonicalJson(parsed).includes('"privacy":{"clipNorm":1,"delta":0.00001,"epsilonBudget":4,"mode":"dp-sgd","noiseMultiplier":1.1,"onBudgetExhausted":"relay"}'))
  })

  it('defaults onBudgetExhausted to stop, with the id of a manifest that writes it', () => {
    const { onBudgetExhausted: _, ...withoutAction } = DP_SGD
    const implicit = parseManifest(withPrivacy(withoutAction))
    assert.equal(implicit.privacy?.onBudgetExhausted, 'stop')
    assert.equal(networkId(implicit), networkId(parseManifest(withPrivacy({ ...DP_SGD, onBudgetExhausted: 'stop' }))))
  })

  it('takes noiseMultiplier "auto" with the rounds the budget must last, and update-clip', () => {
    const auto = parseManifest(withPrivacy({ ...DP_SGD, noiseMultiplier: 'auto', plannedRounds: 200 }))
    assert.equal(auto.privacy?.noiseMultiplier, 'auto')
    assert.equal(auto.privacy?.plannedRounds, 200)
    assert.equal(parseManifest(withPrivacy({ ...DP_SGD, mode: 'update-clip' })).privacy?.mode, 'update-clip')
    assert.throws(() => parseManifest(withPrivacy({ ...DP_SGD, noiseMultiplier: 'auto' })), refused('privacy.plannedRounds'))
    assert.throws(() => parseManifest(withPrivacy({ ...DP_SGD, plannedRounds: 200 })), refused('privacy.plannedRounds'))
  })

  it('refuses every bad value, naming the setting', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...DP_SGD, mode: 'on' }, 'privacy.mode'],
      [{ ...DP_SGD, mode: undefined }, 'privacy.mode'],
      [{ ...DP_SGD, epsilonBudget: 0 }, 'privacy.epsilonBudget'],
      [{ ...DP_SGD, epsilonBudget: '4' }, 'privacy.epsilonBudget'],
      [{ ...DP_SGD, epsilonBudget: undefined }, 'privacy.epsilonBudget'],
      [{ ...DP_SGD, delta: 0 }, 'privacy.delta'],
      [{ ...DP_SGD, delta: 1 }, 'privacy.delta'],
      [{ ...DP_SGD, clipNorm: -1 }, 'privacy.clipNorm'],
      [{ ...DP_SGD, noiseMultiplier: 0 }, 'privacy.noiseMultiplier'],
      [{ ...DP_SGD, noiseMultiplier: 'automatic' }, 'privacy.noiseMultiplier'],
      [{ ...DP_SGD, noiseMultiplier: undefined }, 'privacy.noiseMultiplier'],
      [{ ...DP_SGD, onBudgetExhausted: 'pause' }, 'privacy.onBudgetExhausted'],
      [{ ...DP_SGD, noiseMultplier: 1 }, 'privacy.noiseMultplier'],
      [{ mode: 'off', epsilonBudget: 4 }, 'privacy.epsilonBudget']
    ]
    for (const [privacy, setting] of cases) assert.throws(() => parseManifest(withPrivacy(privacy)), refused(setting), JSON.stringify(privacy))
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, privacy: 'dp-sgd' }), refused('privacy'))
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, privacy: null }), refused('privacy'))
  })
})
