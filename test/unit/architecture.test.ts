import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The layout of docs/design.md, checked: each room is imported only through its index.ts, the
 * rooms depend on each other in one direction only, and no import circle exists.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/** Which rooms each room may import (besides itself). `errors` is the shared leaf. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  aggregation: ['errors'],
  protocol: ['errors'],
  model: ['errors', 'protocol', 'aggregation'],
  round: ['errors', 'protocol', 'aggregation', 'model'],
  network: ['errors', 'protocol', 'round'],
  adversary: ['errors', 'protocol', 'aggregation', 'model', 'round'],
  ledger: ['errors', 'protocol', 'privacy'],
  privacy: ['errors'],
  'api-endpoint': ['errors'],
  api: ['errors', 'protocol', 'round', 'network', 'api-endpoint'],
  node: ['errors', 'protocol', 'aggregation', 'model', 'round', 'network', 'adversary', 'ledger', 'privacy', 'api-endpoint', 'api'],
  cli: ['errors', 'protocol', 'aggregation', 'model', 'round', 'network', 'adversary', 'ledger', 'privacy', 'api-endpoint', 'api', 'node']
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : []
  })
}

/** Relative imports and re-exports of a file, resolved to absolute paths (type-only and dynamic `import('./…')` ones included). */
function importsOf (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g), ...text.matchAll(/(?:^|\n)\s*import\s+'(\.[^']+)'/g), ...text.matchAll(/\bimport\('(\.[^']+)'\)/g)]
    .map(m => resolve(dirname(file), m[1] as string))
}

const roomOf = (file: string): string => relative(SRC, file).split(sep)[0] as string

describe('architecture', () => {
  const files = sourceFiles(SRC)

  it('knows every room under src/', () => {
    const rooms = new Set(files.map(roomOf))
    assert.deepEqual([...rooms].sort(), Object.keys(ALLOWED).sort())
  })

  it('imports another room only through its index.ts, and only rooms it may depend on', () => {
    const problems: string[] = []
    for (const file of files) {
      for (const target of importsOf(file)) {
        const from = roomOf(file)
        const to = roomOf(target)
        if (from === to) continue
        const name = relative(SRC, file)
        if (relative(join(SRC, to), target) !== 'index.ts') problems.push(`${name} reaches into ${relative(SRC, target)}`)
        if (!(ALLOWED[from] ?? []).includes(to)) problems.push(`${name} imports room ${to}, which ${from} may not depend on`)
      }
    }
    assert.deepEqual(problems, [])
  })

  it('cli/main.ts loads only early-signals.ts, errors/ and Node\'s own modules before a command runs (each command is imported when it runs)', () => {
    const main = join(SRC, 'cli', 'main.ts')
    const text = readFileSync(main, 'utf8')
    const staticImports = [...text.matchAll(/(?:^|\n)\s*import\s[^'"(]*?'([^']+)'/g)].map(m => m[1]).filter(m => m?.startsWith('node:') !== true)
    assert.deepEqual(staticImports, ['./early-signals.ts', '../errors/index.ts'])
    assert.ok(importsOf(main).some(f => f.endsWith('start-command.ts')), 'the commands are imported dynamically')
  })

  it('has no import circle between files', () => {
    const graph = new Map(files.map(f => [f, importsOf(f).filter(t => t.endsWith('.ts'))]))
    const state = new Map<string, 'visiting' | 'done'>()
    const circles = new Set<string>()
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'visiting') {
        circles.add([...path.slice(path.indexOf(file)), file].map(f => relative(SRC, f)).join(' -> '))
        return
      }
      state.set(file, 'visiting')
      for (const next of graph.get(file) ?? []) visit(next, [...path, file])
      state.set(file, 'done')
    }
    for (const file of files) visit(file, [])
    assert.deepEqual([...circles], [])
  })

  it('keeps tfjs out of the main thread: nothing meshtrain imports at start loads it, only the trainer worker does', () => {
    // An import (not `import type`, which vanishes), a bare import, or a require() of a tfjs package.
    const loadsTfjs = (file: string): boolean => /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'"]*?(?:from\s+)?'@tensorflow\/|\brequire\('@tensorflow\//.test(readFileSync(file, 'utf8'))
    const reached = new Set<string>()
    const visit = (file: string): void => {
      if (reached.has(file)) return
      reached.add(file)
      // Type-only imports vanish when Node strips the types: they load nothing.
      for (const target of [...valueImportsOf(file), ...dynamicImportsOf(file)]) visit(target)
    }
    visit(join(SRC, 'cli', 'main.ts'))
    assert.deepEqual([...reached].filter(loadsTfjs).map(f => relative(SRC, f)), [])
    // The check reaches the daemon and the swarm, and the worker does load tfjs.
    assert.ok(reached.has(join(SRC, 'node', 'daemon.ts')) && reached.has(join(SRC, 'model', 'model-trainer.ts')))
    assert.ok(loadsTfjs(join(SRC, 'model', 'tf.ts')))
  })
})

/** Relative `import('./x.ts')` calls: main.ts loads each command's module so, when the command runs. */
function dynamicImportsOf (file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/\bimport\('(\.[^']+)'\)/g)].map(m => resolve(dirname(file), m[1] as string))
}

/** Relative imports and re-exports that load a module at run time (not `import type`/`export type`). */
function valueImportsOf (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(import|export)\s(?!type\s)[^'"]*?from\s+'(\.[^']+)'/g), ...text.matchAll(/(?:^|\n)\s*(import)\s+'(\.[^']+)'/g)]
    .map(m => resolve(dirname(file), m[2] as string))
}
