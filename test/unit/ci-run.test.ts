import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('.ci/run', () => {
  it('runs exactly the README\'s test command, after installing missing system packages', () => {
    const lines = read('.ci/run').split('\n').filter(l => l !== '' && !l.startsWith('#'))
    const testCommand = /^npm ci && npm test(?=\s)/m.exec(read('README.md'))?.[0]
    assert.equal(testCommand, 'npm ci && npm test')
    assert.equal(lines.at(-1), testCommand)
    assert.ok(lines.includes('scripts/install-system-deps.sh --check 2>/dev/null || scripts/install-system-deps.sh'), lines.join('\n'))
    for (const file of ['.ci/run', 'scripts/install-system-deps.sh']) {
      assert.equal(statSync(new URL(`../../${file}`, import.meta.url)).mode & 0o111, 0o111, `${file} is executable`)
    }
  })

  it('installs chromium and dataset-fashion-mnist, each only when missing', () => {
    const script = read('scripts/install-system-deps.sh')
    assert.match(script, /\[\[ -x \/usr\/bin\/chromium \]\] \|\| missing\+=\(chromium\)/)
    assert.match(script, /\[\[ -d \/usr\/share\/datasets\/fashion-mnist \]\] \|\| missing\+=\(dataset-fashion-mnist\)/)
    assert.match(script, /apt-get install -y -q --no-install-recommends "\$\{missing\[@\]\}"/)
  })
})
