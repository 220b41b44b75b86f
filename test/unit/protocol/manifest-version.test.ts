import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  DEFAULT_MANIFEST, MAX_MANIFEST_VERSION_BYTES, ManifestEquivocationError, ManifestVersionError, adminThreshold, canonicalJson, decodeManifestVersion,
  decodeManifestVersionBytes, genesisState, manifestAt, manifestHash, networkId, offerVersion, parseManifest, proposeVersion, signVersion, verifyChain,
  verifyVersion
} from '../../../src/protocol/index.ts'
import type { ManifestVersion, NetworkManifest, VersionRefusal } from '../../../src/protocol/index.ts'

const keys: PrivateKey[] = await Promise.all(Array.from({ length: 7 }, (_, i) => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i + 1))))
const ids = keys.map(k => peerIdFromPrivateKey(k).toString())
const key = (i: number): PrivateKey => keys[i] as PrivateKey
const id = (i: number): string => ids[i] as string

/** Five members; members 0, 1 and 2 are the admins, two of whom must sign. */
const genesis: NetworkManifest = parseManifest({
  ...DEFAULT_MANIFEST, name: 'governed', members: ids.slice(0, 5), admins: ids.slice(0, 3), threshold: 2
})

async function signedBy (fields: ManifestVersion | Parameters<typeof signVersion>[0], signers: readonly number[]): Promise<ManifestVersion> {
  let version = { ...fields, signatures: 'signatures' in fields ? fields.signatures : [] } as ManifestVersion
  for (const i of signers) version = await signVersion(version, key(i))
  return version
}

async function refusal (promise: Promise<unknown>): Promise<{ reason: VersionRefusal, message: string }> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof ManifestVersionError, String(err))
    assert.equal(err.exitStatus, 2)
    return { reason: err.reason, message: err.message }
  }
  assert.fail('adopted a version that should be refused')
}

describe('manifest versions', () => {
  const state0 = genesisState(genesis)
  /** Version 1: member 5 joins, member 4 leaves, from round 12. */
  const v1Fields = proposeVersion(state0, { members: [...ids.slice(0, 4), id(5)] }, 12)

  it('keeps the default network id: admins and threshold are left out of the canonical form when absent', () => {
    assert.equal(networkId(DEFAULT_MANIFEST), 'e4397ead0c390ba564c5a2f1f730c183')
    assert.equal(networkId(parseManifest(JSON.parse(JSON.stringify(DEFAULT_MANIFEST)))), 'e4397ead0c390ba564c5a2f1f730c183')
    assert.match(readFileSync(new URL('../../../docs/wire.md', import.meta.url), 'utf8'), /e4397ead0c390ba564c5a2f1f730c183/)
    assert.doesNotMatch(canonicalJson(DEFAULT_MANIFEST), /admins|threshold/)
    assert.match(canonicalJson(genesis), /"admins":\[.*\],.*"threshold":2/)
    assert.notEqual(networkId(genesis), networkId({ ...genesis, threshold: 3 }))
  })

  it('reads admins and threshold strictly; the default threshold is a majority', () => {
    assert.equal(adminThreshold({ admins: ids.slice(0, 3) }), 2)
    assert.equal(adminThreshold({ admins: ids.slice(0, 4) }), 3)
    assert.equal(adminThreshold({ admins: ids.slice(0, 1) }), 1)
    assert.equal(adminThreshold({}), Infinity)
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, admins: ids.slice(0, 3), threshold: 4 }), /threshold: got 4, expected an integer from 1 to 3/)
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, threshold: 1 }), /threshold: only with admins/)
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, admins: [id(0), id(0)] }), /admins: lists a peer id twice/)
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, admins: ['nobody'] }), /admins\[0\]: got "nobody"/)
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, admins: [] }), /admins: got \[\]/)
  })

  it('adopts a version signed by 2 of the 3 admins: the network id stays, the members change', async () => {
    const v1 = await signedBy(v1Fields, [0, 2])
    const [, state1] = await verifyChain(genesis, [v1])
    assert.ok(state1 !== undefined)
    assert.equal(state1.networkId, networkId(genesis))
    assert.equal(state1.version, 1)
    assert.equal(state1.fromRound, 12)
    assert.equal(state1.hash, manifestHash(v1Fields))
    assert.equal(v1.previous, state0.hash)
    assert.deepEqual(state1.manifest.members, [...ids.slice(0, 4), id(5)].sort())
    assert.deepEqual(state1.manifest.admins, genesis.admins)
    // Signatures do not change a version's hash, so one version collects them one at a time.
    assert.equal(manifestHash(v1), manifestHash(await signedBy(v1Fields, [1])))
  })

  it('refuses a version with 1 signature, naming the count and the threshold', async () => {
    const r = await refusal(verifyVersion(state0, await signedBy(v1Fields, [1])))
    assert.equal(r.reason, 'too-few-signatures')
    assert.match(r.message, /has 1 valid admin signature, needs 2 of the 3 admins of version 0/)
  })

  it('refuses a version signed by a non-admin, even beside enough admins', async () => {
    const r = await refusal(verifyVersion(state0, await signedBy(v1Fields, [0, 1, 3])))
    assert.equal(r.reason, 'not-admin')
    assert.match(r.message, new RegExp(`signed by ${id(3)}, not an admin of version 0`))
  })

  it('refuses a wrong previous hash, a wrong number, another network and an earlier fromRound', async () => {
    const wrongPrevious = await refusal(verifyVersion(state0, await signedBy({ ...v1Fields, previous: 'ab'.repeat(32) }, [0, 1])))
    assert.equal(wrongPrevious.reason, 'wrong-previous')
    assert.match(wrongPrevious.message, /names previous abab.*but version 0 is [0-9a-f]{64}/)
    assert.equal((await refusal(verifyVersion(state0, await signedBy({ ...v1Fields, version: 2 }, [0, 1])))).reason, 'wrong-number')
    assert.equal((await refusal(verifyVersion(state0, await signedBy({ ...v1Fields, network: 'ab'.repeat(16) }, [0, 1])))).reason, 'wrong-network')
    const state1 = await verifyVersion(state0, await signedBy(v1Fields, [0, 1]))
    const early = { ...proposeVersion(state1, { threshold: 3 }, 12), fromRound: 11 }
    assert.equal((await refusal(verifyVersion(state1, await signedBy(early, [0, 1])))).reason, 'wrong-round')
  })

  it('refuses a version changed after it was signed, and a garbled signature', async () => {
    const v1 = await signedBy(v1Fields, [0, 1])
    const tampered = { ...v1, changes: { members: ids.slice(0, 6) } }
    const r = await refusal(verifyVersion(state0, tampered))
    assert.equal(r.reason, 'bad-signature')
    const garbled = { ...v1, signatures: v1.signatures.map((s, i) => (i === 0 ? { ...s, signature: 'AAAA' } : s)) }
    assert.equal((await refusal(verifyVersion(state0, garbled))).reason, 'bad-signature')
  })

  it('two different versions with one number, both validly signed, are evidence naming both hashes', async () => {
    const v1 = await signedBy(v1Fields, [0, 1])
    const states = await verifyChain(genesis, [v1])
    const rival = await signedBy(proposeVersion(state0, { members: ids.slice(0, 3) }, 12), [1, 2])
    await assert.rejects(offerVersion(states, rival), (err: unknown) => {
      assert.ok(err instanceof ManifestEquivocationError)
      assert.deepEqual(err.hashes, [manifestHash(v1), manifestHash(rival)])
      assert.equal(err.version, 1)
      assert.match(err.message, new RegExp(`${manifestHash(v1)} held, ${manifestHash(rival)} offered`))
      return true
    })
    // The same version again is no news; a forged rival (too few signatures) is refused, not evidence.
    assert.equal(await offerVersion(states, await signedBy(v1Fields, [2])), undefined)
    assert.equal((await refusal(offerVersion(states, await signedBy(proposeVersion(state0, { members: ids.slice(0, 3) }, 12), [1])))).reason, 'too-few-signatures')
    // A next version extends the chain.
    const next = await offerVersion(states, await signedBy(proposeVersion(states[1] as never, { threshold: 3 }, 20), [0, 2]))
    assert.equal(next?.version, 2)
    assert.equal(next?.manifest.threshold, 3)
  })

  it('a version that replaces the admins is followed by versions the new admins sign', async () => {
    const handover = await signedBy(proposeVersion(state0, { admins: [id(3), id(4)], threshold: 2 }, 5), [0, 1])
    const state1 = await verifyVersion(state0, handover)
    const v2 = proposeVersion(state1, { members: ids.slice(0, 6) }, 9)
    assert.equal((await refusal(verifyVersion(state1, await signedBy(v2, [0, 1])))).reason, 'not-admin')
    assert.equal((await verifyVersion(state1, await signedBy(v2, [3, 4]))).manifest.members.length, 6)
  })

  it('a genesis without admins can never change', async () => {
    const open = genesisState(DEFAULT_MANIFEST)
    const r = await refusal(verifyVersion(open, await signedBy(proposeVersion(open, { members: ids.slice(0, 3) }, 0), [0, 1])))
    assert.equal(r.reason, 'too-few-signatures')
    assert.match(r.message, /names no admins/)
  })

  it('changes must make a valid manifest and touch only the changeable fields', async () => {
    assert.throws(() => proposeVersion(state0, { members: ['nobody'] }, 1), (err: unknown) => err instanceof ManifestVersionError && err.reason === 'bad-change' && /members\[0\]/.test(err.message))
    assert.throws(() => proposeVersion(state0, { rounds: { ...genesis.rounds, deadlineMs: 1 } }, 1), /rounds\.deadlineMs: got 1/)
    assert.throws(() => proposeVersion(state0, {}, 1), /changes: changes nothing/)
    assert.throws(() => proposeVersion(state0, { model: DEFAULT_MANIFEST.model } as never, 1), /changes\.model: unknown field/)
    const state1 = await verifyVersion(state0, await signedBy(proposeVersion(state0, { aggregation: { rule: 'mean' }, rounds: { ...genesis.rounds, deadlineMs: 20_000 } }, 3), [0, 1]))
    assert.deepEqual([state1.manifest.aggregation, state1.manifest.rounds.deadlineMs, state1.manifest.model], [{ rule: 'mean' }, 20_000, genesis.model])
  })

  it('decodes untrusted bytes: size first, then JSON, then each field', async () => {
    const v1 = await signedBy(v1Fields, [0, 1])
    assert.deepEqual(decodeManifestVersionBytes(new TextEncoder().encode(JSON.stringify(v1))), v1)
    assert.throws(() => decodeManifestVersionBytes(new Uint8Array(MAX_MANIFEST_VERSION_BYTES + 1)), /bytes, at most/)
    assert.throws(() => decodeManifestVersionBytes(new TextEncoder().encode('{')), /not UTF-8 JSON/)
    assert.throws(() => decodeManifestVersion({ ...v1, extra: 1 }), /extra: unknown field/)
    assert.throws(() => decodeManifestVersion({ ...v1, kind: 'other' }), /kind: expected/)
    assert.throws(() => decodeManifestVersion({ ...v1, version: 0 }), /version: expected an integer from 1/)
    assert.throws(() => decodeManifestVersion({ ...v1, signatures: [{ signer: 'x', signature: 'AAAA' }] }), /signatures\[0\]\.signer: expected a peer id/)
    const { fromRound: _, ...noRound } = v1
    assert.throws(() => decodeManifestVersion(noRound), /fromRound: missing/)
  })

  it('is the worked example of docs/wire.md, byte for byte', async () => {
    const admin = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(1))
    const example = parseManifest({ ...DEFAULT_MANIFEST, admins: [peerIdFromPrivateKey(admin).toString()] })
    const state = genesisState(example)
    const fields = proposeVersion(state, { rounds: { ...example.rounds, deadlineMs: 20_000 } }, 100)
    const signed = await signVersion(fields, admin)
    await verifyVersion(state, signed)
    const wire = readFileSync(new URL('../../../docs/wire.md', import.meta.url), 'utf8')
    for (const text of [peerIdFromPrivateKey(admin).toString(), canonicalJson(example), state.hash, canonicalJson(fields), manifestHash(fields), signed.signatures[0]?.signature ?? '-']) {
      assert.ok(wire.includes(text), `docs/wire.md shows ${text.slice(0, 80)}`)
    }
  })

  it('manifestAt: the last version whose fromRound has come', async () => {
    const states = await verifyChain(genesis, [await signedBy(v1Fields, [0, 1])])
    assert.equal(manifestAt(states, 11).version, 0)
    assert.equal(manifestAt(states, 12).version, 1)
    assert.equal(manifestAt(states, 1000).version, 1)
  })
})
