import { join } from 'node:path'
import { createAggregator } from '../aggregation/index.ts'
import { ConfigError, InputError, RuntimeFailure } from '../errors/index.ts'
import { ModelStore, aggregateInputs, ledgerPaths } from '../ledger/index.ts'
import type { AnyLedgerEntry, LedgerEntry } from '../ledger/index.ts'
import { boolean, integerIn, readConfigFile, readManifestFile, reproduceTraining, resolveConfig, resolveSettings, settingsHelp, trainerOptionsOf } from '../node/index.ts'
import type { ReproducedTraining } from '../node/index.ts'
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
    help: 'the round to reproduce', parse: integerIn(0, Number.MAX_SAFE_INTEGER), persistent: false
  },
  training: {
    kind: 'boolean', default: true as boolean, defaultText: 'on', allowed: 'on or off (--no-training)', parse: boolean,
    help: 're-run the round\'s local training on the node\'s own data (--no-training: the aggregate only, e.g. without the data)', persistent: false
  },
  json: JSON_OPTION
} as const

const HELP = `usage: meshtrain ledger reproduce --data-dir DIR --round R [--no-training] [--json]

Recomputes round R's aggregate from the input models held in DIR/models/ (the node's own model
first, then the peers' in peer id order, as the round took them) with the rule and options the
log recorded, and compares the output's SHA-256 with the recorded one, bit for bit. Then re-runs
the round's local training: from the recorded start model, on the data the node's settings load
(checked against the recorded data commitment), with the recorded steps, batch size, learning
rate, batch seed and backend, and compares the trained model's SHA-256 with the recorded one.
Exit 0 when both match, 1 when either differs or a model is no longer held (inputs are kept 100
rounds). A node on a private network draws its DP-SGD batches and noise (or its update-clip
noise) from the CSPRNG: its training cannot be reproduced bit for bit, by design, and is not
re-run; the command says so and reproduces the aggregate alone (meshtrain ledger verify checks
the epsilon each round recorded).

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
  const entry = entries.findLast((e): e is LedgerEntry<'aggregate'> => e.kind === 'aggregate' && e.body.round === round && e.body.output !== null)
  if (entry?.body.output == null) throw new ConfigError('round', `--round ${round}: no aggregate recorded for that round (the node kept its own model, caught up past it, or has not run it)`)
  const { rule, options, output } = entry.body
  const inputs = aggregateInputs(entry.body)
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

/**
 * Why the training of `round` on a private network is not re-run, from its `privacy` entry: noise
 * from the CSPRNG; or, without one, the node did not train on its data that round.
 */
export function privateTrainingNote (entries: readonly AnyLedgerEntry[], round: number): string {
  const record = entries.findLast((e): e is LedgerEntry<'privacy'> => e.kind === 'privacy' && e.body.round === round)
  if (record === undefined) return 'a node on a private network that recorded no privacy entry for this round: it did not train on its data then (its budget was spent), so there is nothing to re-run'
  const { mechanism, noiseMultiplier, clipNorm } = record.body
  const random = mechanism === 'dp-sgd' ? 'its Poisson-sampled batches and Gaussian noise come' : 'its Gaussian noise comes'
  return `trained with ${mechanism} (noise multiplier ${noiseMultiplier}, clip norm ${clipNorm}; entry ${record.seq}): ${random} from the CSPRNG, so no run reproduces it bit for bit, by design; meshtrain ledger verify checks the epsilon it recorded`
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
  const round = options.round
  const hasAggregate = entries.some(e => e.kind === 'aggregate' && e.body.round === round && e.body.output !== null)
  const aggregate = hasAggregate ? await reproduceAggregate(entries, models, round) : undefined
  let training: ReproducedTraining | undefined
  let skipped: string | undefined
  if (options.training) {
    const manifest = await readManifestFile(join(dataDir, 'manifest.json'))
    if (manifest.privacy !== undefined) {
      if (entries.some(e => e.kind === 'training' && e.body.round === round)) skipped = privateTrainingNote(entries, round)
    } else {
      const config = resolveConfig({ file: await readConfigFile(dataDir), env: process.env, flags: { dataDir } })
      training = await reproduceTraining(entries, models, round, trainerOptionsOf(config, manifest), dataDir)
    }
  }
  if (aggregate === undefined && training === undefined && skipped === undefined) {
    throw new ConfigError('round', `--round ${round}: no aggregate recorded for that round (the node kept its own model, caught up past it, or has not run it)${options.training ? '' : '; --no-training leaves nothing to reproduce'}`)
  }
  if (options.json) process.stdout.write(JSON.stringify({ round, aggregate: aggregate ?? null, training: training ?? null, ...(skipped === undefined ? {} : { trainingSkipped: skipped }) }) + '\n')
  if (aggregate !== undefined && !aggregate.match) {
    throw new RuntimeFailure('not-reproduced', `round ${round}: ${aggregate.rule} over ${aggregate.inputs} inputs gives ${aggregate.recomputed}, the log recorded ${aggregate.recorded}${aggregate.maxDifference === null ? '' : ` (largest difference ${aggregate.maxDifference})`}`)
  }
  if (training !== undefined && !training.match) {
    throw new RuntimeFailure('not-reproduced', `round ${round}: re-training gives ${training.recomputed}, the log recorded ${training.recorded}${training.maxDifference === null ? '' : ` (largest difference ${training.maxDifference})`} on the ${training.backend} backend`)
  }
  if (options.json) return
  if (aggregate !== undefined) process.stdout.write(`round ${round}: ${aggregate.rule} over ${aggregate.inputs} inputs (entry ${aggregate.entry}) reproduces ${aggregate.recorded} bit for bit\n`)
  else process.stdout.write(`round ${round}: no aggregate (the node kept its own model)\n`)
  if (training !== undefined) {
    process.stdout.write(`round ${round}: training (entry ${training.entry}: ${training.steps} steps of ${training.batchSize}, learning rate ${training.learningRate}, seed ${training.seed}, ${training.backend}) reproduces ${training.recorded} bit for bit\n`)
  } else if (skipped !== undefined) {
    process.stdout.write(`round ${round}: training not re-run (${skipped})\n`)
  }
}
