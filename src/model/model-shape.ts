import type { DenseLayerSpec, ModelSpec } from '../protocol/index.ts'
import { createRng } from './random.ts'

// The model's layout and starting weights in plain JavaScript, without tfjs: the daemon's main
// thread needs them (initial weights, shape checks); dense-model.ts runs the model with tfjs.
// No value is imported from the protocol room: the trainer worker would load it, and with it
// libp2p's crypto (about 30 MiB per daemon), for one sum.

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
 * Floats in a weights array of `model`: every layer's kernel and bias. The same number as the
 * protocol's `parameterCount` (test/unit/model/dense-model.test.ts checks it), computed here so
 * that the trainer worker does not load the protocol room.
 */
export function parameterCount (model: ModelSpec): number {
  return layerShapes(model).reduce((sum, { inputs, units }) => sum + inputs * units + units, 0)
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
