import { readFileSync } from 'node:fs'
import type { Dataset } from './examples.ts'
import { selectExamples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'
import { createRng, shuffleInPlace } from './random.ts'

/** Share of a CSV file's rows that form its test part; the rest is the train part. */
export const CSV_TEST_FRACTION = 0.2

/** Fixed seed of the train/test split of CSV files, so that it is the same in every process. */
const CSV_SPLIT_SEED = 0x63737631

/**
 * Load a CSV data set: a header row of column names, then one example per row. The label column
 * holds integer classes 0..C-1; every other column is a numeric feature, loaded as it is (the
 * node standardises features from its own train rows, TrainerOptions.standardize). Cells are separated by commas
 * and may be wrapped in double quotes; blank lines are skipped. Rows are shuffled with a fixed
 * seed and split 80/20 into train and test parts.
 * @throws DatasetError naming the file, row (1-based line number) and column of a bad value, or
 *   the columns found when the label column is missing.
 */
export function loadCsvDataset (path: string, labelColumn: string): Dataset {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new DatasetError(`cannot be read: ${(err as Error).message}`, { file: path, cause: err })
  }
  const lines = text.split(/\r?\n/)
  const header = splitRow(lines[0] ?? '')
  const labelIndex = header.indexOf(labelColumn)
  if (labelIndex < 0) {
    throw new DatasetError(`no label column ${JSON.stringify(labelColumn)}; columns found: ${header.map(c => JSON.stringify(c)).join(', ')}`, { file: path })
  }
  const features = header.length - 1
  if (features < 1) throw new DatasetError('needs at least one feature column besides the label', { file: path })
  const x: number[] = []
  const y: number[] = []
  for (let line = 1; line < lines.length; line++) {
    const raw = lines[line] as string
    if (raw.trim() === '') continue
    const cells = splitRow(raw)
    const where = `row ${line + 1}`
    if (cells.length !== header.length) {
      throw new DatasetError(`${where}: ${cells.length} cells, the header has ${header.length} columns`, { file: path })
    }
    cells.forEach((cell, column) => {
      const value = cell === '' ? NaN : Number(cell)
      const name = JSON.stringify(header[column])
      if (column === labelIndex) {
        if (!Number.isInteger(value) || value < 0 || value > 65535) {
          throw new DatasetError(`${where}, column ${name}: label ${JSON.stringify(cell)} is not an integer class from 0 to 65535`, { file: path })
        }
        y.push(value)
      } else {
        if (!Number.isFinite(value)) throw new DatasetError(`${where}, column ${name}: ${JSON.stringify(cell)} is not a number`, { file: path })
        x.push(value)
      }
    })
  }
  const count = y.length
  if (count < 2) throw new DatasetError(`${count} example row(s); at least 2 are needed for a train and a test part`, { file: path })
  const all = { x: Float32Array.from(x), y: Int32Array.from(y), count }
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), createRng(CSV_SPLIT_SEED))
  const testCount = Math.min(count - 1, Math.max(1, Math.round(count * CSV_TEST_FRACTION)))
  const classes = Math.max(2, y.reduce((m, v) => Math.max(m, v), 0) + 1)
  return {
    features,
    classes,
    train: selectExamples(all, features, order.subarray(testCount)),
    test: selectExamples(all, features, order.subarray(0, testCount))
  }
}

function splitRow (line: string): string[] {
  return line.split(',').map(cell => {
    const trimmed = cell.trim()
    return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed
  })
}
