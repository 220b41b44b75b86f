import assert from 'node:assert/strict'
import { batcherComparators, orderStatisticMean, pruneNetwork } from '../../../src/aggregation/selection-network.ts'
import { randomVectors, seededRandom } from './fixtures.ts'

/** Run a pruned network on one column of numbers, as the SIMD kernel does per lane. */
function runNetwork (ops: Int32Array, column: number[]): number[] {
  const wires = column.slice()
  for (let i = 0; i < ops.length; i += 3) {
    const a = ops[i] as number
    const b = ops[i + 1] as number
    const kind = ops[i + 2] as number
    const x = wires[a] as number
    const y = wires[b] as number
    if (kind !== 2) wires[a] = Math.min(x, y)
    if (kind !== 1) wires[b] = Math.max(x, y)
  }
  return wires
}

describe('selection networks', () => {
  it('Batcher comparators sort every 0-1 input, hence every input (0-1 principle), for k = 1..16', () => {
    for (let k = 1; k <= 16; k++) {
      const ops = Int32Array.from(batcherComparators(k).flatMap(([a, b]) => [a, b, 0]))
      for (let bits = 0; bits < 2 ** k; bits++) {
        const column = Array.from({ length: k }, (_, i) => (bits >> i) & 1)
        assert.deepEqual(runNetwork(ops, column), column.slice().sort(), `k=${k}, input ${column.join('')}`)
      }
    }
  })

  it('pruned networks deliver the requested order statistics (or their sum) for every 0-1 input, k = 1..16', () => {
    for (let k = 1; k <= 16; k++) {
      for (let b = 0; 2 * b < k; b++) {
        const ranks = Array.from({ length: k - 2 * b }, (_, i) => b + i)
        const sumOps = pruneNetwork(k, ranks, true)
        const mid = k >> 1
        const medianOps = pruneNetwork(k, [mid], false)
        for (let bits = 0; bits < 2 ** k; bits++) {
          const column = Array.from({ length: k }, (_, i) => (bits >> i) & 1)
          const sorted = column.slice().sort()
          const summed = runNetwork(sumOps, column)
          assert.equal(ranks.reduce((s, r) => s + (summed[r] as number), 0), ranks.reduce((s, r) => s + (sorted[r] as number), 0))
          assert.equal(runNetwork(medianOps, column)[mid], sorted[mid])
        }
      }
    }
  })

  it('pruning keeps far fewer comparators than a full sort for the median of 9', () => {
    assert.equal(batcherComparators(9).length, 28)
    assert.ok(pruneNetwork(9, [4], false).length / 3 <= 24)
  })

  it('the SIMD kernel matches a per-coordinate sort across several blocks, for k up to 40', () => {
    const random = seededRandom(11)
    for (const k of [1, 2, 3, 5, 8, 9, 17, 33, 40]) {
      // Longer than one block of rows (256 KiB / k / 4 floats), with a ragged tail.
      const d = Math.ceil(65_536 / k) * 2 + 5
      const inputs = randomVectors(random, k, d)
      const b = Math.floor((k - 1) / 4)
      const median = orderStatisticMean(inputs, (k - 1) >> 1, k >> 1)
      const trimmed = orderStatisticMean(inputs, b, k - 1 - b)
      for (let t = 0; t < d; t += 97) {
        const column = inputs.map(x => x[t] as number).sort((x, y) => x - y)
        const expectedMedian = Math.fround(((column[(k - 1) >> 1] as number) + (column[k >> 1] as number)) / 2)
        assert.equal(median[t], expectedMedian, `median k=${k} t=${t}`)
        const middle = column.slice(b, k - b)
        assert.ok(Math.abs((trimmed[t] as number) - middle.reduce((s, x) => s + x, 0) / middle.length) <= 1e-7, `trimmed k=${k} t=${t}`)
      }
    }
  })
})
