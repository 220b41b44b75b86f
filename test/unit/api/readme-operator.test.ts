import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { METRIC_HELP } from '../../../src/api/index.ts'
import { parseCommandLine } from '../../../src/cli/args.ts'
import { API_COMMAND_OPTIONS } from '../../../src/cli/api-command-options.ts'

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')

describe('the README on watching a node', () => {
  it('documents every meshtrain metric, and no other', () => {
    const documented = [...README.matchAll(/^\| `(meshtrain_[a-z_]+)` \|/gm)].map(m => m[1])
    assert.deepEqual(documented.sort(), Object.keys(METRIC_HELP).sort())
  })

  it('shows status, peers and rounds with flags the commands take', () => {
    const lines = README.split('\n').filter(l => /^npx meshtrain (status|peers|rounds) /.test(l))
    assert.equal(lines.length, 3)
    for (const line of lines) {
      const argv = line.replace(/\s+#.*$/, '').split(/\s+/).slice(3).filter(t => t !== '--follow')
      assert.equal(parseCommandLine(argv, API_COMMAND_OPTIONS).flags.dataDir, '/var/lib/meshtrain', line)
    }
  })
})
