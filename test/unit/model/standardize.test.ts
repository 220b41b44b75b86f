import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRng, describeShard, featureValues, loadTrainingShard, standardizer } from '../../../src/model/index.ts'
import { InProcessTrainer } from '../../../src/model/tfjs.ts'
import type { TrainerOptions } from '../../../src/model/index.ts'

import { tempDir } from './fixtures.ts'

describe('model/standardising CSV features', () => {
  let dir: string
  let remove: () => void
  beforeEach(() => { ({ dir, remove } = tempDir()) })
  afterEach(() => { remove() })

  it('scales each feature by the reference mean and population sd; a constant feature is only centred', () => {
    // Feature 0: 1 and 3 -> mean 2, sd 1. Feature 1: 10 and 10 -> mean 10, sd 0 (taken as 1).
    const reference = { x: Float32Array.from([1, 10, 3, 10]), y: Int32Array.from([0, 1]), count: 2 }
    const scale = standardizer(reference, 2)
    assert.deepEqual(scale(reference).x, Float32Array.from([-1, 0, 1, 0]))
    assert.deepEqual(scale({ x: Float32Array.from([5, 12]), y: Int32Array.from([0]), count: 1 }).x, Float32Array.from([3, 2]))
    assert.deepEqual([...reference.x], [1, 10, 3, 10], 'the reference is not changed')
  })

  /**
   * Two classes told apart by feature "a" alone, in the thousands: a = 5000 + 1000 * class + noise
   * in [-300, 300]; feature "b" is noise in units.
   */
  function unscaledCsv (rows: number): string {
    const rng = createRng(7)
    const lines = ['a,b,label']
    for (let i = 0; i < rows; i++) {
      const label = i % 2
      lines.push(`${(5000 + 1000 * label + (rng.next() - 0.5) * 600).toFixed(1)},${(rng.next() * 3).toFixed(3)},${label}`)
    }
    const path = join(dir, 'unscaled.csv')
    writeFileSync(path, lines.join('\n') + '\n')
    return path
  }

  function options (path: string, standardize: boolean): TrainerOptions {
    return {
      model: { inputSize: 2, hiddenLayers: [{ type: 'dense', units: 8, activation: 'relu' }], classes: 2 },
      training: { localSteps: 200, batchSize: 32, learningRate: 0.2, initSeed: 1 },
      data: { kind: 'csv', path, labelColumn: 'label' },
      shard: { index: 0, count: 1 },
      backend: 'cpu',
      standardize
    }
  }

  it('standardises a CSV shard from its own train rows by default, and not when turned off', () => {
    const path = unscaledCsv(500)
    const shard = loadTrainingShard(options(path, true))
    assert.equal(shard.standardized, true)
    for (const f of [0, 1]) {
      const values = Array.from({ length: shard.train.count }, (_, i) => featureValues(shard.train.x, i * 2 + f, i * 2 + f + 1)[0] as number)
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
      assert.ok(Math.abs(mean) < 1e-4 && Math.abs(sd - 1) < 1e-3, `feature ${f}: mean ${mean}, sd ${sd}`)
    }
    const raw = loadTrainingShard(options(path, false))
    assert.equal(raw.standardized, false)
    assert.ok((featureValues(raw.train.x, 0, 1)[0] as number) > 4000)
    assert.equal(raw.fingerprint, shard.fingerprint, 'the fingerprint names the data, not its scaling')
  })

  it('unscaled features train to chance; standardised, the same data is learnt', async () => {
    const path = unscaledCsv(500)
    const accuracy = async (standardize: boolean): Promise<number> => {
      const trainer = await InProcessTrainer.start(options(path, standardize))
      try {
        const { weights } = await trainer.train(trainer.initialWeights())
        return (await trainer.evaluate(weights, 'test')).accuracy
      } finally {
        await trainer.close()
      }
    }
    const [raw, scaled] = [await accuracy(false), await accuracy(true)]
    assert.ok(raw <= 0.65, `unscaled: ${raw}`)
    assert.ok(scaled >= 0.95, `standardised: ${scaled}`)
  })

  it('says how many rows train, are held out and are in the common test part', () => {
    assert.equal(describeShard('csv:d.csv:label', { index: 1, count: 4 }, { train: 90, holdout: 10, test: 25, standardized: true }),
      'data csv:d.csv:label: shard 1/4: 90 rows train, 10 held out to measure this node\'s model (10%), 25 in the data set\'s common test part (never trained on); features standardised (mean 0, sd 1) from this node\'s 90 train rows')
  })
})
