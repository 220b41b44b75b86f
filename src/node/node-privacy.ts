import { writeFileAtomically } from './atomic-file.ts'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InputError, RuntimeFailure } from '../errors/index.ts'
import type { PrivacyAccount } from '../ledger/index.ts'
import { privatiseUpdate } from '../model/index.ts'
import type { TrainCallOptions, Trainer } from '../model/index.ts'
import {
  PrivacyParameterError, createPrivacyBudget, epsilonSpent, parsePrivacyBudget, privacyBudgetJson, remainingSteps, smallestNoiseMultiplier, spendSteps
} from '../privacy/index.ts'
import type { PrivacyBudget } from '../privacy/index.ts'
import { ManifestError } from '../protocol/index.ts'
import type { AnnouncedPrivacy, NetworkManifest, PrivacySpec } from '../protocol/index.ts'

/**
 * What one node's privacy is, from the manifest's `privacy` section and the node's own data:
 * its sampling rate, steps per round and noise multiplier (the manifest's, or the smallest that
 * keeps `plannedRounds` within the budget), and the accountant state on disk that a restart
 * resumes. The accountant is src/privacy (Mironov, Talwar and Zhang 2019).
 */

/** The privacy a node trains under. */
export interface NodePrivacyPlan {
  readonly mode: PrivacySpec['mode']
  /** q per accounted step: batchSize / local records (dp-sgd, at most 1), 1 (update-clip: the whole data set each round). */
  readonly samplingRate: number
  /** Accounted steps per round: `training.localSteps` (dp-sgd) or 1 (update-clip, one noised update per round). */
  readonly stepsPerRound: number
  /** sigma, resolved when the manifest says "auto". */
  readonly noiseMultiplier: number
  readonly clipNorm: number
  readonly epsilonBudget: number
  readonly delta: number
  readonly onBudgetExhausted: PrivacySpec['onBudgetExhausted']
}

/**
 * The node's plan, or undefined when the manifest's privacy is off.
 * @param trainExamples the node's local training records, N
 * @throws ManifestError naming `privacy.delta` when delta is not below 1 / N (an (epsilon, delta)
 * guarantee with delta >= 1/N allows a mechanism that publishes one of the N records outright;
 * a node with more records needs a smaller delta), or
 * `privacy.noiseMultiplier` when "auto" finds no sigma for the budget
 */
export function planNodePrivacy (manifest: NetworkManifest, trainExamples: number): NodePrivacyPlan | undefined {
  const privacy = manifest.privacy
  if (privacy === undefined) return undefined
  if (!(Number.isSafeInteger(trainExamples) && trainExamples >= 1)) throw new RangeError(`trainExamples: got ${trainExamples}, expected a whole number of at least 1`)
  if (!(privacy.delta < 1 / trainExamples)) {
    throw new ManifestError('privacy.delta', `${privacy.delta} is not below 1 / ${trainExamples} = ${1 / trainExamples}, one over this node's ${trainExamples} training records: a delta that large would allow publishing a record outright; the network needs a smaller delta for a node with this much data`)
  }
  const samplingRate = privacy.mode === 'dp-sgd' ? Math.min(1, manifest.training.batchSize / trainExamples) : 1
  const stepsPerRound = privacy.mode === 'dp-sgd' ? manifest.training.localSteps : 1
  let noiseMultiplier: number
  if (privacy.noiseMultiplier === 'auto') {
    const steps = (privacy.plannedRounds as number) * stepsPerRound
    try {
      noiseMultiplier = smallestNoiseMultiplier(privacy.epsilonBudget, samplingRate, steps, privacy.delta)
    } catch (err) {
      if (!(err instanceof PrivacyParameterError)) throw err
      throw new ManifestError('privacy.noiseMultiplier', `"auto": no noise multiplier keeps ${privacy.plannedRounds} rounds (${steps} steps at sampling rate ${samplingRate}) within epsilon ${privacy.epsilonBudget}: ${err.message}`)
    }
  } else {
    noiseMultiplier = privacy.noiseMultiplier
  }
  return Object.freeze({
    mode: privacy.mode, samplingRate, stepsPerRound, noiseMultiplier, clipNorm: privacy.clipNorm,
    epsilonBudget: privacy.epsilonBudget, delta: privacy.delta, onBudgetExhausted: privacy.onBudgetExhausted
  })
}

/** A fresh budget for a plan: nothing spent. */
export function budgetOf (plan: NodePrivacyPlan): PrivacyBudget {
  return createPrivacyBudget({ epsilonBudget: plan.epsilonBudget, delta: plan.delta, noiseMultiplier: plan.noiseMultiplier, samplingRate: plan.samplingRate })
}

/** The accountant state's file in the data directory. */
export const PRIVACY_STATE_FILE = 'privacy.json'

/** The accountant state on disk cannot be used: unreadable, or written for other parameters. */
export class PrivacyStateError extends InputError {
  constructor (message: string, options?: ErrorOptions) {
    super('bad-privacy-state', message, options)
  }
}

/** The accountant state could not be written; training must not go on without it. */
export class PrivacyStateWriteError extends RuntimeFailure {
  constructor (message: string, options?: ErrorOptions) {
    super('privacy-state-write-failed', message, options)
  }
}

/**
 * Write the budget atomically (temporary file, fsync, rename, directory fsync): a crash leaves the
 * previous state or this one, never a mix. A node saves before it announces what the steps
 * trained, so that no announced model's steps can be lost from the account.
 * @throws PrivacyStateWriteError
 */
export async function savePrivacyState (dataDir: string, budget: PrivacyBudget): Promise<void> {
  try {
    await writeFileAtomically(join(dataDir, PRIVACY_STATE_FILE), privacyBudgetJson(budget) + '\n')
  } catch (err) {
    throw new PrivacyStateWriteError(`cannot write ${join(dataDir, PRIVACY_STATE_FILE)}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The budget to resume: the saved one when there is one (it must have been written for this
 * plan's parameters), a fresh one for a node that has never trained. A node with a checkpoint but
 * no saved state under a private manifest is refused: its spending is unknown.
 * @param hasCheckpoint whether the data directory holds a model checkpoint
 * @throws PrivacyStateError naming the file and what does not match
 */
export async function resumePrivacyState (dataDir: string, plan: NodePrivacyPlan, hasCheckpoint: boolean): Promise<PrivacyBudget> {
  const path = join(dataDir, PRIVACY_STATE_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new PrivacyStateError(`${path}: ${(err as Error).message}`, { cause: err })
    if (hasCheckpoint) {
      throw new PrivacyStateError(`${path} is missing but the node has a checkpoint: under a private manifest its spent privacy would be unknown; start from a new data directory`)
    }
    return budgetOf(plan)
  }
  let saved: PrivacyBudget
  try {
    saved = parsePrivacyBudget(text)
  } catch (err) {
    throw new PrivacyStateError(`${path}: ${(err as Error).message}`, { cause: err })
  }
  const fresh = budgetOf(plan)
  for (const key of ['epsilonBudget', 'delta', 'noiseMultiplier', 'samplingRate'] as const) {
    if (saved[key] !== fresh[key]) {
      throw new PrivacyStateError(`${path}: written for ${key} ${saved[key]}, this node now has ${fresh[key]} (a changed manifest or data set); its spending cannot carry over`)
    }
  }
  return saved
}

/** What the status line and the API report about a private node's budget. */
export interface PrivacyStatus {
  readonly mode: PrivacySpec['mode']
  readonly epsilonSpent: number
  readonly epsilonBudget: number
  readonly delta: number
  readonly noiseMultiplier: number
  readonly samplingRate: number
  readonly clipNorm: number
  readonly stepsSpent: number
  /** Steps the budget still allows. */
  readonly remainingSteps: number
  /** True once a round's steps no longer fit: the node trains no more. */
  readonly exhausted: boolean
  readonly onBudgetExhausted: PrivacySpec['onBudgetExhausted']
}

/** The trainer calls a private node makes. */
export type PrivateTrainerCalls = Pick<Trainer, 'train' | 'trainPrivately'>

/**
 * A private node's local training and its account: each round's steps are spent and the state
 * saved atomically before the data is touched (so before the announcement of what they trained;
 * a crash in between spends steps that nothing announced, never the reverse), then the round
 * trains with DP-SGD (or, in update-clip mode, plainly with the update clipped and noised).
 * Once a round's steps no longer fit in the budget it trains no more: it hands back the model it
 * was given, which costs no privacy (`relay`), or the daemon stops (`stop`).
 */
export class NodePrivacy {
  readonly plan: NodePrivacyPlan
  readonly #dataDir: string
  readonly #batchSize: number
  #budget: PrivacyBudget

  private constructor (dataDir: string, batchSize: number, plan: NodePrivacyPlan, budget: PrivacyBudget) {
    this.#dataDir = dataDir
    this.#batchSize = batchSize
    this.plan = plan
    this.#budget = budget
  }

  /**
   * The node's privacy, resumed from `<data-dir>/privacy.json`; undefined when the manifest's is off.
   * @throws ManifestError (see {@link planNodePrivacy}), PrivacyStateError (see {@link resumePrivacyState})
   */
  static async open (dataDir: string, manifest: NetworkManifest, trainExamples: number, hasCheckpoint: boolean): Promise<NodePrivacy | undefined> {
    const plan = planNodePrivacy(manifest, trainExamples)
    if (plan === undefined) return undefined
    return new NodePrivacy(dataDir, manifest.training.batchSize, plan, await resumePrivacyState(dataDir, plan, hasCheckpoint))
  }

  get budget (): PrivacyBudget { return this.#budget }

  /** Whether the next round's steps no longer fit in the budget. */
  get exhausted (): boolean {
    return remainingSteps(this.#budget) < this.plan.stepsPerRound
  }

  /**
   * One round's private training from `weights`; the model given back unchanged once the budget
   * is spent. Loss and example count are not measured (they would be computed from the data
   * without noise): the loss is 0 and the count the public localSteps x batchSize (0 when not training).
   * @throws PrivacyStateWriteError when the spending cannot be saved (nothing is trained then)
   */
  async train (trainer: PrivateTrainerCalls, weights: Float32Array, options: TrainCallOptions = {}): Promise<{ weights: Float32Array, loss: number, sampleCount: number }> {
    if (this.exhausted) return { weights: weights.slice(), loss: 0, sampleCount: 0 }
    const spent = spendSteps(this.#budget, this.plan.stepsPerRound)
    await savePrivacyState(this.#dataDir, spent)
    this.#budget = spent
    const { clipNorm, noiseMultiplier } = this.plan
    if (this.plan.mode === 'dp-sgd') {
      const trained = await trainer.trainPrivately(weights, { clipNorm, noiseMultiplier }, options)
      return { weights: trained.weights, loss: 0, sampleCount: trained.steps * this.#batchSize }
    }
    const trained = await trainer.train(weights, undefined, options)
    return { weights: privatiseUpdate(weights, trained.weights, clipNorm, noiseMultiplier), loss: 0, sampleCount: trained.sampleCount }
  }

  /** What the node's announcements carry: epsilon spent so far, delta, sigma. */
  announced (): AnnouncedPrivacy {
    return { epsilon: epsilonSpent(this.#budget).epsilon, delta: this.plan.delta, noiseMultiplier: this.plan.noiseMultiplier }
  }

  /** The accountant's state for the ledger's `privacy` entry of a round it trained: parameters, steps spent and the epsilon they spend. */
  account (): PrivacyAccount {
    const { mode, noiseMultiplier, clipNorm, samplingRate, stepsPerRound, delta } = this.plan
    return {
      mechanism: mode, noiseMultiplier, clipNorm, samplingRate, steps: stepsPerRound, stepsSpent: this.#budget.stepsSpent, delta,
      epsilon: epsilonSpent(this.#budget).epsilon
    }
  }

  status (): PrivacyStatus {
    const { mode, epsilonBudget, delta, noiseMultiplier, samplingRate, clipNorm, onBudgetExhausted } = this.plan
    return {
      mode, epsilonSpent: epsilonSpent(this.#budget).epsilon, epsilonBudget, delta, noiseMultiplier, samplingRate, clipNorm,
      stepsSpent: this.#budget.stepsSpent, remainingSteps: remainingSteps(this.#budget), exhausted: this.exhausted, onBudgetExhausted
    }
  }
}
