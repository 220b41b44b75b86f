// Imported for its effect, before anything loads tfjs (see tf.ts): the four packages that the
// `@tensorflow/tfjs` package loads and meshtrain never uses (layers, the model converter, data
// pipelines, the WebGL backend) become empty modules in this thread, which saves a trainer's
// worker about 16 MiB (`npm run bench:memory`). That package is still the one loaded, because it
// alone registers the gradients of tfjs-core's ops. Not when `@tensorflow/tfjs-node` is
// installed: its callbacks extend classes of tfjs-layers.
import { Module, createRequire } from 'node:module'

const UNUSED_PACKAGES = ['@tensorflow/tfjs-layers', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-data', '@tensorflow/tfjs-backend-webgl'] as const

const require = createRequire(import.meta.url)
if (!resolvable('@tensorflow/tfjs-node')) {
  for (const name of UNUSED_PACKAGES) {
    const path = require.resolve(name)
    // Left alone if something in this thread has run it already. An entry not yet loaded is
    // Node's own: linking `import ... from '@tensorflow/tfjs'` reads the export names of the
    // packages it re-exports, before any module runs.
    if (require.cache[path]?.loaded !== true) require.cache[path] = emptyModule(path)
  }
}

function emptyModule (path: string): Module {
  const empty = new Module(path)
  empty.filename = path
  empty.loaded = true
  return empty
}

function resolvable (name: string): boolean {
  try {
    require.resolve(name)
    return true
  } catch {
    return false
  }
}
