import assert from 'node:assert/strict'
import { DatasetError, formatDataSource, parseDataSource } from '../../../src/model/index.ts'

describe('model/parseDataSource', () => {
  it('reads the three forms', () => {
    assert.deepEqual(parseDataSource('mnist'), { kind: 'mnist' })
    assert.deepEqual(parseDataSource('idx:/data/fashion'), { kind: 'idx', dir: '/data/fashion' })
    assert.deepEqual(parseDataSource('csv:/data/x.csv:label'), { kind: 'csv', path: '/data/x.csv', labelColumn: 'label' })
  })

  it('takes the label column after the last colon, so paths may hold colons', () => {
    assert.deepEqual(parseDataSource('csv:C:/data/x.csv:y'), { kind: 'csv', path: 'C:/data/x.csv', labelColumn: 'y' })
  })

  it('round-trips through formatDataSource', () => {
    for (const text of ['mnist', 'idx:./d', 'csv:a.csv:class']) assert.equal(formatDataSource(parseDataSource(text)), text)
  })

  it('rejects anything else, naming the string and the accepted forms', () => {
    for (const text of ['', 'MNIST', 'idx', 'idx:', 'csv:file.csv', 'csv::y', 'csv:f.csv:', 'parquet:x']) {
      assert.throws(() => parseDataSource(text), (err: unknown) => {
        assert.ok(err instanceof DatasetError)
        assert.match(err.message, /accepted forms: mnist, idx:DIR, csv:FILE:LABELCOLUMN/)
        assert.ok(err.message.includes(JSON.stringify(text)))
        return true
      })
    }
  })
})
