import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs'
import { tf } from './tf.ts'
import type { ModelSpec } from '../protocol/index.ts'
import { activate } from './dense-model.ts'
import { layerShapes } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'
import { cryptoUniform, gaussianNoise } from './dp-noise.ts'
import type { UniformSource } from './dp-noise.ts'

/**
 * DP-SGD for the dense model (Abadi et al. 2016, "Deep Learning with Differential Privacy",
 * https://arxiv.org/abs/1607.00133, Algorithm 1): Poisson sampling of the batch, every example's
 * gradient clipped to L2 norm C, Gaussian noise N(0, sigma^2 C^2) added to the sum of the clipped
 * gradients, divided by the expected batch size. The accountant of the privacy this spends is
 * src/privacy.
 *
 * Per-example clipping without per-example gradients: for a dense layer z = a W + b, example i's
 * kernel gradient is the outer product a_i g_i^T of its input a_i and its backpropagated signal
 * g_i = dL_i/dz_i, whose squared Frobenius norm is |a_i|^2 |g_i|^2, and its bias gradient is g_i.
 * So one batched forward and backward pass gives every example's gradient norm, and the clipped
 * sum is (c * a)^T g with c_i = min(1, C / |grad_i|): the identity Opacus uses for linear layers
 * (Goodfellow 2015, "Efficient Per-Example Gradient Computations", https://arxiv.org/abs/1510.01799;
 * Li et al. 2022, "Large Language Models Can Be Strong Differentially Private Learners", ghost
 * clipping, https://arxiv.org/abs/2110.05679). The loss is separable over examples (softmax
 * cross-entropy summed, not averaged), so row i of every batched signal is example i's own.
 */

/** The clipped gradient sum of a batch, and what clipping did. */
export interface ClippedGradientSum {
  /** One tensor per parameter tensor (kernel, bias, layer by layer): the sum of the clipped per-example gradients. The caller disposes them. */
  readonly sum: Tensor[]
  /** Each example's gradient norm before clipping. */
  readonly norms: Float32Array
}

/**
 * The sum over a batch of each example's softmax cross-entropy gradient clipped to L2 norm
 * `clipNorm`, computed from one batched forward and backward pass (see the module comment).
 * @param params kernel and bias tensors layer by layer, as `weightsToTensors` makes them
 * @param x the batch, `[n, inputSize]`, n >= 1
 * @param labels the classes, `[n]` int32
 */
export function clippedGradientSum (model: ModelSpec, params: readonly Tensor[], x: Tensor2D, labels: Tensor1D, clipNorm: number): ClippedGradientSum {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm))) throw new RangeError(`clipNorm: got ${clipNorm}, expected a finite number above 0`)
  const shapes = layerShapes(model)
  const [normsTensor, ...sum] = tf.tidy(() => {
    // Forward, keeping every layer's input and pre-activation.
    const inputs: Tensor2D[] = []
    const preActivations: Tensor2D[] = []
    let h: Tensor2D = x
    shapes.forEach((shape, l) => {
      inputs.push(h)
      const z = tf.add(tf.matMul(h, params[2 * l] as Tensor2D), params[2 * l + 1] as Tensor1D) as Tensor2D
      preActivations.push(z)
      h = activate(z, shape.activation)
    })
    // Backward: dL_i/dz at the output is softmax(z_i) - onehot(y_i), then through each layer.
    // Products with a transposed operand take a transposed copy: the same bits, and tfjs-backend-wasm
    // runs tf.matMul's transpose flags on a slow path (dense-model.ts).
    const signals: Tensor2D[] = new Array(shapes.length)
    let g = tf.sub(tf.softmax(h), tf.oneHot(labels, model.classes)) as Tensor2D
    for (let l = shapes.length - 1; l >= 0; l--) {
      signals[l] = g
      if (l > 0) {
        const below = shapes[l - 1] as DenseLayerShape
        g = tf.mul(tf.matMul(g, tf.transpose(params[2 * l] as Tensor2D)), derivative(preActivations[l - 1] as Tensor2D, below.activation)) as Tensor2D
      }
    }
    // |grad_i|^2 = sum over layers of (|a_i|^2 + 1) |g_i|^2 (kernel and bias).
    let squared: Tensor1D = tf.zeros([x.shape[0]])
    shapes.forEach((_, l) => {
      const inputSq = tf.add(tf.sum(tf.square(inputs[l] as Tensor2D), 1), 1)
      squared = tf.add(squared, tf.mul(inputSq, tf.sum(tf.square(signals[l] as Tensor2D), 1))) as Tensor1D
    })
    const norms = tf.sqrt(squared)
    // c_i = min(1, C / |grad_i|), written so that a zero gradient gives 1, not NaN.
    const scale = tf.div(clipNorm, tf.maximum(norms, clipNorm)).reshape([-1, 1])
    const grads: Tensor[] = []
    shapes.forEach((_, l) => {
      const scaled = tf.mul(signals[l] as Tensor2D, scale) as Tensor2D
      grads.push(tf.matMul(tf.transpose(inputs[l] as Tensor2D), scaled), tf.sum(scaled, 0))
    })
    return [norms, ...grads]
  }) as [Tensor1D, ...Tensor[]]
  const norms = Float32Array.from(normsTensor.dataSync() as Float32Array)
  normsTensor.dispose()
  return { sum, norms }
}

/** The options of one DP-SGD step. */
export interface DpSgdStepOptions {
  /** C, the per-example L2 clipping norm, > 0. */
  readonly clipNorm: number
  /** sigma: the noise's standard deviation is sigma C, >= 0. */
  readonly noiseMultiplier: number
  /** The expected batch size qN that the noisy sum is divided by, > 0. */
  readonly expectedBatchSize: number
}

/**
 * The privatised gradient of one DP-SGD step: (sum of clipped per-example gradients +
 * N(0, sigma^2 C^2) on every coordinate) / expected batch size. An empty batch (Poisson sampling
 * can draw one) gives noise alone, as the analysis requires.
 * @param batch the sampled examples' features (`count x inputSize`, row-major) and labels
 * @returns one tensor per parameter tensor; the caller disposes them
 */
export function privatisedGradient (
  model: ModelSpec, params: readonly Tensor[], batch: { readonly x: Float32Array, readonly y: Int32Array, readonly count: number },
  options: DpSgdStepOptions, uniform: UniformSource = cryptoUniform()
): Tensor[] {
  if (!(options.expectedBatchSize > 0)) throw new RangeError(`expectedBatchSize: got ${options.expectedBatchSize}, expected a number above 0`)
  if (!(options.noiseMultiplier >= 0 && Number.isFinite(options.noiseMultiplier))) throw new RangeError(`noiseMultiplier: got ${options.noiseMultiplier}, expected a finite number of at least 0`)
  let sum: Tensor[]
  if (batch.count === 0) {
    sum = params.map(p => tf.zerosLike(p))
  } else {
    const x = tf.tensor2d(batch.x.subarray(0, batch.count * model.inputSize), [batch.count, model.inputSize])
    const y = tf.tensor1d(batch.y.subarray(0, batch.count), 'int32')
    try {
      sum = clippedGradientSum(model, params, x, y, options.clipNorm).sum
    } finally {
      tf.dispose([x, y])
    }
  }
  const std = options.noiseMultiplier * options.clipNorm
  return sum.map(s => {
    const noisy = tf.tidy(() => tf.div(tf.add(s, tf.tensor(gaussianNoise(s.size, std, uniform), s.shape)), options.expectedBatchSize))
    s.dispose()
    return noisy
  })
}


/** The activation's derivative at the pre-activation z (hidden layers only). */
function derivative (z: Tensor2D, activation: DenseLayerShape['activation']): Tensor2D {
  switch (activation) {
    case 'relu': return tf.step(z)
    case 'tanh': return tf.sub(1, tf.square(tf.tanh(z)))
    case 'sigmoid': {
      const s = tf.sigmoid(z)
      return tf.mul(s, tf.sub(1, s))
    }
    case 'linear':
    case 'softmax': return tf.onesLike(z)
  }
}
