import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatasetError, featureLength, featureValues, loadDataset } from '../../../src/model/index.ts'
import { tempDir } from './fixtures.ts'

describe('model/csv data sets', () => {
  let dir: string
  let remove: () => void
  beforeEach(() => { ({ dir, remove } = tempDir()) })
  afterEach(() => { remove() })

  const write = (text: string): string => {
    const path = join(dir, 'data.csv')
    writeFileSync(path, text)
    return path
  }

  it('loads features and labels and splits them 80/20 deterministically', () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i},${i % 3},${-i}`)
    const path = write(`a,"class",b\r\n${rows.join('\r\n')}\r\n\r\n`)
    const data = loadDataset({ kind: 'csv', path, labelColumn: 'class' })
    assert.equal(data.features, 2)
    assert.equal(data.classes, 3)
    assert.equal(data.train.count, 8)
    assert.equal(data.test.count, 2)
    // Every row lands in exactly one part, with its label and features together.
    const train = featureValues(data.train.x, 0, featureLength(data.train.x))
    const test = featureValues(data.test.x, 0, featureLength(data.test.x))
    const seen = [...data.train.y.keys()].map(i => [train[2 * i], data.train.y[i], train[2 * i + 1]])
      .concat([...data.test.y.keys()].map(i => [test[2 * i], data.test.y[i], test[2 * i + 1]]))
    assert.deepEqual(seen.sort((p, q) => (p[0] as number) - (q[0] as number)), Array.from({ length: 10 }, (_, i) => [i, i % 3, -i === 0 ? 0 : -i]))
    const again = loadDataset({ kind: 'csv', path, labelColumn: 'class' })
    assert.deepEqual(again.test.x, data.test.x)
  })

  it('names the columns found when the label column is missing', () => {
    const path = write('a,b,c\n1,2,3\n4,5,6\n')
    assert.throws(() => loadDataset({ kind: 'csv', path, labelColumn: 'label' }), (err: unknown) => {
      assert.ok(err instanceof DatasetError)
      assert.equal(err.message, `${path}: no label column "label"; columns found: "a", "b", "c"`)
      return true
    })
  })

  it('names file, row and column of a malformed value', () => {
    const path = write('x,y,label\n1,2,0\n3,oops,1\n')
    assert.throws(() => loadDataset({ kind: 'csv', path, labelColumn: 'label' }), new RegExp(`^DatasetError: ${path}: row 3, column "y": "oops" is not a number$`.replace(/\//g, '\\/')))
    const emptyCell = write('x,label\n1,0\n,1\n')
    assert.throws(() => loadDataset({ kind: 'csv', path: emptyCell, labelColumn: 'label' }), /row 3, column "x": "" is not a number/)
  })

  it('rejects labels that are not non-negative integers', () => {
    for (const label of ['1.5', '-1', 'cat']) {
      const path = write(`x,label\n1,0\n2,${label}\n`)
      assert.throws(() => loadDataset({ kind: 'csv', path, labelColumn: 'label' }), /row 3, column "label": label .* is not an integer class/)
    }
  })

  it('rejects rows with the wrong number of cells, and files too small to split', () => {
    assert.throws(() => loadDataset({ kind: 'csv', path: write('x,label\n1,0\n2\n'), labelColumn: 'label' }), /row 3: 1 cells, the header has 2 columns/)
    assert.throws(() => loadDataset({ kind: 'csv', path: write('x,label\n1,0\n'), labelColumn: 'label' }), /1 example row\(s\); at least 2/)
    assert.throws(() => loadDataset({ kind: 'csv', path: join(dir, 'absent.csv'), labelColumn: 'label' }), /absent\.csv: cannot be read/)
  })
})
