/**
 * Feature values, row-major: float32, or {@link CodedFeatures}. Read them with
 * {@link featureValues} or {@link copyFeatures}, which give the same float32 values either way.
 */
export type Features = Float32Array | CodedFeatures

/**
 * Feature values as one byte each, the index of the value in a table of at most 256: the built-in
 * MNIST set's pixels take exactly 256 values, so a node holds its shard in a quarter of the memory
 * of float32 (the worker's memory, `npm run bench:memory`) and expands a batch at a time.
 */
export interface CodedFeatures {
  readonly codes: Uint8Array
  /** The float32 value of each code. */
  readonly values: Float32Array
}

/** A set of labelled examples, row-major. */
export interface Examples {
  /** `count * features` values; image pixels are scaled to [0, 1]. */
  readonly x: Features
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

/** The examples at `indices`, in that order, as a new set (coded if `examples` is, with the same table). */
export function selectExamples (examples: Examples, features: number, indices: ArrayLike<number>): Examples {
  const source = examples.x
  const x: Features = source instanceof Float32Array
    ? new Float32Array(indices.length * features)
    : { codes: new Uint8Array(indices.length * features), values: source.values }
  const from = source instanceof Float32Array ? source : source.codes
  const to = x instanceof Float32Array ? x : x.codes
  const y = new Int32Array(indices.length)
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i] as number
    to.set(from.subarray(row * features, (row + 1) * features), i * features)
    y[i] = examples.y[row] as number
  }
  return { x, y, count: indices.length }
}

/** How many values `x` holds. */
export function featureLength (x: Features): number {
  return x instanceof Float32Array ? x.length : x.codes.length
}

/** Values `start` to `end` of `x` as float32: a view of `x` itself when it is float32, else a new array. */
export function featureValues (x: Features, start: number, end: number): Float32Array {
  if (x instanceof Float32Array) return x.subarray(start, end)
  const values = new Float32Array(end - start)
  copyFeatures(x, start, end, values, 0)
  return values
}

/** Copy values `start` to `end` of `x` into `target`, from `offset` on, as float32. */
export function copyFeatures (x: Features, start: number, end: number, target: Float32Array, offset: number): void {
  if (x instanceof Float32Array) {
    target.set(x.subarray(start, end), offset)
    return
  }
  const { codes, values } = x
  for (let i = start; i < end; i++) target[offset + i - start] = values[codes[i] as number] as number
}
