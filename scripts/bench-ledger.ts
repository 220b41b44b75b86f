/**
 * Audit ledger benchmark (issue 13's figures), printing each figure with its target and their
 * ratio; with --json, one JSON object.
 *
 *   npm run bench:ledger [-- --json] [-- --backend wasm|cpu|tensorflow]
 *
 * - verifyEntriesPerSecond: `verifyRecords` (strict decode, position, chain, peer table
 *   references, SHA-256, the Merkle root against the signed checkpoint and its one Ed25519
 *   signature, which authenticates every entry it covers; entries carry no signature of their own
 *   in format 2) over a log of at least 5,000 entries written by RoundRecorder, best of 3, one core.
 * - bytesPerRound, bytesPerPeerInput: growth of entries.log per round recorded by RoundRecorder
 *   over 10 rounds, with real signatures, peer ids and peer checkpoints: the fixed part (a round
 *   with no peer input: training, announcement, aggregate, evaluation) and the cost of each peer
 *   input ((rounds of 8 peers − rounds of none) / 8: the input in the aggregate entry, and the
 *   peer's `peer` entry of the first round spread over the 10).
 * - announcementGrowthBytes: an announcement carrying a checkpoint of a 10^6-entry log minus the
 *   same announcement with an empty ledgerHead.
 * - consistencyProofHashesAt1M: the longest RFC 9162 consistency proof from old sizes 3, 2^19 + 1
 *   and 999,999 to 1,000,000 entries.
 * - roundOverheadRatio: in a real 4-daemon `meshtrain swarm --rounds 20` (default settings) on
 *   this machine, the ledger's time on the rounds' critical path over the rounds' own time, summed
 *   over every node and round but round 0. Each daemon measures, after each round, the time from
 *   the round's end until the next may start that the ledger takes (waiting for the last round's
 *   commit and model checkpoint, then recording this round: entries, hashes, scores, the peers'
 *   checkpoint signatures, the write; the fsync and the signed checkpoint run while the next round
 *   trains), and the round's duration from its start to its aggregate (without the ledger: the
 *   denominator leaves out the round's other work between rounds, so the ratio errs high).
 *   recordMsPerRound is RoundRecorder.record with its commit awaited, alone here (the default model, 784-64-10, three
 *   peers), and recordToTrainingRatio that time over one round's local training (20 steps of 32).
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
async function bytesPerRoundWith (peers: number, rounds = 10): Promise<number> {
  return withRecorder(async (recorder, dir) => {
    const before = (await stat(ledgerPaths(dir).entries)).size
    let start = new Float32Array(16) as Float32Array
    for (let r = 0; r < rounds; r++) {
      const s = await summary(r, start, peers)
      await recorder.record(s)
      start = s.weights
    }
    await recorder.durable()
    return ((await stat(ledgerPaths(dir).entries)).size - before) / rounds
  })
}

const fixedBytes = await bytesPerRoundWith(0)
const withPeers = await bytesPerRoundWith(8)
const bytesPerPeerInput = (withPeers - fixedBytes) / 8

// Verification speed: a log of at least 5,000 entries (rounds of 8 peers: 12 entries each).
const verifyEntriesPerSecond = await withRecorder(async (recorder, dir) => {
  let start = new Float32Array(16) as Float32Array
  for (let r = 0; recorder.ledger.size < 5000; r++) {
    const s = await summary(r, start, 8)
    await recorder.record(s)
    start = s.weights
  }
  await recorder.durable()
  const { records } = parseLedgerFile(await readFile(ledgerPaths(dir).entries))
  const owner = peerIdFromPrivateKey(nodeKey).toString()
  const checkpoint = recorder.ledger.checkpoint
  let best = Infinity
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now()
    const report = await verifyRecords(records, owner, nodeKey.publicKey, checkpoint)
    if (report.failure !== undefined) throw new Error(`bench log does not verify: ${report.failure.message}`)
    best = Math.min(best, performance.now() - t)
  }
  return records.length / (best / 1000)
})

const plainAnnouncement = encodeAnnouncement(await announce(nodeKey, 7, new Float32Array(16), ''))
const bigHead = formatCheckpoint(await signCheckpoint(peerIdFromPrivateKey(nodeKey).toString(), { size: 1_000_000, root: payloadHash(new Uint8Array(2)), time: Date.now() }, nodeKey))
const announcementGrowthBytes = encodeAnnouncement(await announce(nodeKey, 7, new Float32Array(16), bigHead)).byteLength - plainAnnouncement.byteLength

const million = new Array<Uint8Array>(1_000_000).fill(leafHash(new Uint8Array([1])))
const consistencyProofHashesAt1M = Math.max(...[3, 524_289, 999_999].map(old => consistencyProof(million, old).length))

// Round overhead at the default model's size, against the local training of one round.
const backend = await useBackend(parseBackendChoice(values.backend))
const { model, training } = DEFAULT_MANIFEST
const rng = createRng(1)
const examples = (count: number) => ({ x: Float32Array.from({ length: count * model.inputSize }, () => rng.next()), y: Int32Array.from({ length: count }, () => rng.int(model.classes)), count })
const train = examples(3750)
const core = new TrainingCore(model, training, { features: model.inputSize, classes: model.classes, train, holdout: examples(10), test: examples(10), testCount: 10, fingerprint: datasetFingerprint(train, model.inputSize) }, 1)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
let weights = core.train(core.initialWeights()).weights
const trainingMs: number[] = []
for (let r = 0; r < 5; r++) {
  const t = performance.now()
  weights = core.train(weights).weights
  trainingMs.push(performance.now() - t)
}
const recordMs = await withRecorder(async recorder => {
  const times: number[] = []
  let start = weights
  for (let r = 0; r < 6; r++) {
    const s = await summary(r, start, 3)
    const t = performance.now()
    await recorder.record(s)
    await recorder.durable()
    if (r > 0) times.push(performance.now() - t)
    start = s.weights
  }
  return median(times)
})
const recordToTrainingRatio = recordMs / median(trainingMs)

/**
 * A real 4-daemon `meshtrain swarm` (default settings) of `rounds` rounds: every node's ledger time
 * on the critical path of each round and the round's own duration, from the swarm's report
 * (each daemon measures both and prints them in its round status line). Round 0 (start-up) is left out.
 */
async function swarmLedgerShare (rounds: number): Promise<{ ledgerMs: number, roundMs: number, samples: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtrain-bench-swarm-'))
  try {
    const report = join(dir, 'report.json')
    const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
    await promisify(execFile)(process.execPath, [main, 'swarm', '--nodes', '4', '--rounds', String(rounds), '--report', report], { maxBuffer: 16 * 1024 * 1024 })
    const { nodes } = JSON.parse(await readFile(report, 'utf8')) as { nodes: Array<{ history: Array<{ round: number, durationMs: number, ledgerMs: number }> }> }
    const rows = nodes.flatMap(n => n.history.filter(h => h.round > 0))
    return { ledgerMs: rows.reduce((a, h) => a + h.ledgerMs, 0), roundMs: rows.reduce((a, h) => a + h.durationMs, 0), samples: rows.length }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
const swarm = await swarmLedgerShare(20)
const roundOverheadRatio = swarm.ledgerMs / swarm.roundMs

const result = {
  verifyEntriesPerSecond: Math.round(verifyEntriesPerSecond),
  bytesPerRound: Math.round(fixedBytes),
  bytesPerPeerInput: Math.round(bytesPerPeerInput),
  announcementGrowthBytes,
  consistencyProofHashesAt1M,
  roundOverheadRatio: Number(roundOverheadRatio.toFixed(4)),
  recordMsPerRound: Number(recordMs.toFixed(2)),
  swarmLedgerMsPerRound: Number((swarm.ledgerMs / swarm.samples).toFixed(2)),
  swarmRoundMs: Number((swarm.roundMs / swarm.samples).toFixed(1)),
  swarmNodeRounds: swarm.samples,
  recordToTrainingRatio: Number(recordToTrainingRatio.toFixed(4)),
  trainingMsPerRound: Number(median(trainingMs).toFixed(2)),
  parameters: parameterCount(model),
  backend,
  targets: TARGETS
}
if (values.json) {
  console.log(JSON.stringify(result))
} else {
  const line = (name: keyof typeof TARGETS, value: number, unit: string, atLeast = false): string =>
    `${name.padEnd(28)} ${String(value).padStart(10)} ${unit.padEnd(12)} target ${atLeast ? 'at least' : 'at most'} ${TARGETS[name]}: ratio ${(value / TARGETS[name]).toFixed(2)} ${(atLeast ? value >= TARGETS[name] : value <= TARGETS[name]) ? 'met' : 'NOT met'}`
  console.log(line('verifyEntriesPerSecond', result.verifyEntriesPerSecond, 'entries/s', true))
  console.log(line('bytesPerRound', result.bytesPerRound, 'bytes'))
  console.log(line('bytesPerPeerInput', result.bytesPerPeerInput, 'bytes'))
  console.log(line('announcementGrowthBytes', result.announcementGrowthBytes, 'bytes'))
  console.log(line('consistencyProofHashesAt1M', result.consistencyProofHashesAt1M, 'hashes'))
  console.log(line('roundOverheadRatio', result.roundOverheadRatio, ''))
  console.log(`  (in a 4-daemon swarm of 20 rounds, ${result.swarmNodeRounds} node-rounds: the ledger ${result.swarmLedgerMsPerRound} ms on the critical path of a ${result.swarmRoundMs} ms round;`)
  console.log(`   recording and committing alone here ${result.recordMsPerRound} ms per round with 3 peers and a ${result.parameters}-parameter model, local training alone ${result.trainingMsPerRound} ms on ${backend}, ratio ${result.recordToTrainingRatio})`)
}
process.exit(0)
