import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { compileKernels, kernelsSourceHash, renderKernelsModule } from '../../../src/aggregation/kernels-compiler.ts'
import { KERNELS_WAT_SHA256 } from '../../../src/aggregation/kernels-wasm.ts'

const WAT_PATH = fileURLToPath(new URL('../../../src/aggregation/kernels.wat', import.meta.url))
const MODULE_PATH = fileURLToPath(new URL('../../../src/aggregation/kernels-wasm.ts', import.meta.url))

describe('generated kernels module', () => {
  const source = readFileSync(WAT_PATH, 'utf8')

  it('was generated from the current kernels.wat (run node scripts/generate-aggregation-kernels.ts)', () => {
    assert.equal(KERNELS_WAT_SHA256, kernelsSourceHash(source))
  })

  it('holds exactly the bytes wabt compiles from kernels.wat', async function () {
    let bytes: Uint8Array
    try {
      bytes = await compileKernels(source)
    } catch (error) {
      // wabt is a dev dependency; without it the source hash above still catches a stale module.
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') this.skip()
      throw error
    }
    assert.equal(readFileSync(MODULE_PATH, 'utf8'), renderKernelsModule(source, bytes))
  })
})
