import * as tf from './tf.ts'
import type { ModelSpec } from '../protocol/index.ts'
import { WeightsShapeError, layerShapes, parameterCount } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'

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
