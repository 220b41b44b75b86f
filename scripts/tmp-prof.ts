/**
 * Audit ledger benchmark (issue 13's figures), printing each figure with its target and their
 * ratio; with --json, one JSON object.
 *
 *   npm run bench:ledger [-- --json] [-- --backend wasm|cpu|tensorflow]
 *
 * - verifyEntriesPerSecond: `verifyRecords` (strict decode, position, chain, SHA-256, the Merkle
 *   root against the signed checkpoint, whose one Ed25519 signature vouches for the entries it
 *   covers) over a log of at least 5,000 entries written by RoundRecorder, one core; and
 *   verifyEntriesPerSecondEverySignature, the same with every entry's own signature checked.
 * - bytesPerRound, bytesPerPeerInput: growth of entries.log per round recorded by RoundRecorder,
 *   with real signatures, peer ids and peer checkpoints: the fixed part (a round with no peer
 *   input: training, announcement, aggregate, evaluation) and the cost of each peer input.
 * - announcementGrowthBytes: an announcement carrying a checkpoint of a 10^6-entry log minus the
 *   same announcement with an empty ledgerHead.
 * - consistencyProofHashesAt1M: the longest RFC 9162 consistency proof from old sizes 3, 2^19 + 1
 *   and 999,999 to 1,000,000 entries.
 * - roundOverheadRatio: the ledger's time on a round's critical path over the round time without
 *   it. The ledger's time is what RoundRecorder.record takes per round (the default model,
 *   784-64-10, three peers' inputs, models written, fsync and a signed checkpoint), measured here;
 *   the round time is that of a real 4-daemon `meshtrain swarm` on this machine, from two runs
 *   (3 and 9 rounds) so that start-up cancels: (wall(9) − wall(3)) / 6. The record runs between
 *   rounds, before the next one starts, so it adds to the round time one for one.
 *   recordToTrainingRatio gives the same time over one round's local training alone (20 steps of
 *   32 on seeded data), a bound for a swarm whose rounds are nothing but training.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { consistencyProof, formatCheckpoint, leafHash, ledgerPaths, parseLedgerFile, signCheckpoint, verifyRecords } from '../src/ledger/index.ts'
import { createRng, datasetFingerprint, parseBackendChoice } from '../src/model/index.ts'
import { TrainingCore, useBackend } from '../src/model/tfjs.ts'
import { RoundRecorder } from '../src/node/round-recorder.ts'
import { DEFAULT_MANIFEST, encodeAnnouncement, encodeModelPayload, networkId, parameterCount, payloadHash, signAnnouncement } from '../src/protocol/index.ts'
import type { UpdateAnnouncement } from '../src/protocol/index.ts'
import type { RoundSummary } from '../src/round/index.ts'

/** Issue 13's targets. */
const TARGETS = {
  verifyEntriesPerSecond: 5000,
  bytesPerRound: 1536,
  bytesPerPeerInput: 200,
  announcementGrowthBytes: 200,
  consistencyProofHashesAt1M: 21,
  roundOverheadRatio: 0.05
} as const

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, backend: { type: 'string', default: 'wasm' } } })
const key = async (seed: number) => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
const nodeKey = await key(1)
const peerKeys = await Promise.all(Array.from({ length: 8 }, (_, i) => key(10 + i)))
const id = networkId(DEFAULT_MANIFEST)
const silent = { debug: () => {}, info: () => {}, warn: () => {} }

async function announce (k: typeof nodeKey, round: number, weights: Float32Array, ledgerHead: string): Promise<UpdateAnnouncement> {
  const payload = encodeModelPayload(weights)
  return signAnnouncement({
    networkId: id, peerId: peerIdFromPrivateKey(k).toString(), round, modelHash: payloadHash(payload), byteLength: payload.byteLength,
    encoding: 'f32le', sampleCount: 640, loss: 0.4321, datasetFingerprint: payloadHash(new Uint8Array(8)), ledgerHead
  }, k)
}

/** A round of a node with `peers` peer inputs, all used, each carrying its signed checkpoint. */
async function summary (round: number, start: Float32Array, peers: number): Promise<RoundSummary> {
  const trained = start.map((w, i) => w + 1e-3 * ((i % 7) + 1))
  const inputs = await Promise.all(peerKeys.slice(0, peers).map(async (k, p) => {
    const weights = start.map((w, i) => w + 1e-3 * ((i + p) % 5))
    const head = formatCheckpoint(await signCheckpoint(peerIdFromPrivateKey(k).toString(), { size: 1000 + 12 * round, root: payloadHash(encodeModelPayload(weights)), time: Date.now() }, k))
    return { announcement: await announce(k, round, weights, head), weights, verdict: 'accept' as const, used: true }
  }))
  const weights = start.map((w, i) => w + 2e-3 * ((i % 3) + 1))
  return {
    round, peers, used: peers, refused: 0, keptOwn: false, inputs: 1 + peers, needed: 1, heard: [], loss: 0.4321, accuracy: 0.9, weights,
    durationMs: 0, aggregationMs: 1.5, bytesFetched: 0,
    trace: { start, trained, announcement: await announce(nodeKey, round, trained, ''), peerInputs: inputs, evidence: [], aggregation: DEFAULT_MANIFEST.aggregation }
  }
}

async function withRecorder<T> (run: (recorder: RoundRecorder, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtrain-bench-ledger-'))
  const recorder = await RoundRecorder.open({
    dataDir: dir, privateKey: nodeKey, manifest: DEFAULT_MANIFEST, networkId: id, datasetFingerprint: payloadHash(new Uint8Array(1)),
    examples: { train: 3750, holdout: 375 }, backend: 'wasm', batchSeed: round => 1000 + round, log: silent
  })
  try {
    return await run(recorder, dir)
  } finally {
    await recorder.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Bytes entries.log grows by per round, over `rounds` rounds of `peers` peer inputs (small models: model files are not counted). */
const n = parameterCount(DEFAULT_MANIFEST.model)
const times: Record<string, number[]> = { record: [], commit: [] }
await withRecorder(async recorder => {
  const commit = recorder.ledger.commit.bind(recorder.ledger)
  recorder.ledger.commit = async () => { const t = performance.now(); const c = await commit(); times.commit!.push(performance.now() - t); return c }
  let start = new Float32Array(n).map((_, i) => Math.sin(i))
  for (let r = 0; r < 12; r++) {
    const s = await summary(r, start, 3)
    const t = performance.now()
    await recorder.record(s)
    times.record!.push(performance.now() - t)
    start = s.weights
  }
})
console.log(JSON.stringify(times, (k, v) => typeof v === 'number' ? Number(v.toFixed(2)) : v))
process.exit(0)
