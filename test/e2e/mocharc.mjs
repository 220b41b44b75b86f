// `npm run test:e2e`: the end-to-end files three at a time on the 2-core machine (much of an
// end-to-end test waits on round deadlines and restarts: a third job fills those gaps; 285 s against
// about 315 s two at a time, idle machine), the longest first, so that the jobs end together
// instead of one running a long file alone at the end.
// The order only schedules: a file not named here runs after these, and every file runs once.
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import process from 'node:process'
import { ensureCompiledPackage } from '../../src/cli/compiled-main.ts'

/** The longest files, longest first (their wall time on the quiet machine, `npm run test:e2e`). */
const LONGEST_FIRST = [
  'hostile-peer', 'daemon', 'ledger-crash', 'peer-alignment', 'discovery', 'governance', 'bad-input', 'privacy-swarm', 'restart-latency', 'package',
  'bad-model-ban', 'lifecycle', 'dashboard', 'byzantine-swarm', 'network-sync', 'consortium', 'api', 'readme-commands', 'ledger-fork', 'closed-network'
].map(name => `${name}.test.ts`)

// The files' processes run dist/: built here, once, before the jobs start (when older than src/).
ensureCompiledPackage()

const files = readdirSync(import.meta.dirname).filter(name => name.endsWith('.test.ts'))
const ordered = [...LONGEST_FIRST.filter(name => files.includes(name)), ...files.filter(name => !LONGEST_FIRST.includes(name)).sort()]

export default {
  parallel: true,
  jobs: 3,
  timeout: 300_000,
  spec: ordered.map(name => relative(process.cwd(), join(import.meta.dirname, name)))
}
