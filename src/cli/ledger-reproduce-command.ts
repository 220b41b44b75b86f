import { createAggregator } from '../aggregation/index.ts'
import { ConfigError, InputError, RuntimeFailure } from '../errors/index.ts'
import { ModelStore, ledgerPaths } from '../ledger/index.ts'
import type { AnyLedgerEntry, LedgerEntry } from '../ledger/index.ts'
import { InProcessTrainer, parseBackendChoice, roundSeed } from '../model/index.ts'
import { boolean, dataDirPaths, integerIn, readConfigFile, readManifestFile, resolveConfig, resolveSettings, settingsHelp } from '../node/index.ts'
import { encodeModelPayload, payloadHash } from '../protocol/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'
import { verifiedEntries } from './ledger-entries.ts'
import { JSON_OPTION } from './ledger-options.ts'

/** The settings of `meshtrain ledger reproduce` (flags only). */
export const LEDGER_REPRODUCE_SETTINGS = {
  dataDir: DATA_DIR_OPTION,
  round: {
    kind: 'integer', default: undefined as number | undefined, defaultText: 'required', arg: 'R', allowed: `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
    help: 'the round whose aggregate to recompute', parse: integerIn(0, Number.MAX_SAFE_INTEGER), persistent: false
  },
  training: {
    kind: 'boolean', default: false as boolean, defaultText: 'off', allowed: 'on or off',
    help: 'also re-run the round\'s local training on the node\'s own data (DIR/config.json) from the recorded start model and seed', parse: boolean, persistent: false
  },
  json: JSON_OPTION
} as const

const HELP = `usage: meshtrain ledger reproduce --data-dir DIR --round R [--json]

Recomputes round R's aggregate from the input models held in DIR/models/ (the node's own model
first, then the peers' in peer id order, as the round took them) with the rule and options the
log recorded, and compares the output's SHA-256 with the recorded one, bit for bit. Exit 0 when
they match, 1 when they differ or an input is no longer held (inputs are kept 100 rounds).
With --training it also re-runs the round's local training on the node's own data (the data,
shard, partition and seed of DIR/config.json), from the recorded start model with the recorded
steps, batch size, learning rate and backend and the round's batch seed, and compares the trained
model's SHA-256 with the recorded one. Rounds of a private network (DP-SGD draws its batches and
noise from the operating system's CSPRNG) cannot be re-run.

`

/** What reproducing a round's aggregate found. */
export interface ReproducedAggregate {
  readonly round: number
  readonly entry: number
  readonly rule: string
  readonly inputs: number
  readonly recorded: string
  readonly recomputed: string
  readonly match: boolean
  /** Largest absolute difference between the recomputed and the recorded output, when the latter is held. */
  readonly maxDifference: number | null
}

/**
 * Recompute the last aggregate the log recorded for `round`.
 * @throws ConfigError when the round has no aggregate; RuntimeFailure when an input is not held or does not match its hash.
 */
export async function reproduceAggregate (entries: readonly AnyLedgerEntry[], models: ModelStore, round: number): Promise<ReproducedAggregate> {
  const entry = entries.findLast((e): e is LedgerEntry<'aggregate'> => e.kind === 'aggregate' && e.body.round === round)
  if (entry === undefined) throw new ConfigError('round', `--round ${round}: no aggregate recorded for that round (the node kept its own model, caught up past it, or has not run it)`)
  const { rule, options, inputs, output } = entry.body
  const weights: Float32Array[] = []
  for (const [i, hash] of inputs.entries()) {
    const model = await models.get(hash)
    if (model === undefined) throw new RuntimeFailure('model-missing', `round ${round}: input ${i} (model ${hash}) is no longer held in models/`)
    if (payloadHash(encodeModelPayload(model)) !== hash) throw new RuntimeFailure('model-corrupt', `round ${round}: models/${hash} does not hash to its name`)
    weights.push(model)
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InputError('bad-ledger', `entry ${entry.seq}: aggregate options are not an object`)
  const aggregator = createAggregator({ ...(options as Record<string, unknown>), rule })
  const [own, ...peers] = weights as [Float32Array, ...Float32Array[]]
  const result = aggregator.aggregate(own, peers)
  const recomputed = payloadHash(encodeModelPayload(result))
  const held = await models.get(output)
  let maxDifference: number | null = null
  if (held !== undefined && held.length === result.length) {
    maxDifference = 0
    for (let i = 0; i < held.length; i++) maxDifference = Math.max(maxDifference, Math.abs((held[i] as number) - (result[i] as number)))
  }
  return { round, entry: entry.seq, rule, inputs: inputs.length, recorded: output, recomputed, match: recomputed === output, maxDifference }
}

/** What re-running a round's local training found. */
export interface ReproducedTraining {
  readonly round: number
  readonly entry: number
  readonly steps: number
  readonly backend: string
  readonly recorded: string
  readonly recomputed: string
  readonly match: boolean
  /** Largest absolute difference from the recorded trained model, when it is held. */
  readonly maxDifference: number | null
}

/**
 * Re-run the local training the log recorded for `round` on the node's own data.
 * @throws ConfigError when the round has no training entry or the network is private; RuntimeFailure when the start model is not held or the data settings no longer give the recorded seed.
 */
export async function reproduceTraining (dataDir: string, entries: readonly AnyLedgerEntry[], models: ModelStore, round: number): Promise<ReproducedTraining> {
  const entry = entries.findLast((e): e is LedgerEntry<'training'> => e.kind === 'training' && e.body.round === round)
  if (entry === undefined) throw new ConfigError('round', `--round ${round}: no local training recorded for that round`)
  const manifest = await readManifestFile(dataDirPaths(dataDir).manifest)
  if (manifest.privacy !== undefined) throw new ConfigError('training', `round ${round} trained with ${manifest.privacy.mode}: its batches and noise come from the CSPRNG and cannot be re-run`)
  const { startModel, steps, batchSize, learningRate, backend, seed, model } = entry.body
  const start = await models.get(startModel)
  if (start === undefined) throw new RuntimeFailure('model-missing', `round ${round}: the start model ${startModel} is no longer held in models/`)
  const config = resolveConfig({ file: await readConfigFile(dataDir), env: process.env, flags: { dataDir } })
  const trainer = await InProcessTrainer.start({
    model: manifest.model, training: { ...manifest.training, localSteps: steps, batchSize, learningRate },
    data: config.data, shard: config.shard, partition: config.partition, seed: config.dataSeed,
    backend: parseBackendChoice(backend), standardize: config.standardize
  })
  try {
    if (roundSeed(trainer.samplingSeed, round) !== seed) {
      throw new RuntimeFailure('data-changed', `round ${round}: the data settings of ${dataDir}/config.json give batch seed ${roundSeed(trainer.samplingSeed, round)}, the log recorded ${seed}`)
    }
    const trained = await trainer.train(start, steps, { round })
    const recomputed = payloadHash(encodeModelPayload(trained.weights))
    const held = await models.get(model)
    let maxDifference: number | null = null
    if (held !== undefined && held.length === trained.weights.length) {
      maxDifference = 0
      for (let i = 0; i < held.length; i++) maxDifference = Math.max(maxDifference, Math.abs((held[i] as number) - (trained.weights[i] as number)))
    }
    return { round, entry: entry.seq, steps, backend: trainer.backend, recorded: model, recomputed, match: recomputed === model, maxDifference }
  } finally {
    await trainer.close()
  }
}

/** `meshtrain ledger reproduce --round R`. */
export async function ledgerReproduceCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, LEDGER_REPRODUCE_SETTINGS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(LEDGER_REPRODUCE_SETTINGS)}\n`)
  const options = resolveSettings(LEDGER_REPRODUCE_SETTINGS, { flags })
  if (options.round === undefined) throw new ConfigError('round', '--round R is required')
  const dataDir = requireDataDir(flags)
  const entries = await verifiedEntries(dataDir)
  const models = new ModelStore(ledgerPaths(dataDir).models)
  const result = await reproduceAggregate(entries, models, options.round)
  const training = options.training ? await reproduceTraining(dataDir, entries, models, options.round) : undefined
  if (options.json) process.stdout.write(JSON.stringify(training === undefined ? result : { ...result, training }) + '\n')
  const difference = (d: number | null): string => (d === null ? '' : ` (largest difference ${d})`)
  if (!result.match) {
    throw new RuntimeFailure('not-reproduced', `round ${result.round}: ${result.rule} over ${result.inputs} inputs gives ${result.recomputed}, the log recorded ${result.recorded}${difference(result.maxDifference)}`)
  }
  if (!options.json) process.stdout.write(`round ${result.round}: ${result.rule} over ${result.inputs} inputs (entry ${result.entry}) reproduces ${result.recorded} bit for bit\n`)
  if (training !== undefined && !training.match) {
    throw new RuntimeFailure('not-reproduced', `round ${training.round}: local training (${training.steps} steps on ${training.backend}) gives ${training.recomputed}, the log recorded ${training.recorded}${difference(training.maxDifference)}`)
  }
  if (training !== undefined && !options.json) process.stdout.write(`round ${training.round}: local training (entry ${training.entry}, ${training.steps} steps on ${training.backend}) reproduces ${training.recorded} bit for bit\n`)
}
