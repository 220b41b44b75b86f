/**
 * Compiles the WebAssembly text kernels (SIMD) and writes their bytes, base64, with the SHA-256
 * of the source they came from, into the generated modules: src/aggregation/kernels.wat into
 * src/aggregation/kernels-wasm.ts, src/model/sgd-kernels.wat into src/model/sgd-kernels-wasm.ts.
 * There is no build step at run time: run this after editing a .wat and commit both files.
 * test/unit/aggregation/kernels-wasm.test.ts fails while they are out of step.
 *
 *   node scripts/generate-aggregation-kernels.ts          write the modules
 *   node scripts/generate-aggregation-kernels.ts --check  exit 1 if one is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { AGGREGATION_KERNELS, SGD_KERNELS, compileKernels, renderKernelsModule } from '../src/aggregation/kernels-compiler.ts'

let stale = false
for (const target of [AGGREGATION_KERNELS, SGD_KERNELS]) {
  const watPath = fileURLToPath(new URL(`../${target.wat}`, import.meta.url))
  const modulePath = watPath.replace(/\.wat$/, '-wasm.ts')
  const source = readFileSync(watPath, 'utf8')
  const rendered = renderKernelsModule(source, await compileKernels(source), target)
  if (process.argv.includes('--check')) {
    if (readFileSync(modulePath, 'utf8') !== rendered) {
      console.error(`${modulePath} is out of date: run node scripts/generate-aggregation-kernels.ts`)
      stale = true
    } else {
      console.log(`${modulePath} is up to date`)
    }
  } else {
    writeFileSync(modulePath, rendered)
    console.log(`wrote ${modulePath}`)
  }
}
if (stale) process.exit(1)
