import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'

describe('package', () => {
  it('ships the meshtrain command as an executable file with a node shebang (git keeps the mode, so git pull keeps it runnable)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> }
    const bin = new URL(`../../${pkg.bin.meshtrain}`, import.meta.url)
    assert.ok(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n'))
    assert.notEqual(statSync(bin).mode & 0o111, 0, `${pkg.bin.meshtrain} is not executable`)
  })
})
