import { createRng, datasetFingerprint } from '../src/model/index.ts'
import type { Examples, TrainingShard } from '../src/model/index.ts'
import type { ModelSpec } from '../src/protocol/index.ts'

/**
 * A training shard of seeded random features and classes for `model`, for benchmarks whose
 * timing does not depend on the data's values: `trainExamples` to train on, 10 held out and 10 to test.
 */
export function syntheticShard (model: ModelSpec, trainExamples: number, seed = 1): TrainingShard {
  const rng = createRng(seed)
  const examples = (count: number): Examples => ({
    x: Float32Array.from({ length: count * model.inputSize }, () => rng.next()),
    y: Int32Array.from({ length: count }, () => rng.int(model.classes)),
    count
  })
  const train = examples(trainExamples)
  return { features: model.inputSize, classes: model.classes, train, holdout: examples(10), test: examples(10), testCount: 10, fingerprint: datasetFingerprint(train, model.inputSize) }
}
