import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { changesFrom, describe as describeState } from '../../../src/cli/manifest-command.ts'
import { ConfigError } from '../../../src/errors/index.ts'
import { DEFAULT_MANIFEST, genesisState, parseManifest } from '../../../src/protocol/index.ts'

const ids = await Promise.all([1, 2, 3, 4].map(async i => peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i))).toString()))
const id = (i: number): string => ids[i] as string
const manifest = parseManifest({ ...DEFAULT_MANIFEST, members: ids.slice(0, 3), admins: ids.slice(0, 3) })

describe('manifest propose: the changes its flags make', () => {
  it('adds and removes members into one sorted list', () => {
    assert.deepEqual(changesFrom(manifest, { add: [id(3)], remove: [id(0)], set: [] }), { members: [id(1), id(2), id(3)].sort() })
  })

  it('--set reads JSON values, one option of aggregation or rounds, admins as a comma list', () => {
    assert.deepEqual(changesFrom(manifest, { add: [], remove: [], set: ['rounds.deadlineMs=20000', 'aggregation.f=2', 'threshold=3'] }), {
      rounds: { ...manifest.rounds, deadlineMs: 20000 }, aggregation: { ...manifest.aggregation, f: 2 }, threshold: 3
    })
    assert.deepEqual(changesFrom(manifest, { add: [], remove: [], set: ['aggregation.rule=mean', 'aggregation.nnm=false'] }).aggregation, { ...manifest.aggregation, rule: 'mean', nnm: false })
    assert.deepEqual(changesFrom(manifest, { add: [], remove: [], set: [`admins=${id(0)},${id(3)}`] }).admins, [id(0), id(3)])
    assert.deepEqual(changesFrom(manifest, { add: [], remove: [], set: ['aggregation={"rule":"mean"}'] }).aggregation, { rule: 'mean' })
  })

  it('refuses what cannot change and changes that change nothing, naming the flag', () => {
    assert.throws(() => changesFrom(manifest, { add: [id(0)], remove: [], set: [] }), (err: unknown) => err instanceof ConfigError && /--add-member .*already a member/.test(err.message))
    assert.throws(() => changesFrom(manifest, { add: [], remove: [id(3)], set: [] }), /--remove-member .*not a member/)
    assert.throws(() => changesFrom(manifest, { add: [], remove: [], set: ['model.classes=3'] }), /--set model\.classes: a version may change/)
    assert.throws(() => changesFrom(manifest, { add: [], remove: [], set: ['rounds.a.b=1'] }), /at most one dot/)
    assert.throws(() => changesFrom(manifest, { add: [], remove: [], set: [] }), /nothing to change/)
  })

  it('show names the version, its admins and threshold, the members and the rule', () => {
    const text = describeState(genesisState(manifest))
    assert.match(text, /manifest version 0 \([0-9a-f]{12}\), from round 0/)
    assert.match(text, new RegExp(`admins: 2 of 3 sign a version: ${[...ids.slice(0, 3)].sort().join(', ')}`))
    assert.match(text, /members \(3\)/)
    assert.match(describeState(genesisState(DEFAULT_MANIFEST)), /admins: none \(the manifest cannot change\)\nmembers: open/)
  })
})
