import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  AuditLedger, CHECKPOINT_TEXT_PATTERN, contributionScores, dataCommitment, formatCheckpoint, ledgerPaths, newDataSalt, parseCheckpoint,
  lastPrivacyRecord, peerInputsOf, verifyCheckpoint, verifyConsistency
} from '../ledger/index.ts'
import type { CheckpointReference, LedgerCheckpoint, PeerInputRecord, PrivacyAccount, Verdict } from '../ledger/index.ts'
import { PAYLOAD_ENCODING, canonicalJson, modelPayloadView, payloadHash } from '../protocol/index.ts'
import type { NetworkManifest, UpdateAnnouncement } from '../protocol/index.ts'
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
  /** The seed of a round's batches (model's roundBatchSeed): recorded, so the round's training can be re-run. */
  readonly batchSeed: (round: number) => number
  /** Rounds for which peers' input models are kept in `<data-dir>/models/` (the `ledgerKeepInputs` setting). @default RETAINED_INPUT_ROUNDS */
  readonly keepInputRounds?: number
  /**
   * A private node's accountant, asked after each round's training: a round after which it has
   * moved (steps spent, or its parameters) trained on the node's data, and its `privacy` entry
   * records the account. Absent on a network without privacy.
   */
  readonly privacy?: () => PrivacyAccount
  /**
   * Asks `peer` over the ledger protocol for the consistency proof between the sizes `from` and
   * `to` of its log (hex hashes); undefined when it could not be asked or did not answer one.
   * @default never asks: a fork is then caught only by a smaller or same-size checkpoint
   */
  readonly askConsistency?: (peer: string, from: number, to: number) => Promise<readonly string[] | undefined>
  readonly log: Logger
}

/**
 * Writes each finished round into the node's audit ledger (`<data-dir>/ledger/`): its training,
 * its announcement, the aggregate with every peer input, its verdict and contribution scores, the
 * evaluation and any equivocation evidence, with the models they name; then commits (one write,
 * fsync and the round's one signature, the checkpoint) before the daemon checkpoints the model.
 */
export class RoundRecorder {
  readonly ledger: AuditLedger
  readonly #init: RoundRecorderInit
  readonly #commitment: string
  readonly #inputsByRound = new Map<number, string[]>()
  /**
   * The largest checkpoint each peer has shown this node, to catch a peer whose log forked: the
   * signed one when it arrived in this run, else the size and root this log recorded (after a restart).
   */
  readonly #peerHeads = new Map<string, WitnessedHead>()
  readonly #forksReported = new Set<string>()
  /** Consistency proofs asked for and not answered yet, one per peer at most. */
  readonly #proofsAsked = new Map<string, Promise<void>>()
  /** Forks a consistency proof revealed since the last round recorded, to be recorded with the next. */
  #provenForks: Array<{ readonly peer: string, readonly seen: WitnessedHead, readonly head: LedgerCheckpoint }> = []
  /** The model files of the rounds recorded, written one round after the other once each round's commit is durable. */
  #modelWrites: Promise<void> = Promise.resolve()
  /** The last round's commit: settles once its entries and checkpoint are on disk (or the write failed). */
  #durable: Promise<void> = Promise.resolve()
  #lastOutput: { readonly weights: Float32Array, readonly hash: string } | undefined
  /** The account the log's last `privacy` entry recorded. */
  #lastAccount: PrivacyAccount | undefined

  private constructor (ledger: AuditLedger, init: RoundRecorderInit, commitment: string) {
    this.ledger = ledger
    this.#init = init
    this.#commitment = commitment
    const last = lastPrivacyRecord(ledger.entries.map(e => e.entry))
    if (last !== undefined) {
      const { round: _, ...account } = last.body
      this.#lastAccount = account
    }
    for (const input of peerInputsOf(ledger.entries.map(e => e.entry))) {
      if (input.checkpoint !== null) this.#remember(input.peer, { ...input.checkpoint, text: `${input.checkpoint.size}:${input.checkpoint.root}` })
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
      ledger.append('manifest', { manifestHash, networkId: init.networkId })
    }
    const lastData = last('data')
    if (lastData?.kind !== 'data' || lastData.body.commitment !== commitment) {
      ledger.append('data', { commitment, examples: init.examples.train, features: init.manifest.model.inputSize, classes: init.manifest.model.classes })
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
   * Record one round and start its commit; returns the peers found this round with a forked
   * ledger. The commit (one write, one fsync of the log and the checkpoint together, the round's
   * one signature) goes on while the next round trains: {@link durable} says when it is done, and
   * the next call waits for it first (and throws if it failed), so appends are durable at the end
   * of each round and a round is never recorded over an unfinished one. The round's model files
   * are written after its commit, off the round's critical path: a crash in between may lose the
   * last round's models, never an entry.
   */
  async record (summary: RoundSummary): Promise<string[]> {
    await this.#durable
    const { ledger } = this
    const { trace, round } = summary
    const { training } = this.#init.manifest
    // Hashes: fetched models (and the node's own, announced) were hashed already; the start model is the last output.
    const startModel = trace.start === this.#lastOutput?.weights ? this.#lastOutput.hash : modelHash(trace.start)
    const trained = trace.announcement === undefined ? modelHash(trace.trained) : inputHash(trace.trained, trace.announcement)
    const held = trace.peerInputs.flatMap(i => (i.weights === undefined ? [] : [{ weights: i.weights, hash: inputHash(i.weights, i.announcement) }]))
    // A private node whose account did not move this round relayed: it took no step on its data.
    const account = this.#init.privacy?.()
    const relayed = account !== undefined && sameAccount(account, this.#lastAccount)
    ledger.append('training', {
      round, startModel, data: this.#commitment, steps: relayed ? 0 : training.localSteps, batchSize: training.batchSize, learningRate: training.learningRate,
      seed: this.#init.batchSeed(round), loss: Number.isFinite(summary.loss) ? summary.loss : null, backend: this.#init.backend, model: trained
    })
    // A round that spent privacy (also one trained before a restart and announced again, whose spending this log has not recorded).
    if (account !== undefined && account.stepsSpent > 0 && !relayed) {
      ledger.append('privacy', { round, ...account })
      this.#lastAccount = account
    }
    if (trace.announcement !== undefined) {
      ledger.append('announcement', { round, model: trace.announcement.modelHash, signature: trace.announcement.signature, checkpointSize: ledger.checkpoint?.size ?? 0 })
    }
    const forked: string[] = []
    // In the round loop's order (peer id order): the used ones are the rule's inputs after the node's own model.
    const inputs: PeerInputRecord[] = []
    for (const input of trace.peerInputs) {
      const scores = input.weights === undefined ? { distance: null, cosine: null } : contributionScores(input.weights, summary.weights, trace.start)
      const { announcement: a } = input
      const head = await this.#verifiedHead(a.peerId, a.ledgerHead)
      inputs.push({
        ...this.#peerInput(a, input.weights, head), verdict: verdictOf(input), used: input.used && input.weights !== undefined,
        distance: finiteOrNull(scores.distance), cosine: finiteOrNull(scores.cosine)
      })
      if (head !== undefined && await this.#checkFork(round, a.peerId, head)) forked.push(a.peerId)
    }
    const output = summary.keptOwn ? null : modelHash(summary.weights)
    if (output !== null || inputs.length > 0) {
      const { rule, ...options } = trace.aggregation
      ledger.append('aggregate', { round, own: trained, inputs, rule, options, output, ms: output === null ? 0 : summary.aggregationMs })
    }
    ledger.append('evaluation', { round, model: output ?? trained, accuracy: finiteOrNull(summary.accuracy), loss: null, examples: this.#init.examples.holdout })
    for (const e of trace.evidence) {
      ledger.append('evidence', { round, peer: ledger.peerIndex(e.peerId), reason: 'equivocation', first: canonicalJson(e.first), second: canonicalJson(e.second) })
    }
    for (const { peer, seen, head } of this.#provenForks.splice(0)) {
      if (await this.#reportFork(round, peer, seen, head, 'its consistency proof between them does not verify')) forked.push(peer)
    }
    const durable = ledger.commit().then(() => undefined)
    // Observed at once (the next record, the daemon's checkpoint and close await it and see a failure).
    durable.catch(() => undefined)
    this.#durable = durable
    this.#lastOutput = { weights: summary.weights, hash: output ?? trained }
    const models = [{ weights: trace.start, hash: startModel }, { weights: trace.trained, hash: trained }, ...held, { weights: summary.weights, hash: output ?? trained }]
    this.#modelWrites = Promise.all([this.#modelWrites, durable])
      .then(async () => { await Promise.all(models.map(m => ledger.models.put(m.weights, m.hash))) })
      .then(async () => { await this.#retire(round, held.map(h => h.hash).filter(h => h !== (output ?? trained))) })
      .catch((err: unknown) => { this.#init.log.warn(`ledger: writing round ${round}'s models to ${ledger.models.dir} failed: ${(err as Error).message}`) })
    return forked
  }

  /** Settles when the last round recorded is durable: its entries and signed checkpoint on disk; rejects if writing them failed. */
  async durable (): Promise<void> {
    await this.#durable
  }

  /**
   * Record how the node caught up: each fetched model as a peer input of the peers' round, in an
   * `aggregate` entry of that round without an own model (its output when the rule combined them;
   * null when the node took the one model), so the model the next round starts from has a lineage.
   */
  async recordCatchUp (trace: CatchUpTrace): Promise<void> {
    await this.#durable
    await this.#modelWrites
    const { ledger } = this
    const inputs: PeerInputRecord[] = []
    for (const { announcement: a, weights } of trace.inputs) {
      await ledger.models.put(weights)
      const head = await this.#verifiedHead(a.peerId, a.ledgerHead)
      inputs.push({ ...this.#peerInput(a, weights, head), verdict: 'accept', used: trace.aggregated || inputs.length === 0, distance: null, cosine: null })
    }
    const { rule, ...options } = trace.aggregation
    const output = trace.aggregated ? await ledger.models.put(trace.weights) : null
    ledger.append('aggregate', { round: trace.peerRound, own: null, inputs, rule, options, output, ms: 0 })
    await ledger.commit()
  }

  /** The fields of a peer input that come from its announcement: the peer's index in the log's peer table, the signature, the model's hashes, the checkpoint carried. */
  #peerInput (a: UpdateAnnouncement, weights: Float32Array | undefined, head: LedgerCheckpoint | undefined): Pick<PeerInputRecord, 'peer' | 'signature' | 'model' | 'taken' | 'checkpoint'> {
    const taken = weights === undefined ? a.modelHash : inputHash(weights, a)
    return {
      peer: this.ledger.peerIndex(a.peerId), signature: a.signature, model: a.modelHash, taken: taken === a.modelHash ? null : taken,
      checkpoint: head === undefined ? null : { size: head.size, root: head.root }
    }
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
   * evidence and reported once per checkpoint contradicted; true when this is a new fork. A larger checkpoint is
   * checked in the background by asking the peer for a consistency proof from the one seen before
   * (§10.6); a proof that does not verify is recorded with the next round.
   */
  async #checkFork (round: number, peer: string, head: LedgerCheckpoint): Promise<boolean> {
    const seen = this.#peerHeads.get(peer)
    this.#remember(peer, { ...head, text: formatCheckpoint(head) })
    if (seen === undefined) return false
    if (head.size > seen.size) {
      this.#askForProof(peer, seen, head)
      return false
    }
    if (head.size === seen.size && head.root === seen.root) return false
    return await this.#reportFork(round, peer, seen, head, head.size < seen.size ? 'entries were dropped' : 'another root for the same size')
  }

  #askForProof (peer: string, seen: WitnessedHead, head: LedgerCheckpoint): void {
    const ask = this.#init.askConsistency
    if (ask === undefined || this.#proofsAsked.has(peer) || seen.size === 0) return
    const check = ask(peer, seen.size, head.size).then(proof => {
      if (proof === undefined) return
      const consistent = verifyConsistency(seen.size, head.size, fromHex(seen.root), fromHex(head.root), proof.map(fromHex))
      if (!consistent) this.#provenForks.push({ peer, seen, head })
    }).catch((err: unknown) => { this.#init.log.debug(`ledger: asking ${peer} for a consistency proof failed: ${String(err)}`) })
      .finally(() => { this.#proofsAsked.delete(peer) })
    this.#proofsAsked.set(peer, check)
  }

  async #reportFork (round: number, peer: string, seen: WitnessedHead, head: LedgerCheckpoint, why: string): Promise<boolean> {
    // One fork, one entry: every later checkpoint of the other history contradicts the same one.
    const key = `${peer}/${seen.size}/${seen.root}`
    if (this.#forksReported.has(key)) return false
    this.#forksReported.add(key)
    this.#init.log.warn(`peer ${peer}'s ledger forked (${why}): it signed ${seen.size} entries (root ${seen.root.slice(0, 12)}), now ${head.size} (root ${head.root.slice(0, 12)}); kept as evidence`)
    this.ledger.append('evidence', { round, peer: this.ledger.peerIndex(peer), reason: 'forked-log', first: seen.text, second: formatCheckpoint(head) })
    return true
  }

  #remember (peer: string, head: WitnessedHead): void {
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
    const outputs = new Set(this.ledger.entries.flatMap(e => (e.entry.kind === 'aggregate' && e.entry.body.output !== null ? [e.entry.body.output] : [])))
    for (const hash of old) if (!outputs.has(hash)) await this.ledger.models.remove(hash)
  }

  /** Wait for the last round's model files and the proofs asked for, then close the log. */
  async close (): Promise<void> {
    await this.#modelWrites
    await Promise.all(this.#proofsAsked.values())
    await this.ledger.close()
  }
}

/** A peer's checkpoint as this node holds it: size, root and the text kept as evidence (`<size>:<root>` for one read back from this log, whose peer signature was checked when it arrived). */
interface WitnessedHead extends CheckpointReference {
  readonly text: string
}

/** Whether an account is the one recorded last, field for field (steps spent included). */
function sameAccount (account: PrivacyAccount, last: PrivacyAccount | undefined): boolean {
  return last !== undefined && (Object.keys(account) as Array<keyof PrivacyAccount>).every(k => account[k] === last[k])
}

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null)

/** SHA-256 hex of a model's `f32le` payload: its name in the ledger and in `<data-dir>/models/`. */
const modelHash = (weights: Float32Array): string => payloadHash(modelPayloadView(weights))

/**
 * The ledger's name of a model that travelled: its announced hash when it travelled as float32,
 * else the hash of the float32 model the rule took (the payload was float16 or int8; the
 * `peer-input` and `announcement` entries keep the announced hash).
 */
const inputHash = (weights: Float32Array, announcement: UpdateAnnouncement): string =>
  announcement.encoding === PAYLOAD_ENCODING ? announcement.modelHash : modelHash(weights)

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
