import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { AdversarialNetwork, parseAttack } from '../../../src/adversary/index.ts'
import {
  DEFAULT_MANIFEST, PAYLOAD_ENCODING, decodeAnnouncement, decodeModelPayload, encodeAnnouncement, encodeModelPayload, networkId, payloadHash, signAnnouncement
} from '../../../src/protocol/index.ts'
import type { NetworkManifest, UpdateAnnouncement } from '../../../src/protocol/index.ts'
import { InProcessNetwork } from '../../../src/round/index.ts'
import type { RoundClock, RoundNetwork } from '../../../src/round/index.ts'

const PARAMETERS = 2
/** Quorum 3 with one other colluder: an omniscient attacker waits for two honest models. */
const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, rounds: { quorum: 3, deadlineMs: 60_000, window: 2 } }
const NETWORK_ID = networkId(MANIFEST)
const median = createAggregator({ rule: 'median', f: 1 })

interface Member { readonly privateKey: PrivateKey, readonly peerId: string, readonly net: ReturnType<InProcessNetwork['join']> }
interface Published { readonly announcement: UpdateAnnouncement, readonly payload: Uint8Array }

async function join (network: InProcessNetwork, seed: number): Promise<Member> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  return { privateKey, peerId, net: network.join(peerId) }
}

/** A member's signed announcement of `values` for `round`, with its payload. */
async function model (member: Member, round: number, values: number[]): Promise<Published> {
  const payload = encodeModelPayload(Float32Array.from(values))
  const announcement = await signAnnouncement({
    networkId: NETWORK_ID, peerId: member.peerId, round, modelHash: payloadHash(payload), byteLength: payload.byteLength,
    encoding: PAYLOAD_ENCODING, sampleCount: 160, loss: 0.5, datasetFingerprint: 'data', ledgerHead: ''
  }, member.privateKey)
  return { announcement, payload }
}

async function publish (member: Member, round: number, values: number[]): Promise<void> {
  const { announcement, payload } = await model(member, round, values)
  await member.net.announce(announcement, payload)
}

/** Records what goes out through a member's network (what the attacker really publishes). */
function recordAnnounces (net: RoundNetwork): Published[] {
  const published: Published[] = []
  const announce = net.announce.bind(net)
  net.announce = async (announcement, payload, signal) => {
    published.push({ announcement, payload })
    return announce(announcement, payload, signal)
  }
  return published
}

function attackerOver (attacker: Member, attack: string, colluders: readonly string[]): AdversarialNetwork {
  return new AdversarialNetwork({
    attack: parseAttack(attack), colluders, manifest: MANIFEST, privateKey: attacker.privateKey, parameterCount: PARAMETERS, seed: 7
  }, { network: attacker.net, aggregator: median })
}

/** A clock whose time moves only when the test says so. */
class ManualClock implements RoundClock {
  #now = 0
  readonly #timers = new Set<{ due: number, callback: () => void }>()
  now (): number { return this.#now }
  after (ms: number, callback: () => void): () => void {
    const timer = { due: this.#now + ms, callback }
    this.#timers.add(timer)
    return () => { this.#timers.delete(timer) }
  }

  advance (ms: number): void {
    this.#now += ms
    for (const timer of [...this.#timers]) {
      if (timer.due <= this.#now) { this.#timers.delete(timer); timer.callback() }
    }
  }
}

async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !condition(); i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(condition(), 'condition never held')
}

const signal = (): AbortSignal => new AbortController().signal

describe('adversarial network', () => {
  let network: InProcessNetwork
  beforeEach(() => { network = new InProcessNetwork() })

  it('a sign-flip attacker publishes the negated mean of every honest model of the round, its colluders\' left out', async () => {
    const [a, b, colluder, x, observer] = await Promise.all([1, 2, 3, 4, 5].map(seed => join(network, seed))) as [Member, Member, Member, Member, Member]
    const attacker = attackerOver(x, 'sign-flip', [x.peerId, colluder.peerId])
    // A loop that fetches none of them (a fanout sample elsewhere): the attacker fetches on its own.
    attacker.onAnnouncement(() => ({ verdict: 'accept' }))
    const seen: UpdateAnnouncement[] = []
    observer.net.onAnnouncement(announcement => { seen.push(announcement); return { verdict: 'accept' } })
    const own = await model(x, 0, [9, 9])
    const announcing = attacker.announce(own.announcement, own.payload, signal())
    await publish(colluder, 0, [100, 100])
    await publish(a, 0, [1, 2])
    await publish(b, 0, [3, 6])
    await announcing
    await until(() => seen.some(s => s.peerId === x.peerId))
    const published = seen.find(s => s.peerId === x.peerId) as UpdateAnnouncement
    const weights = decodeModelPayload(await observer.net.fetchPayload(published, signal()), published.modelHash, PARAMETERS)
    assert.deepEqual(Array.from(weights), [-2, -4])
    // The same fields as the honest announcement, signed afresh for the crafted payload.
    assert.deepEqual({ ...published, modelHash: '', signature: '' }, { ...own.announcement, modelHash: '', signature: '' })
    assert.notEqual(published.modelHash, own.announcement.modelHash)
  })

  it('shares each download with the round loop: one fetch per announcement serves both', async () => {
    const [a, b, colluder, x] = await Promise.all([1, 2, 3, 4].map(seed => join(network, seed))) as [Member, Member, Member, Member]
    let fetches = 0
    const fetchPayload = x.net.fetchPayload.bind(x.net)
    x.net.fetchPayload = async (announcement, s) => { fetches++; return fetchPayload(announcement, s) }
    const published = recordAnnounces(x.net)
    const attacker = attackerOver(x, 'sign-flip', [x.peerId, colluder.peerId])
    const loopModels: Float32Array[] = []
    // As the round loop does: fetch every accepted announcement, from inside the handler.
    attacker.onAnnouncement(announcement => {
      void attacker.fetchPayload(announcement, signal()).then(p => loopModels.push(decodeModelPayload(p, announcement.modelHash, PARAMETERS)))
      return { verdict: 'accept' }
    })
    const own = await model(x, 0, [0, 0])
    const announcing = attacker.announce(own.announcement, own.payload, signal())
    await publish(colluder, 0, [100, 100])
    await publish(a, 0, [1, 1])
    await publish(b, 0, [3, 3])
    await announcing
    await until(() => loopModels.length === 3)
    assert.equal(fetches, 3)
    assert.deepEqual(Array.from(decodeModelPayload(published[0]?.payload ?? new Uint8Array(), published[0]?.announcement.modelHash ?? '', PARAMETERS)), [-2, -2])
  })

  it('republishes the round\'s crafted announcement when the loop announces again, without crafting again', async () => {
    const [a, b, c, x] = await Promise.all([1, 2, 3, 4].map(seed => join(network, seed))) as [Member, Member, Member, Member]
    const published = recordAnnounces(x.net)
    // Gaussian draws fresh noise for every model it crafts: a second craft would change the hash.
    const attacker = attackerOver(x, 'gaussian', [x.peerId])
    attacker.onAnnouncement(() => ({ verdict: 'accept' }))
    const first = await model(x, 0, [0, 0])
    const again = await model(x, 0, [5, 5])
    const both = Promise.all([attacker.announce(first.announcement, first.payload, signal()), attacker.announce(again.announcement, again.payload, signal())])
    await publish(a, 0, [1, 1])
    await publish(b, 0, [3, 3])
    await publish(c, 0, [5, 5])
    await both
    await attacker.announce(first.announcement, first.payload, signal())
    assert.equal(published.length, 3)
    const [one, ...rest] = published as [Published, ...Published[]]
    assert.notEqual(one.announcement.modelHash, first.announcement.modelHash)
    for (const p of rest) {
      assert.deepEqual(p.announcement, one.announcement)
      assert.deepEqual(p.payload, one.payload)
    }
  })

  it('waits for honest models on the clock it is given: wall time does not end the wait, the clock\'s half deadline does', async () => {
    const [a, b, c, x] = await Promise.all([1, 2, 3, 4].map(seed => join(network, seed))) as [Member, Member, Member, Member]
    const published = recordAnnounces(x.net)
    // Half a deadline is 5 ms: on the wall clock the wait below would have ended long before b's model.
    const manifest: NetworkManifest = { ...MANIFEST, rounds: { ...MANIFEST.rounds, deadlineMs: 10 } }
    const clock = new ManualClock()
    const attacker = new AdversarialNetwork({
      attack: parseAttack('sign-flip'), colluders: [x.peerId], manifest, privateKey: x.privateKey, parameterCount: PARAMETERS
    }, { network: x.net, aggregator: median, clock })
    attacker.onAnnouncement(() => ({ verdict: 'accept' }))
    const negatedMeanOf = async (round: number): Promise<number[]> => {
      const p = published.find(q => q.announcement.round === round) as Published
      return Array.from(decodeModelPayload(p.payload, p.announcement.modelHash, PARAMETERS))
    }
    // The attacker's own model announced, then a's and b's: the attacker's announce is still waiting.
    const startRound = async (round: number): Promise<{ announced: Promise<void> }> => {
      const own = await model(x, round, [0, 0])
      const announced = attacker.announce(own.announcement, own.payload, signal())
      await publish(a, round, [1, 1])
      await publish(b, round, [3, 3])
      return { announced }
    }
    // Round 0: the quorum less the colluders is 3 honest models; the third comes after 50 ms of wall time.
    const round0 = (await startRound(0)).announced
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(published.length, 0)
    await publish(c, 0, [5, 5])
    await round0
    assert.deepEqual(await negatedMeanOf(0), [-3, -3])
    // Round 1: two honest models in, then the clock passes half the deadline: it crafts from those two.
    const round1 = (await startRound(1)).announced
    // Both fetched (in-process fetches land within a few immediates); the clock has not moved.
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(published.length, 1)
    clock.advance(4)
    await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(published.length, 1)
    clock.advance(1)
    await round1
    assert.deepEqual(await negatedMeanOf(1), [-2, -2])
  })

  it('an omniscient attacker that sees no honest model stays silent', async () => {
    const x = await join(network, 4)
    const published = recordAnnounces(x.net)
    const attacker = attackerOver(x, 'alie', [x.peerId])
    attacker.onAnnouncement(() => ({ verdict: 'accept' }))
    const own = await model(x, 0, [1, 1])
    // The node is stopping: the attacker waits no longer, and has nothing to craft from.
    await attacker.announce(own.announcement, own.payload, AbortSignal.abort())
    assert.equal(published.length, 0)
  })

  it('crash publishes the loop\'s own model before its round and nothing from it on', async () => {
    const x = await join(network, 4)
    const published = recordAnnounces(x.net)
    const attacker = attackerOver(x, 'crash:round=1', [x.peerId])
    const rounds = await Promise.all([0, 1, 2].map(round => model(x, round, [round, round])))
    for (const { announcement, payload } of [...rounds, rounds[1] as Published]) await attacker.announce(announcement, payload, signal())
    assert.equal(published.length, 1)
    assert.deepEqual(published[0], rounds[0])
  })

  it('label-flip publishes what the loop trained (its trainer flipped the labels)', async () => {
    const x = await join(network, 4)
    const published = recordAnnounces(x.net)
    const attacker = attackerOver(x, 'label-flip', [x.peerId])
    const own = await model(x, 3, [1, 2])
    await attacker.announce(own.announcement, own.payload, signal())
    assert.deepEqual(published, [own])
  })

  it('stale republishes its first payload every round, under a fresh valid signature', async () => {
    const [x, observer] = await Promise.all([4, 5].map(seed => join(network, seed))) as [Member, Member]
    const published = recordAnnounces(x.net)
    const attacker = attackerOver(x, 'stale', [x.peerId])
    const rounds = await Promise.all([0, 1, 2].map(round => model(x, round, [round + 1, round + 1])))
    for (const { announcement, payload } of rounds) await attacker.announce(announcement, payload, signal())
    await attacker.announce((rounds[1] as Published).announcement, (rounds[1] as Published).payload, signal())
    const first = rounds[0] as Published
    assert.deepEqual(published.map(p => p.announcement.round), [0, 1, 2, 1])
    assert.deepEqual(published[0], first)
    for (const p of published.slice(1)) {
      assert.equal(p.announcement.modelHash, first.announcement.modelHash)
      assert.deepEqual(p.payload, first.payload)
      // Signed by the attacker's key over the new round: any peer accepts it as a well-formed announcement.
      assert.deepEqual(await decodeAnnouncement(encodeAnnouncement(p.announcement)), p.announcement)
      assert.notEqual(p.announcement.signature, first.announcement.signature)
    }
    assert.deepEqual(published[3], published[1])
    const replayed = published[2] as Published
    assert.deepEqual(Array.from(decodeModelPayload(await observer.net.fetchPayload(replayed.announcement, signal()), replayed.announcement.modelHash, PARAMETERS)), [1, 1])
  })
})
