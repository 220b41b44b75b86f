import type { DataSource } from './data-source.ts'
import type { Dataset } from './examples.ts'
import { loadCsvDataset } from './csv-dataset.ts'
import { loadIdxDataset } from './idx-dataset.ts'
import { loadMnistDataset } from './mnist-dataset.ts'

/**
 * Load a data set. Deterministic: the same source gives the same examples in the same order in
 * every process. The built-in MNIST set is kept in memory for the next call (about 8 MiB);
 * a trainer's worker reads only its shard instead (see `loadTrainingShard`).
 * @throws DatasetError when a file is missing or malformed, naming it and what is wrong.
 */
export function loadDataset (source: DataSource): Dataset {
  switch (source.kind) {
    case 'mnist': return loadMnistDataset()
    case 'idx': return loadIdxDataset(source.dir)
    case 'csv': return loadCsvDataset(source.path, source.labelColumn)
  }
}
