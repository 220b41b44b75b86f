import * as tf from '@tensorflow/tfjs'
import type { DenseLayerSpec, ModelSpec } from '../protocol/index.ts'
import { parameterCount } from '../protocol/index.ts'
import { createRng } from './random.ts'

/** The shape of one dense layer of a model: its kernel is `inputs x units`, its bias `units`. */
export interface DenseLayerShape {
  readonly inputs: number
  readonly units: number
  readonly activation: DenseLayerSpec['activation'] | 'softmax'
}

/** Weights whose length does not match the model they are meant for. */
export class WeightsShapeError extends Error {
  readonly expected: number
  readonly actual: number
  constructor (expected: number, actual: number) {
    super(`weights have ${actual} parameters, the model has ${expected} (layer by layer: kernel row-major, then bias)`)
    this.name = 'WeightsShapeError'
    this.expected = expected
    this.actual = actual
  }
}

/** The layers of a manifest's model in order: its hidden layers, then the softmax output layer. */
export function layerShapes (model: ModelSpec): DenseLayerShape[] {
  const shapes: DenseLayerShape[] = []
  let inputs = model.inputSize
  for (const layer of model.hiddenLayers) {
    shapes.push({ inputs, units: layer.units, activation: layer.activation })
    inputs = layer.units
  }
  shapes.push({ inputs, units: model.classes, activation: 'softmax' })
  return shapes
}

/**
 * The model's starting weights, identical on every node and every backend for one seed:
 * Glorot-uniform kernels, U(-l, l) with l = sqrt(6 / (inputs + units))
 * (Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html), computed in JavaScript
 * from a seeded generator, and zero biases.
 * @param seed the manifest's `training.initSeed`.
 * @returns `parameterCount(model)` floats, layer by layer, kernel (row-major) then bias.
 */
export function initialWeights (model: ModelSpec, seed: number): Float32Array {
  const weights = new Float32Array(parameterCount(model))
  const rng = createRng(seed)
  let offset = 0
  for (const { inputs, units } of layerShapes(model)) {
    const limit = Math.sqrt(6 / (inputs + units))
    const kernelSize = inputs * units
    for (let i = 0; i < kernelSize; i++) weights[offset + i] = (2 * rng.next() - 1) * limit
    offset += kernelSize + units
  }
  return weights
}

/**
 * Check that `weights` fit `model`.
 * @throws WeightsShapeError when the length differs from `parameterCount(model)`.
 * @throws RangeError when a value is NaN or infinite.
 */
export function checkWeights (model: ModelSpec, weights: Float32Array): void {
  const expected = parameterCount(model)
  if (weights.length !== expected) throw new WeightsShapeError(expected, weights.length)
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new RangeError(`weights[${i}] is ${weights[i]}, expected a finite number`)
  }
}

/**
 * Upload flat weights as one kernel and one bias tensor per layer (kernel first). The caller owns
 * (and disposes) the tensors.
 * @throws WeightsShapeError when the length does not fit the model.
 */
export function weightsToTensors (model: ModelSpec, weights: Float32Array): tf.Tensor[] {
  const expected = parameterCount(model)
  if (weights.length !== expected) throw new WeightsShapeError(expected, weights.length)
  const tensors: tf.Tensor[] = []
  let offset = 0
  for (const { inputs, units } of layerShapes(model)) {
    tensors.push(tf.tensor2d(weights.subarray(offset, offset + inputs * units), [inputs, units]))
    offset += inputs * units
    tensors.push(tf.tensor1d(weights.subarray(offset, offset + units)))
    offset += units
  }
  return tensors
}

/** Download per-layer tensors (as from {@link weightsToTensors}) into one new flat array. */
export function tensorsToWeights (tensors: readonly tf.Tensor[]): Float32Array {
  const weights = new Float32Array(tensors.reduce((n, t) => n + t.size, 0))
  let offset = 0
  for (const t of tensors) {
    weights.set(t.dataSync() as Float32Array, offset)
    offset += t.size
  }
  return weights
}

/**
 * The model's logits (before the softmax) for a batch `x` of shape `[n, inputSize]`.
 * Must run inside `tf.tidy` (or a gradient function), which disposes the intermediates.
 */
export function logits (model: ModelSpec, params: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
  const shapes = layerShapes(model)
  let h: tf.Tensor2D = x
  shapes.forEach((shape, i) => {
    const kernel = params[2 * i] as tf.Tensor2D
    const bias = params[2 * i + 1] as tf.Tensor1D
    const z = tf.add(tf.matMul(h, kernel), bias) as tf.Tensor2D
    h = activate(z, shape.activation)
  })
  return h
}

/** A dense layer's activation; softmax is left to the cross-entropy (identity here). */
export function activate (z: tf.Tensor2D, activation: DenseLayerShape['activation']): tf.Tensor2D {
  switch (activation) {
    case 'relu': return tf.relu(z)
    case 'tanh': return tf.tanh(z)
    case 'sigmoid': return tf.sigmoid(z)
    // The output layer's softmax is folded into the cross-entropy, which is more stable.
    case 'softmax': return z
    case 'linear': return z
  }
}
