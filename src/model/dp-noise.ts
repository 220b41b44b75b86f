import { randomFillSync } from 'node:crypto'
import type { Rng } from './random.ts'

// The parts of DP-SGD without tfjs: the CSPRNG uniform source, Gaussian noise, Poisson sampling
// and the clipped, noised update of a whole round; the daemon's main thread uses them
// (node-privacy.ts). The per-example gradients are in dp-sgd.ts, behind ./tfjs.ts.

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
