import type { GradSaveFunc, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs'
import { tf } from './tf.ts'
import type { ModelSpec } from '../protocol/index.ts'
import { WeightsShapeError, layerShapes, parameterCount } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'

/**
 * Upload flat weights as one kernel and one bias tensor per layer (kernel first). The caller owns
 * (and disposes) the tensors.
 * @throws WeightsShapeError when the length does not fit the model.
 */
export function weightsToTensors (model: ModelSpec, weights: Float32Array): Tensor[] {
  const expected = parameterCount(model)
  if (weights.length !== expected) throw new WeightsShapeError(expected, weights.length)
  const tensors: Tensor[] = []
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
export function tensorsToWeights (tensors: readonly Tensor[]): Float32Array {
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
export function logits (model: ModelSpec, params: readonly Tensor[], x: Tensor2D): Tensor2D {
  const shapes = layerShapes(model)
  let h: Tensor2D = x
  shapes.forEach((shape, i) => {
    const kernel = params[2 * i] as Tensor2D
    const bias = params[2 * i + 1] as Tensor1D
    const z = tf.add(i === 0 ? dataTimesKernel(h, kernel) : hiddenTimesKernel(h, kernel), bias) as Tensor2D
    h = activate(z, shape.activation)
  })
  return h
}

/** A dense layer's activation; softmax is left to the cross-entropy (identity here). */
export function activate (z: Tensor2D, activation: DenseLayerShape['activation']): Tensor2D {
  switch (activation) {
    case 'relu': return tf.relu(z)
    case 'tanh': return tf.tanh(z)
    case 'sigmoid': return tf.sigmoid(z)
    // The output layer's softmax is folded into the cross-entropy, which is more stable.
    case 'softmax': return z
    case 'linear': return z
  }
}

// `h · kernel` with its gradients taken as products of transposed copies (hᵀ·dy, dy·kernelᵀ), the
// same bits as tf.matMul's own gradients: those multiply with a transposed operand, which
// tfjs-backend-wasm 4.22 runs on a slow path, about 8 times slower than a transposed copy and a
// plain product for the default model's batch of 32. The first layer's input is the data, which
// needs no gradient.

function dataTimesKernel (x: Tensor2D, kernel: Tensor2D): Tensor2D {
  return tf.customGrad((...inputs: Array<Tensor | GradSaveFunc>) => ({
    value: tf.matMul(x, inputs[0] as Tensor2D),
    gradFunc: (dy: Tensor) => tf.matMul(tf.transpose(x), dy as Tensor2D)
  }))(kernel) as Tensor2D
}

const hiddenTimesKernel = tf.customGrad((...inputs: Array<Tensor | GradSaveFunc>) => {
  const [h, kernel, save] = inputs as [Tensor2D, Tensor2D, GradSaveFunc]
  save([h, kernel])
  return {
    value: tf.matMul(h, kernel),
    gradFunc: (dy: Tensor, saved: Tensor[]) => [
      tf.matMul(dy as Tensor2D, tf.transpose(saved[1] as Tensor2D)),
      tf.matMul(tf.transpose(saved[0] as Tensor2D), dy as Tensor2D)
    ]
  }
}) as (h: Tensor2D, kernel: Tensor2D) => Tensor2D
