import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { roundSeed } from '../model/index.ts'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  AuditLedger, CHECKPOINT_TEXT_PATTERN, contributionScores, dataCommitment, formatCheckpoint, ledgerPaths, newDataSalt, parseCheckpoint,
  verifyCheckpoint
} from '../ledger/index.ts'
import type { LedgerCheckpoint, Verdict } from '../ledger/index.ts'
import { canonicalJson, encodeModelPayload, payloadHash } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import type { CatchUpTrace, Logger, PeerInput, RoundSummary } from '../round/index.ts'

/** Default rounds for which the models of peers' inputs are kept; aggregate outputs are kept for good. */
export const RETAINED_INPUT_ROUNDS = 100

/** What the recorder needs to know of the node beyond each round's summary. */
export interface RoundRecorderInit {
  readonly dataDir: string
  readonly privateKey: PrivateKey
  readonly manifest: NetworkManifest
  readonly networkId: string
  readonly datasetFingerprint: string
  readonly examples: { readonly train: number, readonly holdout: number }
  readonly backend: string
  /** The node's sampling seed (Trainer.samplingSeed): with the round it fixes which examples a round's training draws (roundSeed, recorded as the entry's seed). */
  readonly seed: number
  /** Rounds for which peers' input models are kept in `<data-dir>/models/` (the `ledgerKeepInputs` setting). @default RETAINED_INPUT_ROUNDS */
  readonly keepInputRounds?: number
  readonly log: Logger
}

/**
 * Writes each finished round into the node's audit ledger (`<data-dir>/ledger/`): its training,
 * its announcement, every peer input with its verdict and contribution scores, the aggregate, the
 * evaluation and any equivocation evidence, with the models they name; then commits (fsync and a
 * signed checkpoint) before the daemon checkpoints the model.
 */
export class RoundRecorder {
  readonly ledger: AuditLedger
  readonly #init: RoundRecorderInit
  readonly #commitment: string
  readonly #inputsByRound = new Map<number, string[]>()
  /** The largest checkpoint each peer has shown this node, to catch a peer whose log forked. */
  readonly #peerHeads = new Map<string, LedgerCheckpoint>()
  readonly #forksReported = new Set<string>()
  /** The model files of the last round recorded, still being written. */
  #modelWrites: Promise<void> = Promise.resolve()
  #lastOutput: { readonly weights: Float32Array, readonly hash: string } | undefined

  private constructor (ledger: AuditLedger, init: RoundRecorderInit, commitment: string) {
    this.ledger = ledger
    this.#init = init
    this.#commitment = commitment
    for (const { entry } of ledger.entries) {
      if (entry.kind === 'peer-input' && entry.body.checkpoint !== '') this.#remember(entry.body.peer, parseCheckpoint(entry.body.checkpoint))
    }
  }

  /** Open the log; on first use (or a new manifest or data set) record the manifest and the data commitment. */
  static async open (init: RoundRecorderInit): Promise<RoundRecorder> {
    const ledger = await AuditLedger.open({ dataDir: init.dataDir, privateKey: init.privateKey, warn: line => { init.log.warn(line) } })
    const salt = await dataSalt(ledgerPaths(init.dataDir).dir)
    const commitment = dataCommitment(salt, init.datasetFingerprint)
    const manifestHash = createHash('sha256').update(canonicalJson(init.manifest)).digest('hex')
    const last = <K extends 'manifest' | 'data'>(kind: K) => ledger.entries.findLast(e => e.entry.kind === kind)?.entry
    const lastManifest = last('manifest')
    if (lastManifest?.kind !== 'manifest' || lastManifest.body.manifestHash !== manifestHash) {
      await ledger.append('manifest', { manifestHash, networkId: init.networkId })
    }
    const lastData = last('data')
    if (lastData?.kind !== 'data' || lastData.body.commitment !== commitment) {
      await ledger.append('data', { commitment, examples: init.examples.train, features: init.manifest.model.inputSize, classes: init.manifest.model.classes })
    }
    await ledger.commit()
    return new RoundRecorder(ledger, init, commitment)
  }

  /** The signed checkpoint the next announcement carries, text form ('' before the first commit). */
  head (): string {
    const checkpoint = this.ledger.checkpoint
    return checkpoint === undefined ? '' : formatCheckpoint(checkpoint)
  }

  /**
   * Record one round and commit it; returns the peers found this round with a forked ledger.
   * The round's model files are written after the commit, off the round's critical path (the
   * next call, and {@link close}, wait for them): a crash in between may lose the last round's
   * models, never an entry.
   */
  async record (summary: RoundSummary): Promise<string[]> {
    await this.#modelWrites
    const { ledger } = this
    const { trace, round } = summary
    const { training } = this.#init.manifest
    // Hashes: fetched models (and the node's own, announced) were hashed already; the start model is the last output.
    const startModel = trace.start === this.#lastOutput?.weights ? this.#lastOutput.hash : modelHash(trace.start)
    const trained = trace.announcement?.modelHash ?? modelHash(trace.trained)
    const held = trace.peerInputs.flatMap(i => (i.weights === undefined ? [] : [{ weights: i.weights, hash: i.announcement.modelHash }]))
    await ledger.append('training', {
      round, startModel, data: this.#commitment, steps: training.localSteps, batchSize: training.batchSize, learningRate: training.learningRate,
      seed: roundSeed(this.#init.seed, round), loss: Number.isFinite(summary.loss) ? summary.loss : null, backend: this.#init.backend, model: trained
    })
    if (trace.announcement !== undefined) {
      await ledger.append('announcement', { round, model: trace.announcement.modelHash, signature: trace.announcement.signature, checkpointSize: ledger.checkpoint?.size ?? 0 })
    }
    const forked: string[] = []
    for (const input of trace.peerInputs) {
      const scores = input.weights === undefined ? { distance: null, cosine: null } : contributionScores(input.weights, summary.weights, trace.start)
      const { announcement: a } = input
      const head = await this.#verifiedHead(a.peerId, a.ledgerHead)
      await ledger.append('peer-input', {
        round, peer: a.peerId, signature: a.signature, model: a.modelHash, checkpoint: head === undefined ? '' : a.ledgerHead,
        verdict: verdictOf(input), used: input.used, distance: finiteOrNull(scores.distance), cosine: finiteOrNull(scores.cosine)
      })
      if (head !== undefined && await this.#checkFork(round, a.peerId, head)) forked.push(a.peerId)
    }
    let output = trained
    if (!summary.keptOwn) {
      output = modelHash(summary.weights)
      const { rule, ...options } = trace.aggregation
      const used = trace.peerInputs.filter(i => i.used).map(i => i.announcement.modelHash)
      // The order the round loop aggregated them in: its own model, then the peers' by peer id.
      await ledger.append('aggregate', { round, rule, options, inputs: [trained, ...used], output, ms: summary.aggregationMs })
    }
    await ledger.append('evaluation', { round, model: output, accuracy: finiteOrNull(summary.accuracy), loss: null, examples: this.#init.examples.holdout })
    for (const e of trace.evidence) {
      await ledger.append('evidence', { round, peer: e.peerId, reason: 'equivocation', first: canonicalJson(e.first), second: canonicalJson(e.second) })
    }
    await ledger.commit()
    this.#lastOutput = { weights: summary.weights, hash: output }
    const models = [{ weights: trace.start, hash: startModel }, { weights: trace.trained, hash: trained }, ...held, { weights: summary.weights, hash: output }]
    this.#modelWrites = Promise.all(models.map(m => ledger.models.put(m.weights, m.hash)))
      .then(async () => { await this.#retire(round, held.map(h => h.hash).filter(h => h !== output)) })
      .catch((err: unknown) => { this.#init.log.warn(`ledger: writing round ${round}'s models to ${ledger.models.dir} failed: ${(err as Error).message}`) })
    return forked
  }

  /**
   * Record how the node caught up: each fetched model as a peer input of the peers' round, and the
   * aggregate when the rule combined them, so the model the next round starts from has a lineage.
   */
  async recordCatchUp (trace: CatchUpTrace): Promise<void> {
    await this.#modelWrites
    const { ledger } = this
    const inputs: string[] = []
    for (const { announcement: a, weights } of trace.inputs) {
      inputs.push(await ledger.models.put(weights))
      const head = await this.#verifiedHead(a.peerId, a.ledgerHead)
      await ledger.append('peer-input', {
        round: trace.peerRound, peer: a.peerId, signature: a.signature, model: a.modelHash, checkpoint: head === undefined ? '' : a.ledgerHead,
        verdict: 'accept', used: trace.aggregated || inputs.length === 1, distance: null, cosine: null
      })
    }
    if (trace.aggregated) {
      const { rule, ...options } = trace.aggregation
      await ledger.append('aggregate', { round: trace.peerRound, rule, options, inputs, output: await ledger.models.put(trace.weights), ms: 0 })
    }
    await ledger.commit()
  }

  /** A peer's checkpoint when it is well formed and signed by the peer; undefined otherwise (not recorded). */
  async #verifiedHead (peer: string, text: string): Promise<LedgerCheckpoint | undefined> {
    if (!CHECKPOINT_TEXT_PATTERN.test(text)) return undefined
    const checkpoint = parseCheckpoint(text)
    const publicKey = peerIdFromString(peer).publicKey
    return publicKey !== undefined && await verifyCheckpoint(peer, checkpoint, publicKey) ? checkpoint : undefined
  }

  /**
   * Two checkpoints of one peer that cannot both be true of an append-only log (docs/wire.md
   * §10.3): the same size with another root, or fewer entries than it signed before. Kept as
   * evidence once per pair and reported; true when this is a new fork.
   */
  async #checkFork (round: number, peer: string, head: LedgerCheckpoint): Promise<boolean> {
    const seen = this.#peerHeads.get(peer)
    this.#remember(peer, head)
    if (seen === undefined) return false
    const forked = head.size < seen.size || (head.size === seen.size && head.root !== seen.root)
    const key = `${peer}/${seen.root}/${head.root}`
    if (!forked || this.#forksReported.has(key)) return false
    this.#forksReported.add(key)
    this.#init.log.warn(`peer ${peer}'s ledger forked: it signed ${seen.size} entries (root ${seen.root.slice(0, 12)}), now ${head.size} (root ${head.root.slice(0, 12)}); kept as evidence`)
    await this.ledger.append('evidence', { round, peer, reason: 'forked-log', first: formatCheckpoint(seen), second: formatCheckpoint(head) })
    return true
  }

  #remember (peer: string, head: LedgerCheckpoint): void {
    const seen = this.#peerHeads.get(peer)
    if (seen === undefined || head.size > seen.size) this.#peerHeads.set(peer, head)
  }

  /**
   * Drop the input models of the round `keepInputRounds` ago that no entry needs as an aggregate
   * output. Only rounds recorded since start-up are tracked: inputs of earlier runs stay.
   */
  async #retire (round: number, inputs: string[]): Promise<void> {
    const keep = this.#init.keepInputRounds ?? RETAINED_INPUT_ROUNDS
    this.#inputsByRound.set(round, inputs)
    const old = this.#inputsByRound.get(round - keep)
    if (old === undefined) return
    this.#inputsByRound.delete(round - keep)
    const outputs = new Set(this.ledger.entries.flatMap(e => (e.entry.kind === 'aggregate' ? [e.entry.body.output] : [])))
    for (const hash of old) if (!outputs.has(hash)) await this.ledger.models.remove(hash)
  }

  /** Wait for the last round's model files, then close the log. */
  async close (): Promise<void> {
    await this.#modelWrites
    await this.ledger.close()
  }
}

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null)

/** SHA-256 hex of a model's `f32le` payload: its name in the ledger and in `<data-dir>/models/`. */
const modelHash = (weights: Float32Array): string => payloadHash(encodeModelPayload(weights))

/** A failed transfer that honest peers also meet is recorded as the transfer code `stream-error`. */
function verdictOf (input: PeerInput): Verdict {
  return input.verdict === 'fetch-failed' ? 'stream-error' : input.verdict
}

/** The node's data salt, `<data-dir>/ledger/data-salt` (hex, mode 0600), made on first use. */
async function dataSalt (dir: string): Promise<string> {
  const path = join(dir, 'data-salt')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const salt = newDataSalt()
  const file = await open(path, 'wx', 0o600)
  try {
    await file.writeFile(salt + '\n')
    await file.sync()
  } finally {
    await file.close()
  }
  return salt
}
