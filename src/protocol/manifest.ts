import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { InputError } from '../errors/index.ts'
import { DEFAULT_MODEL_ENCODING, MODEL_ENCODINGS } from './model-encoding.ts'
import type { ModelEncoding } from './model-encoding.ts'

/** One hidden layer of the network's model. */
export interface DenseLayerSpec {
  readonly type: 'dense'
  readonly units: number
  readonly activation: 'relu' | 'tanh' | 'sigmoid' | 'linear'
}

/** The model every member trains: a dense classifier over flat inputs. */
export interface ModelSpec {
  /** Number of input features, e.g. 784 for 28x28 images. */
  readonly inputSize: number
  /** Hidden layers, in order; the softmax output layer of `classes` units is implied. */
  readonly hiddenLayers: readonly DenseLayerSpec[]
  readonly classes: number
  /**
   * How models travel (src/protocol/model-encoding.ts): `float16` halves the bytes per round,
   * `int8` (per-block scales) cuts them about 4x, at some accuracy. Absent: `float32`, exact; left
   * out of a parsed manifest when `float32`, so networks without it keep their network id.
   */
  readonly encoding?: Exclude<ModelEncoding, 'float32'>
}

/** Local training hyper-parameters, the same on every member. */
export interface TrainingSpec {
  /** Mini-batch SGD steps per round. */
  readonly localSteps: number
  readonly batchSize: number
  readonly learningRate: number
  /** Seed of the initial model, so every member starts from the same weights. */
  readonly initSeed: number
}

/**
 * The aggregation rule and its options, as the aggregation registry reads them:
 * `{ "rule": "trimmed-mean", "b": 1, "nnm": true }`, `{ "rule": "median", "f": 2 }`, ...
 */
export type AggregationSpec = Readonly<Record<string, unknown>> & { readonly rule: string }

/** How rounds advance. */
export interface RoundSpec {
  /** Peer models (besides the node's own) that close a round early. */
  readonly quorum: number
  /** A round closes with what it has this many milliseconds after the node announced. */
  readonly deadlineMs: number
  /** Announcements for rounds within this distance of the node's own are kept. */
  readonly window: number
  /**
   * Peers sampled per round (docs/design.md, scale mode): each round a node fetches and aggregates only
   * this many peers' models, drawn uniformly with a seeded generator, and the quorum counts within
   * the sample. Absent or 0: aggregate every peer (what one gossipsub topic gives). Left out of a
   * parsed manifest when 0, so networks without it keep their network id.
   */
  readonly fanout?: number
}

/** Privacy modes of a network; `off` is the absence of a `privacy` section. */
export const PRIVACY_MODES = ['off', 'dp-sgd', 'update-clip'] as const

/** What a node does once its privacy budget is spent. */
export const BUDGET_EXHAUSTED_ACTIONS = ['stop', 'relay'] as const

/**
 * Record-level differential privacy, the same on every member (issue 15; accounting in
 * src/privacy). `dp-sgd`: every local step is DP-SGD (Abadi et al. 2016, "Deep Learning with
 * Differential Privacy", https://arxiv.org/abs/1607.00133): Poisson sampling at rate
 * `training.batchSize` / local records, per-example gradients clipped to L2 norm `clipNorm`,
 * Gaussian noise of standard deviation `noiseMultiplier` x `clipNorm`, accounted by the RDP of the
 * sampled Gaussian mechanism (Mironov, Talwar and Zhang 2019). `update-clip`: the round's model
 * change is clipped to `clipNorm` and noised instead (as DP-FedAvg, McMahan et al. 2018,
 * https://arxiv.org/abs/1710.06963), which protects a node's whole data set per round, not a record.
 */
export interface PrivacySpec {
  readonly mode: Exclude<(typeof PRIVACY_MODES)[number], 'off'>
  /** The epsilon each node may spend in all, > 0. */
  readonly epsilonBudget: number
  /** The delta of the guarantee, in (0, 1); a node with N local records needs delta < 1 / N. */
  readonly delta: number
  /** The L2 clipping norm C, > 0. */
  readonly clipNorm: number
  /**
   * sigma, the noise's standard deviation over `clipNorm`; `"auto"`: each node takes the smallest
   * sigma that keeps `plannedRounds` rounds within the budget at its own sampling rate.
   */
  readonly noiseMultiplier: number | 'auto'
  /** With `noiseMultiplier: "auto"` only: the rounds the budget must last. */
  readonly plannedRounds?: number
  /** `stop`: stop training; `relay`: keep aggregating and announcing peers' models without touching the data. */
  readonly onBudgetExhausted: (typeof BUDGET_EXHAUSTED_ACTIONS)[number]
}

/** Largest `privacy.epsilonBudget`: beyond it a guarantee says nothing. */
export const MAX_EPSILON_BUDGET = 1000

/** Largest `privacy.clipNorm`. */
export const MAX_CLIP_NORM = 1e6

/** Largest numeric `privacy.noiseMultiplier`: noise a million times the clipping norm drowns any update. */
export const MAX_MANIFEST_NOISE_MULTIPLIER = 1e6

/** Largest `privacy.plannedRounds`. */
export const MAX_PLANNED_ROUNDS = 100_000_000

/** What a consortium agrees on; its canonical hash is the network id. */
export interface NetworkManifest {
  readonly name: string
  readonly model: ModelSpec
  readonly training: TrainingSpec
  readonly aggregation: AggregationSpec
  readonly rounds: RoundSpec
  /** Peer ids allowed to join; empty means anyone holding the network's key (or anyone, if open). */
  readonly members: readonly string[]
  /**
   * Differential privacy; absent means off. Left out of a parsed manifest when off, so networks
   * without privacy keep their network id.
   */
  readonly privacy?: PrivacySpec
  /**
   * Peer ids that may sign the next manifest version (docs/wire.md, "Manifest versions"); absent
   * means the manifest can never change. Left out of the canonical form when absent, so networks
   * without admins keep their network id.
   */
  readonly admins?: readonly string[]
  /** Admin signatures a next version needs; absent means a majority of `admins`. */
  readonly threshold?: number
}

/** A manifest that names a bad setting. */
export class ManifestError extends InputError {
  readonly setting: string
  /** What is wrong with the setting, without the prefix. */
  readonly reason: string
  /** @param file the manifest file, when the manifest came from one: named in the message. */
  constructor (setting: string, reason: string, file?: string) {
    super('bad-manifest', `manifest${file === undefined ? '' : ` ${file}`}: ${setting}: ${reason}`)
    this.setting = setting
    this.reason = reason
  }
}

/**
 * The built-in network: a small dense classifier on the built-in MNIST digits, combined by the
 * coordinate-wise trimmed mean after nearest-neighbour mixing behind the peer-alignment memory at
 * threshold -0.1 (chosen by bench/robustness.md: the best worst case over the matrix's attacks; b
 * is the Byzantine peers to survive, a network's own setting).
 */
export const DEFAULT_MANIFEST: NetworkManifest = deepFreeze({
  name: 'meshtrain-mnist',
  model: { inputSize: 784, hiddenLayers: [{ type: 'dense', units: 64, activation: 'relu' }], classes: 10 },
  training: { localSteps: 20, batchSize: 32, learningRate: 0.2, initSeed: 1 },
  aggregation: { rule: 'trimmed-mean', b: 1, nnm: true, alignmentThreshold: -0.1 },
  rounds: { quorum: 2, deadlineMs: 15_000, window: 2 },
  members: []
})

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear'] as const

/** Most peer ids a member list may hold: the connection gater keeps them in memory. */
export const MAX_MEMBERS = 10_000

/** Largest `model.inputSize`, features (2^24). */
export const MAX_INPUT_SIZE = 2 ** 24

/** Largest `model.hiddenLayers[].units` and `model.classes`, units (2^16). */
export const MAX_LAYER_UNITS = 2 ** 16

/** Fewest `model.classes`: a classifier needs two. */
export const MIN_CLASSES = 2

/** Largest `training.batchSize`, examples per step (2^16). */
export const MAX_BATCH_SIZE = 2 ** 16

/**
 * Largest `training.localSteps`, SGD steps per round: 100,000 steps of the built-in model take
 * minutes; a million would keep a node from its peers' rounds for an hour and more.
 */
export const MAX_LOCAL_STEPS = 100_000

/**
 * Largest model, float32 parameters (2^24, a 64 MiB payload): a node keeps its last 8 payloads to
 * serve, its trainer's copy and the models of a round's peers, so this already means gigabytes.
 */
export const MAX_PARAMETERS = 2 ** 24

/** Longest `name`, characters. */
export const MAX_NAME_LENGTH = 256

/** The keys a manifest may have at the top level; any other is refused (a misspelt key must not be ignored). */
export const MANIFEST_KEYS = ['name', 'model', 'training', 'aggregation', 'rounds', 'members', 'privacy', 'admins', 'threshold'] as const

/** Most admins a manifest may name: every version carries up to this many signatures. */
export const MAX_ADMINS = 100

/** Largest `training.learningRate` (which must also be above 0). */
export const MAX_LEARNING_RATE = 100

/** Largest `training.initSeed` (2^31 − 1, the largest positive int32). */
export const MAX_INIT_SEED = 2 ** 31 - 1

/**
 * Largest `rounds.quorum` and `rounds.fanout`, peers. The same value as {@link MAX_MEMBERS} but a
 * separate bound: it limits peers counted per round, not a stored list.
 */
export const MAX_ROUND_PEERS = 10_000

/** Shortest `rounds.deadlineMs`, ms. */
export const MIN_DEADLINE_MS = 100

/** Longest `rounds.deadlineMs`, ms (24 hours). */
export const MAX_DEADLINE_MS = 86_400_000

/** Largest `rounds.window`, rounds. */
export const MAX_WINDOW = 1000

/** Length of a network id, hex characters (the first 16 bytes of a SHA-256). */
export const NETWORK_ID_HEX_LENGTH = 32

/** What a network id looks like: {@link NETWORK_ID_HEX_LENGTH} lower-case hex characters. */
export const NETWORK_ID_PATTERN = new RegExp(`^[0-9a-f]{${NETWORK_ID_HEX_LENGTH}}$`)

function isPeerId (text: string): boolean {
  try {
    return peerIdFromString(text).toString() === text
  } catch {
    return false
  }
}

/**
 * Validate untrusted JSON into a frozen manifest.
 * @throws ManifestError naming the first bad setting, its value and what is allowed.
 */
export function parseManifest (json: unknown): NetworkManifest {
  const root = asObject(json, '(root)')
  knownKeys(root, '', MANIFEST_KEYS)
  const model = asObject(root.model, 'model')
  knownKeys(model, 'model.', ['inputSize', 'hiddenLayers', 'classes', 'encoding'])
  const training = asObject(root.training, 'training')
  knownKeys(training, 'training.', ['localSteps', 'batchSize', 'learningRate', 'initSeed'])
  const rounds = asObject(root.rounds, 'rounds')
  knownKeys(rounds, 'rounds.', ['quorum', 'deadlineMs', 'window', 'fanout'])
  const aggregation = asObject(root.aggregation, 'aggregation')
  if (typeof aggregation.rule !== 'string' || aggregation.rule === '') {
    throw new ManifestError('aggregation.rule', `got ${show(aggregation.rule)}, expected a rule name such as "median"`)
  }
  const hidden = root.model === undefined ? [] : (model.hiddenLayers ?? [])
  if (!Array.isArray(hidden)) throw new ManifestError('model.hiddenLayers', `got ${show(hidden)}, expected an array of layers`)
  const members = root.members ?? []
  if (!Array.isArray(members) || !members.every(m => typeof m === 'string')) {
    throw new ManifestError('members', `got ${show(members)}, expected an array of peer id strings`)
  }
  if (members.length > MAX_MEMBERS) throw new ManifestError('members', `${members.length} members, at most ${MAX_MEMBERS}`)
  members.forEach((member: string, i: number) => {
    if (!isPeerId(member)) throw new ManifestError(`members[${i}]`, `got ${show(member)}, expected a peer id such as 12D3KooW...`)
  })
  if (new Set(members).size !== members.length) throw new ManifestError('members', 'lists a peer id twice')
  if (typeof root.name !== 'string' || root.name === '' || root.name.length > MAX_NAME_LENGTH) {
    throw new ManifestError('name', `got ${show(root.name)}, expected a non-empty string of at most ${MAX_NAME_LENGTH} characters`)
  }
  const parsed: NetworkManifest = {
    name: root.name,
    model: {
      inputSize: int(model.inputSize, 'model.inputSize', 1, MAX_INPUT_SIZE),
      hiddenLayers: hidden.map((layer: unknown, i: number) => {
        const l = asObject(layer, `model.hiddenLayers[${i}]`)
        knownKeys(l, `model.hiddenLayers[${i}].`, ['type', 'units', 'activation'])
        if (l.type !== 'dense') throw new ManifestError(`model.hiddenLayers[${i}].type`, `got ${show(l.type)}, allowed: "dense"`)
        if (!ACTIVATIONS.includes(l.activation as never)) {
          throw new ManifestError(`model.hiddenLayers[${i}].activation`, `got ${show(l.activation)}, allowed: ${ACTIVATIONS.join(', ')}`)
        }
        return { type: 'dense' as const, units: int(l.units, `model.hiddenLayers[${i}].units`, 1, MAX_LAYER_UNITS), activation: l.activation as DenseLayerSpec['activation'] }
      }),
      classes: int(model.classes, 'model.classes', MIN_CLASSES, MAX_LAYER_UNITS),
      ...encodingOf(model.encoding)
    },
    training: {
      localSteps: int(training.localSteps, 'training.localSteps', 1, MAX_LOCAL_STEPS),
      batchSize: int(training.batchSize, 'training.batchSize', 1, MAX_BATCH_SIZE),
      learningRate: num(training.learningRate, 'training.learningRate', 0, MAX_LEARNING_RATE),
      initSeed: int(training.initSeed, 'training.initSeed', 0, MAX_INIT_SEED)
    },
    aggregation: { ...aggregation, rule: aggregation.rule },
    rounds: {
      quorum: int(rounds.quorum, 'rounds.quorum', 0, MAX_ROUND_PEERS),
      deadlineMs: int(rounds.deadlineMs, 'rounds.deadlineMs', MIN_DEADLINE_MS, MAX_DEADLINE_MS),
      window: int(rounds.window, 'rounds.window', 0, MAX_WINDOW),
      ...fanoutOf(rounds.fanout)
    },
    members: [...members].sort(),
    ...privacyOf(root.privacy),
    ...adminsOf(root.admins, root.threshold)
  }
  const parameters = parameterCount(parsed.model)
  if (parameters > MAX_PARAMETERS) {
    throw new ManifestError('model', `${parameters} parameters (inputSize, hiddenLayers and classes), at most ${MAX_PARAMETERS}`)
  }
  return deepFreeze(parsed)
}

/**
 * Admin signatures a next version of `manifest` needs: its `threshold`, else a majority of its
 * admins; Infinity when it names no admins (it can never change).
 */
export function adminThreshold (manifest: Pick<NetworkManifest, 'admins' | 'threshold'>): number {
  const admins = manifest.admins ?? []
  if (admins.length === 0) return Infinity
  return manifest.threshold ?? Math.floor(admins.length / 2) + 1
}

function adminsOf (admins: unknown, threshold: unknown): { admins?: string[], threshold?: number } {
  if (admins === undefined) {
    if (threshold !== undefined) throw new ManifestError('threshold', 'only with admins')
    return {}
  }
  if (!Array.isArray(admins) || admins.length === 0 || admins.length > MAX_ADMINS) {
    throw new ManifestError('admins', `got ${show(admins)}, expected an array of 1 to ${MAX_ADMINS} peer ids`)
  }
  admins.forEach((admin: unknown, i: number) => {
    if (typeof admin !== 'string' || !isPeerId(admin)) throw new ManifestError(`admins[${i}]`, `got ${show(admin)}, expected a peer id such as 12D3KooW...`)
  })
  if (new Set(admins).size !== admins.length) throw new ManifestError('admins', 'lists a peer id twice')
  return {
    admins: [...admins as string[]].sort(),
    ...(threshold === undefined ? {} : { threshold: int(threshold, 'threshold', 1, admins.length) })
  }
}

function knownKeys (object: Record<string, unknown>, prefix: string, known: readonly string[]): void {
  const unknown = Object.keys(object).find(k => !known.includes(k))
  if (unknown !== undefined) throw new ManifestError(`${prefix}${show(unknown)}`, `unknown setting; known: ${known.join(', ')}`)
}

const PRIVACY_KEYS = ['mode', 'epsilonBudget', 'delta', 'clipNorm', 'noiseMultiplier', 'plannedRounds', 'onBudgetExhausted']

/**
 * The `privacy` section, strictly: unknown keys are refused (a misspelt privacy setting must not
 * fall back to a default), and mode `off` takes no other key. Off parses to no section at all.
 */
function privacyOf (value: unknown): { privacy?: PrivacySpec } {
  if (value === undefined) return {}
  const privacy = asObject(value, 'privacy')
  const unknown = Object.keys(privacy).find(k => !PRIVACY_KEYS.includes(k))
  if (unknown !== undefined) throw new ManifestError(`privacy.${unknown}`, `unknown setting; known: ${PRIVACY_KEYS.join(', ')}`)
  const mode = privacy.mode
  if (!PRIVACY_MODES.includes(mode as never)) throw new ManifestError('privacy.mode', `got ${show(mode)}, allowed: ${PRIVACY_MODES.join(', ')}`)
  if (mode === 'off') {
    const other = Object.keys(privacy).find(k => k !== 'mode')
    if (other !== undefined) throw new ManifestError(`privacy.${other}`, 'only with mode dp-sgd or update-clip')
    return {}
  }
  const onBudgetExhausted = privacy.onBudgetExhausted ?? 'stop'
  if (!BUDGET_EXHAUSTED_ACTIONS.includes(onBudgetExhausted as never)) {
    throw new ManifestError('privacy.onBudgetExhausted', `got ${show(onBudgetExhausted)}, allowed: ${BUDGET_EXHAUSTED_ACTIONS.join(', ')}`)
  }
  const sigma = privacy.noiseMultiplier
  if (sigma !== 'auto' && (typeof sigma !== 'number' || !(sigma > 0 && sigma <= MAX_MANIFEST_NOISE_MULTIPLIER))) {
    throw new ManifestError('privacy.noiseMultiplier', `got ${show(sigma)}, expected "auto" or a number above 0 and at most ${MAX_MANIFEST_NOISE_MULTIPLIER}`)
  }
  const noiseMultiplier = sigma
  if (noiseMultiplier !== 'auto' && privacy.plannedRounds !== undefined) throw new ManifestError('privacy.plannedRounds', 'only with noiseMultiplier "auto"')
  const delta = num(privacy.delta, 'privacy.delta', 0, 1)
  if (delta >= 1) throw new ManifestError('privacy.delta', `got ${show(delta)}, expected a number above 0 and below 1`)
  return {
    privacy: {
      mode: mode as PrivacySpec['mode'],
      epsilonBudget: num(privacy.epsilonBudget, 'privacy.epsilonBudget', 0, MAX_EPSILON_BUDGET),
      delta,
      clipNorm: num(privacy.clipNorm, 'privacy.clipNorm', 0, MAX_CLIP_NORM),
      noiseMultiplier,
      ...(noiseMultiplier === 'auto' ? { plannedRounds: int(privacy.plannedRounds, 'privacy.plannedRounds', 1, MAX_PLANNED_ROUNDS) } : {}),
      onBudgetExhausted: onBudgetExhausted as PrivacySpec['onBudgetExhausted']
    }
  }
}

/** Number of float32 parameters of the manifest's model (weights and biases of every layer). */
export function parameterCount (model: ModelSpec): number {
  let inputs = model.inputSize
  let total = 0
  for (const units of [...model.hiddenLayers.map(l => l.units), model.classes]) {
    total += inputs * units + units
    inputs = units
  }
  return total
}

/**
 * JSON with object keys sorted at every level and no white space, so equal manifests hash equally
 * whatever order their author wrote the keys in.
 */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** The network id: the first 16 bytes of the SHA-256 of the canonical manifest, hex (32 characters). */
export function networkId (manifest: NetworkManifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex').slice(0, NETWORK_ID_HEX_LENGTH)
}

/** The network's `model.encoding`, `float32` when absent. */
export function modelEncoding (model: ModelSpec): ModelEncoding {
  return model.encoding ?? DEFAULT_MODEL_ENCODING
}

function encodingOf (value: unknown): { encoding?: Exclude<ModelEncoding, 'float32'> } {
  if (value === undefined || value === DEFAULT_MODEL_ENCODING) return {}
  if (!MODEL_ENCODINGS.includes(value as never)) {
    throw new ManifestError('model.encoding', `got ${show(value)}, allowed: ${MODEL_ENCODINGS.map(e => `"${e}"`).join(', ')}`)
  }
  return { encoding: value as Exclude<ModelEncoding, 'float32'> }
}

function fanoutOf (value: unknown): { fanout?: number } {
  const fanout = value === undefined ? 0 : int(value, 'rounds.fanout', 0, MAX_ROUND_PEERS)
  return fanout === 0 ? {} : { fanout }
}

function asObject (value: unknown, setting: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ManifestError(setting, `got ${show(value)}, expected an object`)
  }
  return value as Record<string, unknown>
}

function int (value: unknown, setting: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ManifestError(setting, `got ${show(value)}, expected an integer from ${min} to ${max}`)
  }
  return value
}

function num (value: unknown, setting: string, minExclusive: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= minExclusive || value > max) {
    throw new ManifestError(setting, `got ${show(value)}, expected a number above ${minExclusive} and at most ${max}`)
  }
  return value
}

/** Longest value a message quotes, characters: a 10 MB name must not become a 10 MB line. */
const MAX_QUOTED_CHARS = 80

/** A value for a message, as JSON (so on one line), cut to {@link MAX_QUOTED_CHARS}. */
function show (value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value)
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS - 3)}...` : text
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
