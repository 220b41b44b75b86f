import type { DataSource } from './data-source.ts'
import type { Dataset } from './examples.ts'
import { loadCsvDataset } from './csv-dataset.ts'
import { loadIdxDataset } from './idx-dataset.ts'
import { loadMnistDataset } from './mnist-dataset.ts'

/**
 * Load a data set. Deterministic: the same source gives the same examples in the same order in
 * every process.
 * @param options.keep keep the built-in MNIST set in memory for the next call (about 30 MiB);
 *   a trainer's worker, which cuts its shard once, passes false. @default true
 * @throws DatasetError when a file is missing or malformed, naming it and what is wrong.
 */
export function loadDataset (source: DataSource, options: { readonly keep?: boolean } = {}): Dataset {
  switch (source.kind) {
    case 'mnist': return loadMnistDataset(options.keep ?? true)
    case 'idx': return loadIdxDataset(source.dir)
    case 'csv': return loadCsvDataset(source.path, source.labelColumn)
  }
}
