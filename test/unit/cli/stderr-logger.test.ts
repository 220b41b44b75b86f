import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { stderrLogger } from '../../../src/cli/stderr-logger.ts'
import { componentLogger } from '../../../src/round/index.ts'

const LOGGER = fileURLToPath(new URL('../../../src/cli/stderr-logger.ts', import.meta.url))
const ROUND = fileURLToPath(new URL('../../../src/round/index.ts', import.meta.url))

/** What `write` calls on process.stderr receive while `run` runs. */
function captureStderr (run: () => void): string[] {
  const lines: string[] = []
  const original = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true }) as typeof process.stderr.write
  try {
    run()
  } finally {
    process.stderr.write = original
  }
  return lines.join('').split('\n').filter(l => l !== '')
}

describe('operator log lines', () => {
  it('off a terminal: one pino JSON object per line, with time, level, message, round, peer and component', () => {
    // pino writes to file descriptor 2 itself: read it from a child process's stderr.
    const code = `const { stderrLogger } = await import(${JSON.stringify(LOGGER)}); const { componentLogger } = await import(${JSON.stringify(ROUND)});
      const log = componentLogger(stderrLogger(false, false), 'round'); log.warn('round 3: model refused', { round: 3, peer: '12D3KooWx' }); log.debug('hidden')`
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
    assert.equal(result.status, 0, result.stderr)
    const lines = result.stderr.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 1, result.stderr)
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>
    assert.equal(line.msg, 'round 3: model refused')
    assert.equal(line.level, 40)
    assert.equal(line.round, 3)
    assert.equal(line.peer, '12D3KooWx')
    assert.equal(line.component, 'round')
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/)
  })

  it('on a terminal: readable lines with the component, debug only when asked', () => {
    const lines = captureStderr(() => {
      const log = componentLogger(stderrLogger(false, true), 'network')
      log.info('joined the topic')
      log.debug('not shown')
      componentLogger(stderrLogger(true, true), 'node').debug('shown', { round: 1 })
    })
    assert.equal(lines.length, 2)
    assert.match(lines[0] as string, /^\d{4}-\d\d-\d\dT[\d:.]+Z info \[network\] joined the topic$/)
    assert.match(lines[1] as string, /debug \[node\] shown$/)
  })

  it('keeps the component the line names over the one of an outer logger', () => {
    const seen: unknown[] = []
    const sink = { info: (_m: string, f?: unknown) => { seen.push(f) }, warn () {}, debug () {} }
    componentLogger(componentLogger(sink, 'node'), 'round').info('x', { round: 2 })
    assert.deepEqual(seen, [{ component: 'round', round: 2 }])
  })
})
