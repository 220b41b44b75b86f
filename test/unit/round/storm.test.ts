import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import {
  InProcessNetwork, REANNOUNCE_MAX_MS, RoundLoop, VerifiedAnnouncements, reannounceDelayMs, reannounceFirstMs, sampleSize, scaledDeadlineMs, silentLogger
} from '../../../src/round/index.ts'
import type { LocalTrainer, RoundClock, RoundSummary } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, ValidationError, decodeAnnouncement, encodeAnnouncement, networkId, signAnnouncement } from '../../../src/protocol/index.ts'
import type { NetworkManifest, UpdateAnnouncement } from '../../../src/protocol/index.ts'

// Issue 16: a waiting node's repeats used to reach every peer every second, each verified again.

const NETWORK = networkId(DEFAULT_MANIFEST)

async function signed (seed: number, round: number): Promise<{ bytes: Uint8Array, announcement: UpdateAnnouncement }> {
  const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  const announcement = await signAnnouncement({
    networkId: NETWORK, peerId: peerIdFromPrivateKey(key).toString(), round, modelHash: 'ab'.repeat(32), byteLength: 16,
    encoding: 'f32le', sampleCount: 1, loss: 0.5, datasetFingerprint: '', ledgerHead: ''
  }, key)
  return { bytes: encodeAnnouncement(announcement), announcement }
}

function countingDecoder (): { decode: (bytes: Uint8Array) => Promise<UpdateAnnouncement>, calls: () => number } {
  let calls = 0
  return { decode: async bytes => { calls++; return await decodeAnnouncement(bytes) }, calls: () => calls }
}

const pullTowards = (target: number): LocalTrainer => ({
  train: async weights => ({ weights: weights.map(w => w + (target - w) / 2), loss: 0, sampleCount: 1 }),
  evaluateHoldout: async () => ({ accuracy: 1, loss: 0 })
})

async function loopMember (network: InProcessNetwork, seed: number, manifest: NetworkManifest, rounds: number, summaries: RoundSummary[], reannounceFirstMs?: number, clock?: RoundClock) {
  const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const net = network.join(peerId)
  const loop = new RoundLoop({
    manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: 4, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(4), rounds,
    ...(reannounceFirstMs === undefined ? {} : { reannounceFirstMs })
  }, { network: net, trainer: pullTowards(seed), aggregator: createAggregator(manifest.aggregation), log: silentLogger, onRound: s => { summaries.push(s) }, ...(clock === undefined ? {} : { clock }) })
  return { loop, net }
}

/** A clock that moves only when told to, firing what falls due. */
class SteppedClock implements RoundClock {
  #now = 1_000_000
  #timers: Array<{ due: number, callback: () => void }> = []
  now (): number { return this.#now }
  after (ms: number, callback: () => void): () => void {
    const timer = { due: this.#now + ms, callback }
    this.#timers.push(timer)
    return () => { this.#timers = this.#timers.filter(t => t !== timer) }
  }

  advance (ms: number): void {
    this.#now += ms
    const due = this.#timers.filter(t => t.due <= this.#now)
    this.#timers = this.#timers.filter(t => t.due > this.#now)
    for (const t of due) t.callback()
  }
}

const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise(resolve => setImmediate(resolve)) }

describe('no re-announce storm', () => {
  it('recognises a repeated announcement by its hash before any signature check', async () => {
    const { bytes, announcement } = await signed(1, 3)
    const counter = countingDecoder()
    const cache = new VerifiedAnnouncements({ decode: counter.decode })
    for (let i = 0; i < 5; i++) assert.deepEqual(await cache.decode(bytes), announcement)
    // Arriving together (gossip from several mesh peers at once): still one check.
    const other = await signed(2, 3)
    await Promise.all([cache.decode(other.bytes), cache.decode(other.bytes), cache.decode(Uint8Array.from(other.bytes))])
    assert.equal(counter.calls(), 2)
    assert.equal(cache.verifications, 2)
  })

  it('never remembers bytes that failed, and forgets the oldest beyond its capacity', async () => {
    const counter = countingDecoder()
    const cache = new VerifiedAnnouncements({ decode: counter.decode, capacity: 2 })
    const { bytes } = await signed(1, 0)
    const forged = Uint8Array.from(bytes)
    forged[forged.length - 5] = forged[forged.length - 5] === 65 ? 66 : 65 // inside the base64 signature
    for (let i = 0; i < 2; i++) await assert.rejects(cache.decode(forged), (err: unknown) => err instanceof ValidationError)
    assert.equal(counter.calls(), 2)
    const a = await signed(2, 0)
    const b = await signed(3, 0)
    await cache.decode(bytes)
    await cache.decode(a.bytes)
    await cache.decode(b.bytes) // pushes out `bytes`
    await cache.decode(b.bytes)
    await cache.decode(bytes)
    assert.equal(counter.calls(), 2 + 4)
  })

  it('verifies each publication once in the in-process network, however many members receive it', async () => {
    const network = new InProcessNetwork()
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 4, deadlineMs: 10_000, window: 2 } }
    const summaries: RoundSummary[][] = [[], [], [], [], []]
    const members = await Promise.all([0, 1, 2, 3, 4].map(i => loopMember(network, i + 1, manifest, 3, summaries[i] as RoundSummary[])))
    await Promise.all(members.map(m => m.loop.run(new AbortController().signal)))
    assert.ok(summaries.every(s => s.length === 3 && s.every(x => x.used === 4)))
    const traffic = network.traffic()
    // 5 members x 3 rounds: 15 distinct announcements, each delivered to the 4 others.
    assert.equal(traffic.verifications, 15)
    assert.equal(traffic.deliveries, 4 * traffic.publications)
    assert.equal(traffic.payloadBytes, 5 * 3 * 4 * 16)
  })

  it('serves the payload under the hash the loop signed: the network does not hash it again', async () => {
    const network = new InProcessNetwork()
    const { announcement } = await signed(1, 0)
    const publisher = network.join(announcement.peerId)
    const fetcher = network.join('fetcher')
    const payload = new Uint8Array(16).fill(7)
    // 'ab' x 32 is not the SHA-256 of the payload: a network that re-hashed would file it elsewhere.
    await publisher.announce(announcement, payload)
    assert.deepEqual(await fetcher.fetchPayload(announcement, new AbortController().signal), payload)
  })

  it('repeats a waiting node\'s announcement at doubling intervals, not at a fixed one', async () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(k => reannounceDelayMs(k)), [1000, 2000, 4000, 8000, 16_000, 32_000, REANNOUNCE_MAX_MS])
    assert.equal(reannounceDelayMs(40), REANNOUNCE_MAX_MS)
    assert.deepEqual([0, 1, 2].map(k => reannounceDelayMs(k, 50)), [50, 100, 200])
    // The first pause: 1 s, or an eighth of a long round's deadline.
    assert.deepEqual([5000, 15_000, 160_000].map(reannounceFirstMs), [1000, 1875, 20_000])
    // A node alone waits out a 1 s deadline: repeats at 50, 150, 350 and 750 ms (a fixed 50 ms interval gives 19).
    const network = new InProcessNetwork()
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 2, deadlineMs: 1000, window: 2 } }
    const summaries: RoundSummary[] = []
    const alone = await loopMember(network, 1, manifest, 1, summaries, 50)
    await alone.loop.run(new AbortController().signal)
    assert.equal(summaries.length, 1)
    const published = network.traffic().publications
    assert.ok(published >= 4 && published <= 6, `${published} publications (1 announcement and its repeats)`)
  })

  it('goes by the clock it is given: its deadline and repeats run on it, not on the wall clock', async () => {
    const network = new InProcessNetwork()
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 2, deadlineMs: 1000, window: 2 } }
    const summaries: RoundSummary[] = []
    const clock = new SteppedClock()
    const alone = await loopMember(network, 1, manifest, 1, summaries, 50, clock)
    const run = alone.loop.run(new AbortController().signal)
    await settle()
    assert.equal(network.traffic().publications, 1, 'announced once; no time has passed on its clock')
    for (let t = 0; t < 950; t += 50) {
      clock.advance(50)
      await settle()
    }
    assert.equal(summaries.length, 0, 'still waiting at 950 ms of a 1 s deadline')
    clock.advance(50)
    await run
    // Repeats at 50, 150, 350 and 750 ms, to the millisecond of its clock.
    assert.equal(network.traffic().publications, 5)
    assert.equal(summaries[0]?.durationMs, 1000)
  })

  it('scales the sample and the deadline with the network: flat fetches, a deadline growing with gossip hops', () => {
    assert.deepEqual([3, 8, 63, 999].map(n => sampleSize(8, n)), [3, 8, 8, 8])
    assert.deepEqual([3, 63].map(n => sampleSize(undefined, n)), [3, 63])
    // Up to 8 peers: the manifest's deadline; then one more deadline per factor 8 of peers (log base 8).
    assert.equal(scaledDeadlineMs(5000, 7, 7), 5000)
    assert.equal(scaledDeadlineMs(5000, 63, 8), 10_000)
    assert.equal(scaledDeadlineMs(5000, 511, 8), 15_000)
    // Fetching every one of 63 peers' models: 8 times the fetches as well.
    assert.equal(scaledDeadlineMs(5000, 63, 63), Math.round(5000 * 2 * 63 / 8))
  })
})
