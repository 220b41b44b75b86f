/**
 * Builds what `npm pack` ships: src/ compiled to JavaScript in dist/ (tsconfig.build.json, relative
 * imports rewritten to .js), the ES-module packages it imports bundled into dist/vendor/, plus the
 * files src/ reads at run time (the dashboards' pages). `npm pack` runs it (prepack).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const vendor = join(dist, 'vendor')
/** A static `import ... from 'x'`, `export ... from 'x'` or `import 'x'` of a bare specifier (not relative). */
const BARE_IMPORT = /^((?:import|export)\b[^;'"]*?\bfrom\s*|import\s*)(['"])([^'".][^'"]*)\2/gm

await rm(dist, { recursive: true, force: true })
// --noCheck: emit only (half the time); the types are checked by `npm run typecheck`, which covers
// src/ and the tests, and they do not change what is emitted.
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit' })
await bundleModulePackages()
await cp(join(root, 'src/api/dashboard'), join(dist, 'api/dashboard'), { recursive: true })
// The mnist package's digits, coded, beside the compiled model room: a trainer reads them there
// instead of parsing the package's 21 MB of JSON (src/model/mnist-digits-file.ts).
const { MNIST_DIGITS_FILE, mnistDigitsFile } = await import('../src/model/index.ts')
await writeFile(join(dist, 'model', MNIST_DIGITS_FILE), mnistDigitsFile())
console.log('built dist/')

/**
 * libp2p and its family are ES modules spread over some 610 files, and Node resolves each one
 * (package.json lookups, stats, a module record): importing the network room took 0.54 CPU s
 * of every start, 0.15 s bundled (one process, compile cache on). So the ES-module packages that
 * dist/ imports are bundled together by esbuild, one entry per specifier
 * (dist/vendor/@libp2p/peer-id.js) sharing chunks, so that each module exists once (libp2p's
 * classes and symbols stay one copy), and dist/'s imports are pointed at them. CommonJS packages
 * (tfjs, pino, prom-client) stay in node_modules, as do imports made at run time.
 */
async function bundleModulePackages (): Promise<void> {
  const files = (await readdir(dist, { recursive: true })).filter(file => file.endsWith('.js')).map(file => join(dist, file))
  const sources = new Map(await Promise.all(files.map(async file => [file, await readFile(file, 'utf8')] as const)))
  const specifiers = new Set<string>()
  for (const source of sources.values()) for (const [, , , specifier] of source.matchAll(BARE_IMPORT)) specifiers.add(specifier as string)
  const bundled = [...specifiers].filter(specifier => !specifier.startsWith('node:') && isModulePackage(specifier)).sort()
  // The entries sit inside the checkout so that their imports resolve from its node_modules.
  const entries = join(root, 'node_modules/.cache/meshtrain-vendor')
  await rm(entries, { recursive: true, force: true })
  const entryPoints: Record<string, string> = {}
  for (const specifier of bundled) {
    const entry = join(entries, `${specifier}.js`)
    const hasDefault = 'default' in (await import(specifier) as object)
    await mkdir(dirname(entry), { recursive: true })
    await writeFile(entry, `export * from '${specifier}'\n${hasDefault ? `export { default } from '${specifier}'\n` : ''}`)
    entryPoints[specifier] = entry
  }
  await build({
    entryPoints,
    outdir: vendor,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // dist/'s CommonJS packages load from node_modules (the bundled ones' own dependencies are bundled).
    external: [...specifiers].filter(specifier => !specifier.startsWith('node:') && !bundled.includes(specifier)),
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
    // The bundled packages' own require() calls (CommonJS dependencies) need a require in scope.
    banner: { js: "import { createRequire as vendorRequire } from 'node:module'; const require = vendorRequire(import.meta.url);" }
  })
  await rm(entries, { recursive: true, force: true })
  await Promise.all([...sources].map(async ([file, source]) => {
    const rewritten = source.replace(BARE_IMPORT, (match, from: string, quote: string, specifier: string) => {
      if (!bundled.includes(specifier)) return match
      const target = relative(dirname(file), join(vendor, `${specifier}.js`)).split(sep).join('/')
      return `${from}${quote}${target.startsWith('.') ? target : `./${target}`}${quote}`
    })
    if (rewritten !== source) await writeFile(file, rewritten)
  }))
}

/** Whether the dependency a bare specifier names is an ES module package (`"type": "module"`). */
function isModulePackage (specifier: string): boolean {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { type?: string }
  return manifest.type === 'module'
}
