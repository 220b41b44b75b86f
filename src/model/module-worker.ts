import { readFileSync } from 'node:fs'
// The namespace, not named imports: the packed package runs on Node 22 releases that lack
// stripTypeScriptTypes and registerHooks (22.13 and 22.15 added them), and never calls them there.
import * as nodeModule from 'node:module'
import { Worker, workerData } from 'node:worker_threads'

/**
 * A worker thread that runs an ES module of meshtrain's own, such as the trainer's
 * train-worker.ts, without a TypeScript stripper of its own.
 *
 * From the sources (a checkout), Node strips the types of every .ts module a thread loads, and its
 * stripper (amaro: swc compiled to WebAssembly) is loaded once per thread: 15 MiB at the peak of
 * a worker that loads one small .ts module, about 5 MiB off the trainer worker's start-up peak.
 * The main thread has loaded it already, so it strips the entry's
 * module graph here (the same strip-only transform, which keeps every line and column) and the
 * worker's load hook hands those modules over as JavaScript. A module left out (say, one only
 * imported dynamically) still loads, through Node's own stripping. From the
 * packed package (dist/, JavaScript) nothing is stripped and the hook passes everything on.
 */

/** What a module worker's thread gets as `workerData`: its entry, the stripped modules, the caller's data. */
interface ModuleWorkerData {
  readonly entry: string
  readonly sources: Readonly<Record<string, string>>
  readonly data: unknown
}

// CommonJS, run as the worker's first script: hook the module loader (when there is anything
// to serve), then import the entry.
const BOOTSTRAP = `
const { entry, sources } = require('node:worker_threads').workerData
if (Object.keys(sources).length > 0) {
  require('node:module').registerHooks({
    load (url, context, nextLoad) {
      const source = sources[url]
      return source === undefined ? nextLoad(url, context) : { format: 'module', source, shortCircuit: true }
    }
  })
}
import(entry)
`

/**
 * Start a worker thread that runs the module `entry`; in it, {@link moduleWorkerData} returns
 * `data` (structured-cloned, as Worker's own `workerData`).
 */
export function startModuleWorker (entry: URL, options: { readonly data: unknown, readonly name: string }): Worker {
  const moduleData: ModuleWorkerData = { entry: entry.href, sources: strippedModuleGraph(entry), data: options.data }
  return new Worker(BOOTSTRAP, { eval: true, workerData: moduleData, name: options.name })
}

/** In a thread started by {@link startModuleWorker}: the data it was given. */
export function moduleWorkerData (): unknown {
  return (workerData as ModuleWorkerData).data
}

// A static import or re-export of one of meshtrain's own modules, in JavaScript (types stripped, so
// type-only imports are gone), at the start of a line: `import { a } from './a.ts'`,
// `} from '../b/index.ts'` (the last line of a long import), `export * from './c.ts'`,
// `import './d.ts'`.
const RELATIVE_TS_IMPORT = /^(?:import|export|\})[^'"\n]*(['"])(\.{1,2}\/[^'"\n]+\.ts)\1/gm

/**
 * The .ts modules that `entry` imports, directly or not, by file URL, with their types stripped;
 * empty when `entry` is JavaScript.
 */
export function strippedModuleGraph (entry: URL): Record<string, string> {
  const sources: Record<string, string> = {}
  const pending = [entry]
  for (let url = pending.pop(); url !== undefined; url = pending.pop()) {
    if (!url.pathname.endsWith('.ts') || sources[url.href] !== undefined) continue
    const source = stripTypes(readFileSync(url, 'utf8'))
    sources[url.href] = source
    for (const match of source.matchAll(RELATIVE_TS_IMPORT)) pending.push(new URL(match[2] as string, url))
  }
  return sources
}

// node:module's stripTypeScriptTypes, which runs the stripper Node uses for .ts modules. It is
// marked experimental and says so once per process on stderr, a line an operator cannot act on:
// that one warning is not emitted.
function stripTypes (source: string): string {
  const emitWarning = process.emitWarning
  process.emitWarning = () => {}
  try {
    return nodeModule.stripTypeScriptTypes(source)
  } finally {
    process.emitWarning = emitWarning
  }
}
