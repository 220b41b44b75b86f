/** A set of labelled examples, row-major. */
export interface Examples {
  /** `count * features` values; image pixels are scaled to [0, 1]. */
  readonly x: Float32Array
  /** `count` class labels, each in [0, classes). */
  readonly y: Int32Array
  readonly count: number
}

/** A data set split into the part nodes train on and the common test part. */
export interface Dataset {
  /** Values per example. */
  readonly features: number
  /** Number of classes: one more than the largest label seen. */
  readonly classes: number
  readonly train: Examples
  readonly test: Examples
}

/** The examples at `indices`, in that order, as a new set. */
export function selectExamples (examples: Examples, features: number, indices: ArrayLike<number>): Examples {
  const x = new Float32Array(indices.length * features)
  const y = new Int32Array(indices.length)
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i] as number
    x.set(examples.x.subarray(row * features, (row + 1) * features), i * features)
    y[i] = examples.y[row] as number
  }
  return { x, y, count: indices.length }
}
