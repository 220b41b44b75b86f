import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import {
  AuditLedger, CHECKPOINT_TEXT_PATTERN, contributionScores, dataCommitment, formatCheckpoint, ledgerPaths, newDataSalt
} from '../ledger/index.ts'
import type { Verdict } from '../ledger/index.ts'
import { canonicalJson } from '../protocol/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import type { Logger, PeerInput, RoundSummary } from '../round/index.ts'

/** Rounds for which the models of peers' inputs are kept; aggregate outputs are kept for good. */
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
  /** The node's data seed: with its shard it fixes the order in which training draws examples. */
  readonly seed: number
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

  private constructor (ledger: AuditLedger, init: RoundRecorderInit, commitment: string) {
    this.ledger = ledger
    this.#init = init
    this.#commitment = commitment
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

  /** Record one round and commit it. */
  async record (summary: RoundSummary): Promise<void> {
    const { ledger } = this
    const { trace, round } = summary
    const { training, aggregation } = this.#init.manifest
    const startModel = await ledger.models.put(trace.start)
    const trained = await ledger.models.put(trace.trained)
    await ledger.append('training', {
      round, startModel, data: this.#commitment, steps: training.localSteps, batchSize: training.batchSize, learningRate: training.learningRate,
      seed: this.#init.seed, loss: Number.isFinite(summary.loss) ? summary.loss : null, backend: this.#init.backend, model: trained
    })
    if (trace.announcement !== undefined) {
      await ledger.append('announcement', { round, model: trace.announcement.modelHash, signature: trace.announcement.signature, checkpointSize: ledger.checkpoint?.size ?? 0 })
    }
    const inputs: string[] = []
    for (const input of trace.peerInputs) {
      if (input.weights !== undefined) inputs.push(await ledger.models.put(input.weights))
      const scores = input.weights === undefined ? { distance: null, cosine: null } : contributionScores(input.weights, summary.weights, trace.start)
      const { announcement: a } = input
      await ledger.append('peer-input', {
        round, peer: a.peerId, signature: a.signature, model: a.modelHash, checkpoint: CHECKPOINT_TEXT_PATTERN.test(a.ledgerHead) ? a.ledgerHead : '',
        verdict: verdictOf(input), used: input.used, distance: finiteOrNull(scores.distance), cosine: finiteOrNull(scores.cosine)
      })
    }
    let output = trained
    if (!summary.keptOwn) {
      output = await ledger.models.put(summary.weights)
      const { rule, ...options } = aggregation
      const used = trace.peerInputs.filter(i => i.used).map(i => i.announcement.modelHash)
      await ledger.append('aggregate', { round, rule, options, inputs: [trained, ...used].sort(), output, ms: summary.aggregationMs })
    }
    await ledger.append('evaluation', { round, model: output, accuracy: finiteOrNull(summary.accuracy), loss: null, examples: this.#init.examples.holdout })
    for (const e of trace.evidence) {
      await ledger.append('evidence', { round, peer: e.peerId, reason: 'equivocation', first: canonicalJson(e.first), second: canonicalJson(e.second) })
    }
    await ledger.commit()
    await this.#retire(round, inputs.filter(h => h !== output))
  }

  /** Drop the input models of the round {@link RETAINED_INPUT_ROUNDS} ago that no later entry needs as an aggregate output. */
  async #retire (round: number, inputs: string[]): Promise<void> {
    this.#inputsByRound.set(round, inputs)
    const old = this.#inputsByRound.get(round - RETAINED_INPUT_ROUNDS)
    if (old === undefined) return
    this.#inputsByRound.delete(round - RETAINED_INPUT_ROUNDS)
    const outputs = new Set(this.ledger.entries.flatMap(e => (e.entry.kind === 'aggregate' ? [e.entry.body.output] : [])))
    for (const hash of old) if (!outputs.has(hash)) await this.ledger.models.remove(hash)
  }

  async close (): Promise<void> {
    await this.ledger.close()
  }
}

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null)

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
