import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, RuntimeFailure } from '../errors/index.ts'
import { dataCommitment, ledgerPaths } from '../ledger/index.ts'
import type { AnyLedgerEntry, LedgerEntry, ModelStore } from '../ledger/index.ts'
import { ModelTrainer } from '../model/index.ts'
import type { BackendName, TrainerOptions } from '../model/index.ts'
import type { NetworkManifest } from '../protocol/index.ts'
import { encodeModelPayload, payloadHash } from '../protocol/index.ts'
import type { NodeConfig } from './config.ts'

/** What re-running a round's local training found. */
export interface ReproducedTraining {
  readonly round: number
  readonly entry: number
  readonly steps: number
  readonly batchSize: number
  readonly learningRate: number
  readonly seed: number
  readonly backend: string
  readonly recorded: string
  readonly recomputed: string
  readonly match: boolean
  /** Largest absolute difference between the re-trained and the recorded model, when the latter is held. */
  readonly maxDifference: number | null
}

/** The trainer options of a node: its data, shard and seed from `config`, the model and training from `manifest`. */
export function trainerOptionsOf (config: NodeConfig, manifest: NetworkManifest, labelMap: TrainerOptions['labelMap'] = 'identity'): TrainerOptions {
  return {
    model: manifest.model,
    training: manifest.training,
    data: config.data,
    shard: config.shard,
    partition: config.partition,
    seed: config.dataSeed,
    backend: config.backend,
    labelMap,
    standardize: config.standardize
  }
}

/**
 * Re-run round `round`'s local training as the ledger recorded it: from the recorded start model,
 * on the node's own data (checked against the recorded data commitment), with the recorded steps,
 * batch size, learning rate, batch seed and backend, in a trainer worker of its own; and compare
 * the trained model's SHA-256 with the recorded one.
 * @throws ConfigError when the round has no training entry or the data is not the round's; RuntimeFailure when the start model is no longer held.
 */
export async function reproduceTraining (
  entries: readonly AnyLedgerEntry[], models: ModelStore, round: number, options: TrainerOptions, dataDir: string, signal?: AbortSignal
): Promise<ReproducedTraining> {
  const entry = entries.findLast((e): e is LedgerEntry<'training'> => e.kind === 'training' && e.body.round === round)
  if (entry === undefined) throw new ConfigError('round', `--round ${round}: no training recorded for that round`)
  const { startModel, data, steps, batchSize, learningRate, seed, backend, model } = entry.body
  const start = await models.get(startModel)
  if (start === undefined) throw new RuntimeFailure('model-missing', `round ${round}: the start model ${startModel} is no longer held in models/`)
  const trainer = await ModelTrainer.start({
    ...options, training: { ...options.training, localSteps: steps, batchSize, learningRate }, backend: backend as BackendName
  }, signal === undefined ? {} : { signal })
  try {
    const salt = (await readFile(join(ledgerPaths(dataDir).dir, 'data-salt'), 'utf8')).trim()
    if (dataCommitment(salt, trainer.datasetFingerprint) !== data) {
      throw new ConfigError('data', `round ${round} trained on data with commitment ${data.slice(0, 12)}; the data this node's settings load now commits to another (the data set, shard, partition or seed changed)`)
    }
    const trained = await trainer.train(start, steps, { batchSeed: seed, ...(signal === undefined ? {} : { signal }) })
    const recomputed = payloadHash(encodeModelPayload(trained.weights))
    const held = await models.get(model)
    let maxDifference: number | null = null
    if (held !== undefined && held.length === trained.weights.length) {
      maxDifference = 0
      for (let i = 0; i < held.length; i++) maxDifference = Math.max(maxDifference, Math.abs((held[i] as number) - (trained.weights[i] as number)))
    }
    return { round, entry: entry.seq, steps, batchSize, learningRate, seed, backend, recorded: model, recomputed, match: recomputed === model, maxDifference }
  } finally {
    await trainer.close()
  }
}
