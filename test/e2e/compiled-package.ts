import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../../src', import.meta.url))
const BUILD = fileURLToPath(new URL('../../scripts/build-package.ts', import.meta.url))

/** The compiled command, `dist/cli/main.js`: what `npm pack` ships and what the end-to-end tests run. */
export const COMPILED_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

/**
 * Build dist/ (`npm run build`, about 3 s) when it is missing or older than a file of src/, so that
 * the end-to-end tests run the code as it is. `npm run test:e2e` calls it once, from its mocha
 * configuration, before any file runs; a file run on its own calls it from daemon-fixture.ts.
 */
export function ensureCompiledPackage (): void {
  const builtAt = existsSync(COMPILED_MAIN) ? statSync(COMPILED_MAIN).mtimeMs : -Infinity
  const changed = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).some(file => statSync(join(SRC, file)).mtimeMs > builtAt)
  if (changed) execFileSync(process.execPath, [BUILD], { stdio: ['ignore', 'ignore', 'inherit'] })
}
