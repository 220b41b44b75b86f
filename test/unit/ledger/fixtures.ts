import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { contributionScores } from '../../../src/ledger/index.ts'
import type { AuditLedger, EntryBody, EntryKind, PeerInputRecord } from '../../../src/ledger/index.ts'
import { computeEpsilon } from '../../../src/privacy/index.ts'
import { testKey as key } from '../protocol/fixtures.ts'

export { testKey } from '../protocol/fixtures.ts'

const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const h = (c: string): string => c.repeat(64)

/** A well-formed body of every entry kind. */
export const SAMPLE_BODIES: { readonly [K in EntryKind]: EntryBody<K> } = {
  manifest: { manifestHash: h('a'), networkId: 'b'.repeat(32) },
  data: { commitment: h('c'), examples: 6000, features: 784, classes: 10 },
  training: {
    round: 3, startModel: h('1'), data: h('c'), steps: 20, batchSize: 32, learningRate: 0.2, seed: 123456,
    loss: 0.4375, backend: 'cpu', model: h('2')
  },
  // Round 3 of 20 DP-SGD steps a round: 80 steps in all, and the epsilon they spend.
  privacy: {
    round: 3, mechanism: 'dp-sgd', noiseMultiplier: 1.1, clipNorm: 1, samplingRate: 0.01, steps: 20, stepsSpent: 80, delta: 1e-5,
    epsilon: computeEpsilon({ samplingRate: 0.01, noiseMultiplier: 1.1, steps: 80 }, 1e-5).epsilon
  },
  announcement: { round: 3, model: h('2'), signature: 'c2lnbmF0dXJl', checkpointSize: 12 },
  peer: { peer: PEER },
  aggregate: {
    round: 3, own: h('2'),
    inputs: [
      { peer: 0, signature: 'c2ln', model: h('3'), taken: null, checkpoint: { size: 12, root: h('d') }, verdict: 'accept', used: true, distance: 1.5, cosine: 0.75 },
      { peer: 0, signature: 'c2lnMg==', model: h('5'), taken: h('6'), checkpoint: null, verdict: 'hash-mismatch', used: false, distance: null, cosine: null }
    ],
    rule: 'median', options: { f: 1, nnm: true }, output: h('4'), ms: 12.5
  },
  evaluation: { round: 3, model: h('4'), accuracy: 0.9, loss: null, examples: 1000 },
  evidence: { round: 3, peer: 0, reason: 'equivocation', first: '{"a":1}', second: '{"a":2}' }
}

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtrain-ledger-'))
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** Peers of {@link recordRounds}: seeds 11, 12 and 13 of testKey. */
export const ROUND_PEER_SEEDS = [11, 12, 13] as const

/**
 * A node's log of `rounds` rounds, as the daemon writes it: the manifest and data once, then per
 * round its training, its announcement, the aggregate with three peers' inputs (peer 13's refused
 * as `hash-mismatch` in round 1) and an evaluation; committed each round, with the models held.
 * Returns each round's aggregate output hash.
 */
export async function recordRounds (ledger: AuditLedger, rounds: number): Promise<string[]> {
  const peers = await Promise.all(ROUND_PEER_SEEDS.map(async s => peerIdFromPrivateKey(await key(s)).toString()))
  ledger.append('manifest', SAMPLE_BODIES.manifest)
  ledger.append('data', SAMPLE_BODIES.data)
  let start = new Float32Array([0, 0, 0, 0])
  let startHash = await ledger.models.put(start)
  const outputs: string[] = []
  for (let round = 0; round < rounds; round++) {
    const own = start.map((w, i) => w + 0.1 * (i + 1))
    const ownHash = await ledger.models.put(own)
    ledger.append('training', { ...SAMPLE_BODIES.training, round, startModel: startHash, model: ownHash, seed: 1000 + round })
    ledger.append('announcement', { round, model: ownHash, signature: 'c2ln', checkpointSize: ledger.checkpoint?.size ?? 0 })
    const inputs = peers.map((_, p) => start.map((w, i) => w + 0.1 * (i + 1) * (p === 2 ? -1 : 1.1 + p / 10)))
    const refused = (p: number): boolean => p === 2 && round === 1
    const used = [own, ...inputs.filter((_, p) => !refused(p))]
    const output = used[0]!.map((_, i) => used.map(u => u[i]!).sort((a, b) => a - b)[Math.floor(used.length / 2)]!)
    const outputHash = await ledger.models.put(output)
    const records: PeerInputRecord[] = []
    for (const [p, peer] of peers.entries()) {
      const hash = await ledger.models.put(inputs[p]!)
      const scores = refused(p) ? { distance: null, cosine: null } : contributionScores(inputs[p]!, output, start)
      records.push({
        peer: ledger.peerIndex(peer), signature: 'c2ln', model: hash, taken: null, checkpoint: null, verdict: refused(p) ? 'hash-mismatch' : 'accept', used: !refused(p), ...scores
      })
    }
    ledger.append('aggregate', { round, own: ownHash, inputs: records, rule: 'median', options: { f: 1 }, output: outputHash, ms: 1.25 })
    ledger.append('evaluation', { round, model: outputHash, accuracy: 0.5 + round / 100, loss: 1 / (round + 1), examples: 100 })
    await ledger.commit()
    outputs.push(outputHash)
    start = output
    startHash = outputHash
  }
  return outputs
}
