import assert from 'node:assert/strict'
import { HOLDOUT_FRACTION, partition, PartitionError, parsePartition, splitHoldout } from '../../../src/model/index.ts'

// 1,000 labels of 10 classes, 100 each.
const LABELS = Int32Array.from({ length: 1000 }, (_, i) => i % 10)

function assertCover (shards: Int32Array[], n: number): void {
  const all = shards.flatMap(s => Array.from(s)).sort((a, b) => a - b)
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'shards must be disjoint and cover every index')
  for (const shard of shards) assert.deepEqual(Array.from(shard), Array.from(shard).sort((a, b) => a - b), 'sorted')
}

describe('model/partition', () => {
  it('iid: disjoint equal shards covering every example', () => {
    const shards = partition(LABELS, 3, { kind: 'iid' }, 5)
    assertCover(shards, 1000)
    assert.deepEqual(shards.map(s => s.length), [333, 333, 334])
  })

  it('is deterministic for a seed and differs between seeds', () => {
    const a = partition(LABELS, 4, { kind: 'dirichlet', alpha: 0.5 }, 1)
    assert.deepEqual(partition(LABELS, 4, { kind: 'dirichlet', alpha: 0.5 }, 1), a)
    assert.notDeepEqual(partition(LABELS, 4, { kind: 'dirichlet', alpha: 0.5 }, 2), a)
    assert.deepEqual(partition(LABELS, 4, { kind: 'iid' }, 1), partition(LABELS, 4, { kind: 'iid' }, 1))
  })

  it('dirichlet: disjoint cover; small alpha skews the class mix, large alpha does not', () => {
    const skew = (alpha: number): number => {
      const shards = partition(LABELS, 5, { kind: 'dirichlet', alpha }, 3)
      assertCover(shards, 1000)
      // Mean over classes of the largest share of that class held by one shard (1/5 when spread evenly).
      let sum = 0
      for (let c = 0; c < 10; c++) {
        sum += Math.max(...shards.map(shard => shard.filter(i => LABELS[i] === c).length)) / 100
      }
      return sum / 10
    }
    assert.ok(skew(0.05) > 0.8, `alpha 0.05 gave ${skew(0.05)}`)
    assert.ok(skew(1000) < 0.3, `alpha 1000 gave ${skew(1000)}`)
  })

  it('dirichlet: never leaves a node with fewer than min(10, n / nodes) examples', () => {
    for (let seed = 0; seed < 20; seed++) {
      const shards = partition(LABELS, 20, { kind: 'dirichlet', alpha: 0.01 }, seed)
      assertCover(shards, 1000)
      assert.ok(shards.every(s => s.length >= 10), `seed ${seed}: ${shards.map(s => s.length).join(',')}`)
    }
    const tight = partition(Int32Array.from([0, 0, 0, 0, 1, 1]), 3, { kind: 'dirichlet', alpha: 0.01 }, 4)
    assert.deepEqual(tight.map(s => s.length), [2, 2, 2])
  })

  it('rejects impossible partitions', () => {
    assert.throws(() => partition(LABELS, 0, { kind: 'iid' }, 1), PartitionError)
    assert.throws(() => partition(LABELS, 1.5, { kind: 'iid' }, 1), /nodes: got 1.5/)
    assert.throws(() => partition(new Int32Array(5), 3, { kind: 'iid' }, 1), /5 examples cannot be dealt to 3 nodes/)
    assert.throws(() => partition(LABELS, 2, { kind: 'dirichlet', alpha: 0 }, 1), /alpha: got 0/)
  })
})

describe('model/parsePartition', () => {
  it('reads iid and dirichlet:ALPHA', () => {
    assert.deepEqual(parsePartition('iid'), { kind: 'iid' })
    assert.deepEqual(parsePartition('dirichlet:0.5'), { kind: 'dirichlet', alpha: 0.5 })
    assert.deepEqual(parsePartition('dirichlet:10'), { kind: 'dirichlet', alpha: 10 })
  })

  it('rejects other strings, naming them and the accepted forms', () => {
    for (const text of ['', 'IID', 'dirichlet', 'dirichlet:', 'dirichlet:0', 'dirichlet:-1', 'dirichlet:x', 'dirichlet:Infinity', 'shards:2']) {
      assert.throws(() => parsePartition(text), (err: unknown) => {
        assert.ok(err instanceof PartitionError)
        assert.ok(err.message.startsWith(`partition ${JSON.stringify(text)}: `))
        assert.match(err.message, /accepted forms: iid, dirichlet:ALPHA/)
        return true
      })
    }
  })
})

describe('model/splitHoldout', () => {
  it('holds out 10% (at least one) deterministically, disjoint from the rest', () => {
    const shard = Int32Array.from({ length: 95 }, (_, i) => 3 * i)
    const { train, holdout } = splitHoldout(shard, 7)
    assert.equal(holdout.length, Math.floor(95 * HOLDOUT_FRACTION))
    assert.equal(train.length, 95 - holdout.length)
    assert.deepEqual([...train, ...holdout].sort((a, b) => a - b), Array.from(shard))
    assert.deepEqual(splitHoldout(shard, 7), { train, holdout })
    assert.equal(splitHoldout(Int32Array.from([4, 8]), 1).holdout.length, 1)
    assert.throws(() => splitHoldout(Int32Array.from([4]), 1), PartitionError)
  })
})
