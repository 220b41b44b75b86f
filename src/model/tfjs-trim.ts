// Imported for its effect, before anything loads tfjs (see tf.ts): the four packages that the
// `@tensorflow/tfjs` package loads and meshtrain never uses (layers, the model converter, data
// pipelines, the WebGL backend) become empty modules in this thread, which saves a trainer's
// worker about 16 MiB (`npm run bench:memory`). That package is still the one loaded, because it
// alone registers the gradients of tfjs-core's ops. Not when `@tensorflow/tfjs-node` is
// installed: its callbacks extend classes of tfjs-layers.
import { Module, createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const UNUSED_PACKAGES = ['@tensorflow/tfjs-layers', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-data', '@tensorflow/tfjs-backend-webgl'] as const

// The three packages meshtrain runs (tfjs-core, the cpu and wasm backends) load from the minified
// bundles that each ships beside its `main` (the same build of the same sources, with the same
// exports): V8 keeps every module's source text for as long as the thread runs, and the Node
// bundles are 2.1 MB of source with comments where the minified ones are 0.5 MB, which saves the
// trainer's worker about 2 MiB of heap (`npm run bench:memory`). The wasm backend finds its
// .wasm binaries in the same dist/ folder either way. Core goes first: the backends require it.
const MINIFIED_BUNDLES = [
  ['@tensorflow/tfjs-core', 'tf-core.es2017.min.js'],
  ['@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.es2017.min.js'],
  ['@tensorflow/tfjs-backend-wasm', 'tf-backend-wasm.es2017.min.js']
] as const

const require = createRequire(import.meta.url)
if (!resolvable('@tensorflow/tfjs-node')) {
  for (const name of UNUSED_PACKAGES) {
    const path = require.resolve(name)
    // Left alone if something in this thread has run it already. An entry not yet loaded is
    // Node's own: linking `import ... from '@tensorflow/tfjs'` reads the export names of the
    // packages it re-exports, before any module runs.
    if (require.cache[path]?.loaded !== true) require.cache[path] = emptyModule(path)
  }
  for (const [name, bundle] of MINIFIED_BUNDLES) {
    const path = require.resolve(name)
    if (require.cache[path]?.loaded !== true) require.cache[path] = moduleOf(path, require(join(dirname(path), bundle)))
  }
}

function emptyModule (path: string): Module {
  const empty = new Module(path)
  empty.filename = path
  empty.loaded = true
  return empty
}

/** A loaded module at `path` whose exports are `exports` (what another file of its package exported). */
function moduleOf (path: string, exports: unknown): Module {
  const loaded = emptyModule(path)
  loaded.exports = exports
  return loaded
}

function resolvable (name: string): boolean {
  try {
    require.resolve(name)
    return true
  } catch {
    return false
  }
}
