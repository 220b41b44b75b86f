/**
 * Compiles src/aggregation/kernels.wat (WebAssembly with SIMD) and writes the bytes, base64,
 * with the SHA-256 of the source they came from, into src/aggregation/kernels-wasm.ts.
 * There is no build step at run time: run this after editing the .wat and commit both files.
 * test/unit/aggregation/kernels-wasm.test.ts fails while the two are out of step.
 *
 *   node scripts/generate-aggregation-kernels.ts          write the module
 *   node scripts/generate-aggregation-kernels.ts --check  exit 1 if it is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compileKernels, renderKernelsModule } from '../src/aggregation/kernels-compiler.ts'

const WAT_PATH = fileURLToPath(new URL('../src/aggregation/kernels.wat', import.meta.url))
const MODULE_PATH = fileURLToPath(new URL('../src/aggregation/kernels-wasm.ts', import.meta.url))

const source = readFileSync(WAT_PATH, 'utf8')
const rendered = renderKernelsModule(source, await compileKernels(source))

if (process.argv.includes('--check')) {
  const current = readFileSync(MODULE_PATH, 'utf8')
  if (current !== rendered) {
    console.error('src/aggregation/kernels-wasm.ts is out of date: run node scripts/generate-aggregation-kernels.ts')
    process.exit(1)
  }
  console.log('src/aggregation/kernels-wasm.ts is up to date')
} else {
  writeFileSync(MODULE_PATH, rendered)
  console.log(`wrote ${MODULE_PATH}`)
}
