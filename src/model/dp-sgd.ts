import { randomFillSync } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec } from '../protocol/index.ts'
import { activate } from './dense-model.ts'
import { layerShapes } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'
import type { Rng } from './random.ts'

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

/** The uniform source DP-SGD draws from: {@link cryptoUniform} in use, a seeded Rng in tests. */
export type UniformSource = Pick<Rng, 'next'>

/** 32-bit words fetched from the operating system's CSPRNG per refill. */
const CRYPTO_BUFFER_WORDS = 16_384

/**
 * Uniform floats in [0, 1) with 53 random bits each, from node:crypto's CSPRNG: the sampling and
 * the noise of DP-SGD must not be predictable by anyone, the node's peers included.
 */
export function cryptoUniform (): UniformSource {
  const words = new Uint32Array(CRYPTO_BUFFER_WORDS)
  let at = words.length
  const word = (): number => {
    if (at === words.length) {
      randomFillSync(words)
      at = 0
    }
    return words[at++] as number
  }
  // 27 + 26 bits: the construction of a double in [0, 1) with every multiple of 2^-53 equally likely.
  return { next: () => ((word() >>> 5) * 67_108_864 + (word() >>> 6)) / 9_007_199_254_740_992 }
}

/**
 * `count` independent N(0, std^2) draws, by the Box-Muller transform (Box and Muller 1958) from
 * `uniform`, computed in double precision and stored as float32.
 */
export function gaussianNoise (count: number, std: number, uniform: UniformSource = cryptoUniform()): Float32Array {
  const out = new Float32Array(count)
  for (let i = 0; i < count; i += 2) {
    // 1 - u is in (0, 1], so the logarithm is finite.
    const radius = std * Math.sqrt(-2 * Math.log(1 - uniform.next()))
    const angle = 2 * Math.PI * uniform.next()
    out[i] = radius * Math.cos(angle)
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle)
  }
  return out
}

/**
 * Poisson sampling: each of `count` examples is in the batch independently with probability
 * `rate`, so the batch size varies (Mironov, Talwar and Zhang 2019 account for exactly this).
 * @returns the chosen indices, in increasing order
 */
export function poissonSample (count: number, rate: number, uniform: UniformSource = cryptoUniform()): Int32Array {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate: got ${rate}, expected a number from 0 to 1`)
  const chosen: number[] = []
  for (let i = 0; i < count; i++) if (uniform.next() < rate) chosen.push(i)
  return Int32Array.from(chosen)
}

/** The clipped gradient sum of a batch, and what clipping did. */
export interface ClippedGradientSum {
  /** One tensor per parameter tensor (kernel, bias, layer by layer): the sum of the clipped per-example gradients. The caller disposes them. */
  readonly sum: tf.Tensor[]
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
export function clippedGradientSum (model: ModelSpec, params: readonly tf.Tensor[], x: tf.Tensor2D, labels: tf.Tensor1D, clipNorm: number): ClippedGradientSum {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm))) throw new RangeError(`clipNorm: got ${clipNorm}, expected a finite number above 0`)
  const shapes = layerShapes(model)
  const [normsTensor, ...sum] = tf.tidy(() => {
    // Forward, keeping every layer's input and pre-activation.
    const inputs: tf.Tensor2D[] = []
    const preActivations: tf.Tensor2D[] = []
    let h: tf.Tensor2D = x
    shapes.forEach((shape, l) => {
      inputs.push(h)
      const z = tf.add(tf.matMul(h, params[2 * l] as tf.Tensor2D), params[2 * l + 1] as tf.Tensor1D) as tf.Tensor2D
      preActivations.push(z)
      h = activate(z, shape.activation)
    })
    // Backward: dL_i/dz at the output is softmax(z_i) - onehot(y_i), then through each layer.
    const signals: tf.Tensor2D[] = new Array(shapes.length)
    let g = tf.sub(tf.softmax(h), tf.oneHot(labels, model.classes)) as tf.Tensor2D
    for (let l = shapes.length - 1; l >= 0; l--) {
      signals[l] = g
      if (l > 0) {
        const below = shapes[l - 1] as DenseLayerShape
        g = tf.mul(tf.matMul(g, params[2 * l] as tf.Tensor2D, false, true), derivative(preActivations[l - 1] as tf.Tensor2D, below.activation)) as tf.Tensor2D
      }
    }
    // |grad_i|^2 = sum over layers of (|a_i|^2 + 1) |g_i|^2 (kernel and bias).
    let squared: tf.Tensor1D = tf.zeros([x.shape[0]])
    shapes.forEach((_, l) => {
      const inputSq = tf.add(tf.sum(tf.square(inputs[l] as tf.Tensor2D), 1), 1)
      squared = tf.add(squared, tf.mul(inputSq, tf.sum(tf.square(signals[l] as tf.Tensor2D), 1))) as tf.Tensor1D
    })
    const norms = tf.sqrt(squared)
    // c_i = min(1, C / |grad_i|), written so that a zero gradient gives 1, not NaN.
    const scale = tf.div(clipNorm, tf.maximum(norms, clipNorm)).reshape([-1, 1])
    const grads: tf.Tensor[] = []
    shapes.forEach((_, l) => {
      const scaled = tf.mul(signals[l] as tf.Tensor2D, scale) as tf.Tensor2D
      grads.push(tf.matMul(inputs[l] as tf.Tensor2D, scaled, true, false), tf.sum(scaled, 0))
    })
    return [norms, ...grads]
  }) as [tf.Tensor1D, ...tf.Tensor[]]
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
  model: ModelSpec, params: readonly tf.Tensor[], batch: { readonly x: Float32Array, readonly y: Int32Array, readonly count: number },
  options: DpSgdStepOptions, uniform: UniformSource = cryptoUniform()
): tf.Tensor[] {
  if (!(options.expectedBatchSize > 0)) throw new RangeError(`expectedBatchSize: got ${options.expectedBatchSize}, expected a number above 0`)
  if (!(options.noiseMultiplier >= 0 && Number.isFinite(options.noiseMultiplier))) throw new RangeError(`noiseMultiplier: got ${options.noiseMultiplier}, expected a finite number of at least 0`)
  let sum: tf.Tensor[]
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

/**
 * `update-clip` mode: the round's model change clipped to L2 norm `clipNorm` and noised,
 * before + min(1, C / |after - before|) (after - before) + N(0, sigma^2 C^2), as DP-FedAvg
 * (McMahan et al. 2018, "Learning Differentially Private Recurrent Language Models",
 * https://arxiv.org/abs/1710.06963) and Flower's fixed clipping do. The unit protected is the
 * node's whole data set in one round (sensitivity C, q = 1), not one record: account one step per
 * round at sampling rate 1.
 * @returns a new array; `before` and `after` are not modified
 */
export function privatiseUpdate (before: Float32Array, after: Float32Array, clipNorm: number, noiseMultiplier: number, uniform: UniformSource = cryptoUniform()): Float32Array {
  if (before.length !== after.length) throw new RangeError(`before has ${before.length} parameters, after ${after.length}`)
  if (!(clipNorm > 0 && Number.isFinite(clipNorm))) throw new RangeError(`clipNorm: got ${clipNorm}, expected a finite number above 0`)
  if (!(noiseMultiplier >= 0 && Number.isFinite(noiseMultiplier))) throw new RangeError(`noiseMultiplier: got ${noiseMultiplier}, expected a finite number of at least 0`)
  let squared = 0
  for (let i = 0; i < before.length; i++) squared += ((after[i] as number) - (before[i] as number)) ** 2
  const scale = clipNorm / Math.max(Math.sqrt(squared), clipNorm)
  const noise = gaussianNoise(before.length, noiseMultiplier * clipNorm, uniform)
  const out = new Float32Array(before.length)
  for (let i = 0; i < before.length; i++) out[i] = (before[i] as number) + scale * ((after[i] as number) - (before[i] as number)) + (noise[i] as number)
  return out
}

/** The activation's derivative at the pre-activation z (hidden layers only). */
function derivative (z: tf.Tensor2D, activation: DenseLayerShape['activation']): tf.Tensor2D {
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
