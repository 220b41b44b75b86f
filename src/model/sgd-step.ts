import { tf } from './tf.ts'
import type { ModelSpec } from '../protocol/index.ts'
import { layerShapes } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'
import { copyFeatures } from './examples.ts'
import type { BatchOrder } from './training-core.ts'
import type { TrainingShard } from './training-shard.ts'
import type { TrainResult } from './trainer.ts'
import { SGD_KERNELS_WASM_BASE64 } from './sgd-kernels-wasm.ts'
import { compileWasm } from '../aggregation/index.ts'
import type { WasmMemory } from '../aggregation/index.ts'

interface SgdKernels {
  readonly memory: WasmMemory
  gemm (a: number, aRow: number, aCol: number, b: number, bRow: number, out: number, outRow: number, m: number, k: number, nBlocks: number): void
  descend (w: number, g: number, nVectors: number, rate: number): void
}

/** Columns per block of the gemm kernel: every row of a matrix in linear memory is padded to it. */
const BLOCK_COLUMNS = 8
const PAGE_BYTES = 65536

let newInstance: (() => object) | undefined

/** A new instance (its own linear memory) of the kernels module, compiled once per thread. */
function instantiate (): SgdKernels {
  newInstance ??= compileWasm(SGD_KERNELS_WASM_BASE64)
  return newInstance() as SgdKernels
}

/** The activations the wasm step runs: those whose function and gradient are exact without tfjs. */
export function wasmStepCovers (model: ModelSpec): boolean {
  return layerShapes(model).every(s => s.activation === 'relu' || s.activation === 'linear' || s.activation === 'softmax')
}

/** Float offsets of one layer's matrices in linear memory (rows padded to BLOCK_COLUMNS). */
interface LayerLayout {
  readonly shape: DenseLayerShape
  /** Padded units: the row length of the kernel, z, h, dz and the kernel gradient. */
  readonly width: number
  readonly kernel: number
  readonly bias: number
  readonly z: number
  readonly h: number
  readonly dz: number
  readonly dKernel: number
  readonly dBias: number
  /** The kernel transposed (units x padded inputs), for the gradient at the layer's input. */
  readonly kernelT: number
  /** The gradient at the layer's input (batch x padded inputs); unused for the first layer. */
  readonly dInput: number
}

/**
 * The plain SGD step of SimulationSgd for a dense model (relu or linear hidden layers) in
 * WebAssembly SIMD, with the same float32 operations in the same order as its tfjs version: the
 * products (sgd-kernels.wat) accumulate like the tfjs wasm backend's matMul; bias additions,
 * relu, its gradient, the column sums of the bias gradients and the updates are single float32
 * operations in JavaScript or wasm; exp and log, whose float32 results depend on the math
 * library, stay with tfjs (three calls on batch x classes values). Same bits as the tfjs step
 * (test/unit/model/sgd-step.test.ts), about a third of its CPU. One per SimulationSgd: it keeps
 * the weights in its own linear memory between the steps of one `train` call.
 */
export class WasmSgdStep {
  readonly #model: ModelSpec
  readonly #features: number
  readonly #batchSize: number
  readonly #kernels: SgdKernels
  readonly #layers: LayerLayout[] = []
  readonly #x: number
  #f32: Float32Array

  constructor (model: ModelSpec, features: number, batchSize: number) {
    if (!wasmStepCovers(model)) throw new RangeError('the wasm SGD step runs relu and linear hidden layers only')
    this.#model = model
    this.#features = features
    this.#batchSize = batchSize
    this.#kernels = instantiate()
    let next = 0
    const take = (floats: number): number => {
      const at = next
      next += Math.ceil(floats / 4) * 4
      return at
    }
    this.#x = take(batchSize * features)
    const shapes = layerShapes(model)
    shapes.forEach((shape, l) => {
      const width = padded(shape.units)
      const inputWidth = padded(shape.inputs)
      this.#layers.push({
        shape,
        width,
        kernel: take(shape.inputs * width),
        bias: take(width),
        z: take(batchSize * width),
        h: take(batchSize * width),
        dz: take(batchSize * width),
        dKernel: take(shape.inputs * width),
        dBias: take(width),
        kernelT: l === 0 ? 0 : take(shape.units * inputWidth),
        dInput: l === 0 ? 0 : take(batchSize * inputWidth)
      })
    })
    const bytes = next * 4
    const memory = this.#kernels.memory
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES))
    this.#f32 = new Float32Array(memory.buffer)
  }

  /**
   * `steps` steps from `weights` over batches of `shard`'s train part in the order of `batches`,
   * with `rate` (the learning rate divided by the batch size, as a float32). Same result as
   * sgdSteps with SimulationSgd's tfjs step.
   */
  train (shard: TrainingShard, weights: Float32Array, steps: number, batches: BatchOrder, rate: number): TrainResult {
    const f = this.#f32
    this.#loadWeights(weights)
    const { features, train } = shard
    const batchSize = this.#batchSize
    const batchY = new Int32Array(batchSize)
    let lossSum = 0
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < batchSize; i++) {
        const row = batches.next()
        copyFeatures(train.x, row * features, (row + 1) * features, f, this.#x + i * features)
        batchY[i] = train.y[row] as number
      }
      lossSum += this.#step(batchY, Math.fround(rate))
    }
    return { weights: this.#readWeights(weights.length), loss: lossSum / steps, sampleCount: steps * batchSize }
  }

  #loadWeights (weights: Float32Array): void {
    const f = this.#f32
    let offset = 0
    for (const layer of this.#layers) {
      const { inputs, units } = layer.shape
      f.fill(0, layer.kernel, layer.kernel + inputs * layer.width)
      copyRows(weights, offset, units, f, layer.kernel, layer.width, inputs, units)
      offset += inputs * units
      f.fill(0, layer.bias, layer.bias + layer.width)
      f.set(weights.subarray(offset, offset + units), layer.bias)
      offset += units
    }
  }

  #readWeights (length: number): Float32Array {
    const f = this.#f32
    const weights = new Float32Array(length)
    let offset = 0
    for (const layer of this.#layers) {
      const { inputs, units } = layer.shape
      copyRows(f, layer.kernel, layer.width, weights, offset, units, inputs, units)
      offset += inputs * units
      weights.set(f.subarray(layer.bias, layer.bias + units), offset)
      offset += units
    }
    return weights
  }

  /** One step on the batch in linear memory; returns the batch's mean loss (a float32). */
  #step (batchY: Int32Array, rate: number): number {
    const f = this.#f32
    const k = this.#kernels
    const batchSize = this.#batchSize
    const layers = this.#layers
    // Forward: z = x W (the kernel's products), then z + b, then the activation.
    let input = this.#x
    let inputRow = this.#features
    for (const layer of layers) {
      const { inputs, units, activation } = layer.shape
      const width = layer.width
      k.gemm(input * 4, inputRow * 4, 4, layer.kernel * 4, width * 4, layer.z * 4, width * 4, batchSize, inputs, width / BLOCK_COLUMNS)
      for (let i = 0; i < batchSize; i++) {
        const zRow = layer.z + i * width
        const hRow = layer.h + i * width
        for (let j = 0; j < units; j++) {
          const z = Math.fround((f[zRow + j] as number) + (f[layer.bias + j] as number))
          f[zRow + j] = z
          // tfjs's relu: +0 for every z <= 0 (-0 included), NaN stays NaN.
          f[hRow + j] = activation === 'relu' ? (z > 0 || z !== z ? z : 0) : z
        }
      }
      input = layer.h
      inputRow = width
    }
    const last = layers[layers.length - 1] as LayerLayout
    const loss = this.#softmaxCrossEntropy(last, batchY)
    // Backward, from the last layer: dz from the gradient at the layer's output, then the kernel's
    // and the bias's gradients, the gradient at its input (with the kernel before the update),
    // and the update.
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l] as LayerLayout
      const { inputs, units, activation } = layer.shape
      const width = layer.width
      if (activation === 'relu') {
        const upper = layers[l + 1] as LayerLayout
        for (let i = 0; i < batchSize; i++) {
          for (let j = 0; j < units; j++) {
            const z = f[layer.z + i * width + j] as number
            const step = z > 0 ? 1 : z !== z ? NaN : 0
            f[layer.dz + i * width + j] = Math.fround((f[upper.dInput + i * width + j] as number) * step)
          }
        }
      } else if (l < layers.length - 1) {
        const upper = layers[l + 1] as LayerLayout
        f.copyWithin(layer.dz, upper.dInput, upper.dInput + batchSize * width)
      }
      const below = l === 0 ? undefined : layers[l - 1] as LayerLayout
      const input = below === undefined ? this.#x : below.h
      const inputRow = below === undefined ? this.#features : below.width
      // dKernel = input^T dz: the input read transposed through its strides.
      k.gemm(input * 4, 4, inputRow * 4, layer.dz * 4, width * 4, layer.dKernel * 4, width * 4, inputs, batchSize, width / BLOCK_COLUMNS)
      for (let j = 0; j < units; j++) {
        let sum = 0
        for (let i = 0; i < batchSize; i++) sum = Math.fround(sum + (f[layer.dz + i * width + j] as number))
        f[layer.dBias + j] = sum
      }
      if (below !== undefined) {
        const inputWidth = below.width
        for (let r = 0; r < inputs; r++) {
          for (let c = 0; c < units; c++) f[layer.kernelT + c * inputWidth + r] = f[layer.kernel + r * width + c] as number
        }
        k.gemm(layer.dz * 4, width * 4, 4, layer.kernelT * 4, inputWidth * 4, layer.dInput * 4, inputWidth * 4, batchSize, units, inputWidth / BLOCK_COLUMNS)
      }
      k.descend(layer.kernel * 4, layer.dKernel * 4, inputs * width / 4, rate)
      k.descend(layer.bias * 4, layer.dBias * 4, width / 4, rate)
    }
    return loss
  }

  /**
   * The mean softmax cross-entropy of the last layer's output over the batch, as the tfjs step
   * computes it (logSoftmax = shifted - log(sum(exp(shifted))) with shifted = h - max(h) per row,
   * then -sum(onehot * logSoftmax) / batch); its gradient, exp(logSoftmax) - onehot, goes into
   * the last layer's dz.
   */
  #softmaxCrossEntropy (last: LayerLayout, batchY: Int32Array): number {
    const f = this.#f32
    const batchSize = this.#batchSize
    const classes = this.#model.classes
    const width = last.width
    const shifted = new Float32Array(batchSize * classes)
    for (let i = 0; i < batchSize; i++) {
      const row = last.h + i * width
      let max = -Infinity
      for (let j = 0; j < classes; j++) {
        const v = f[row + j] as number
        if (v > max || v !== v) max = v
      }
      for (let j = 0; j < classes; j++) shifted[i * classes + j] = Math.fround((f[row + j] as number) - max)
    }
    const exps = unary(shifted, 'exp')
    const sums = new Float32Array(batchSize)
    for (let i = 0; i < batchSize; i++) {
      let sum = 0
      for (let j = 0; j < classes; j++) sum = Math.fround(sum + (exps[i * classes + j] as number))
      sums[i] = sum
    }
    const logs = unary(sums, 'log')
    const logSoftmax = new Float32Array(batchSize * classes)
    for (let i = 0; i < batchSize; i++) {
      for (let j = 0; j < classes; j++) logSoftmax[i * classes + j] = Math.fround((shifted[i * classes + j] as number) - (logs[i] as number))
    }
    const softmax = unary(logSoftmax, 'exp')
    let total = 0
    for (let i = 0; i < batchSize; i++) {
      const label = batchY[i] as number
      for (let j = 0; j < classes; j++) {
        const onehot = j === label ? 1 : 0
        total = Math.fround(total + Math.fround(onehot * (logSoftmax[i * classes + j] as number)))
        f[last.dz + i * width + j] = Math.fround((softmax[i * classes + j] as number) - onehot)
      }
    }
    return Math.fround(-total / batchSize)
  }
}

/** `rows` rows of `columns` floats from `from` (rows `fromRow` floats apart) to `to` (rows `toRow` apart); one copy when both are unpadded. */
function copyRows (from: Float32Array, fromAt: number, fromRow: number, to: Float32Array, toAt: number, toRow: number, rows: number, columns: number): void {
  if (fromRow === columns && toRow === columns) {
    to.set(from.subarray(fromAt, fromAt + rows * columns), toAt)
    return
  }
  for (let r = 0; r < rows; r++) to.set(from.subarray(fromAt + r * fromRow, fromAt + r * fromRow + columns), toAt + r * toRow)
}

function padded (n: number): number {
  return Math.ceil(n / BLOCK_COLUMNS) * BLOCK_COLUMNS
}

/** tfjs's exp or log of float32 values (its wasm backend's math library: the bits the tfjs step gets). */
function unary (values: Float32Array, op: 'exp' | 'log'): Float32Array {
  const x = tf.tensor1d(values)
  const y = op === 'exp' ? tf.exp(x) : tf.log(x)
  try {
    return y.dataSync() as Float32Array
  } finally {
    x.dispose()
    y.dispose()
  }
}
