import assert from 'node:assert/strict'
import { parseCommandLine } from '../../../src/cli/args.ts'
import { ConfigError } from '../../../src/errors/index.ts'
import { SETTINGS } from '../../../src/node/index.ts'

describe('command-line flags', () => {
  it('reads values, inline values and --no- booleans, by setting name', () => {
    assert.deepEqual(parseCommandLine(['--data-dir', 'a', '--no-mdns'], SETTINGS).flags, { dataDir: 'a', mdns: false })
    assert.deepEqual(parseCommandLine(['--data-dir=b', '--mdns'], SETTINGS).flags, { dataDir: 'b', mdns: true })
  })

  it('keeps every value of a repeated list flag', () => {
    assert.deepEqual(parseCommandLine(['--bootstrap', 'A', '--bootstrap', 'B'], SETTINGS).flags, { bootstrap: ['A', 'B'] })
  })

  it('knows --help and -h', () => {
    assert.equal(parseCommandLine(['--help'], SETTINGS).help, true)
    assert.equal(parseCommandLine(['-h'], SETTINGS).help, true)
    assert.equal(parseCommandLine([], SETTINGS).help, false)
  })

  it('names an unknown flag and the known ones, or a missing value, with exit status 2', () => {
    const fails = (argv: string[], pattern: RegExp): void => {
      assert.throws(() => parseCommandLine(argv, SETTINGS), (err: unknown) => err instanceof ConfigError && err.exitStatus === 2 && pattern.test(err.message))
    }
    fails(['--colour', 'x'], /unknown option --colour; known options: --data-dir, --listen, --bootstrap, --target-peers, --mdns \/ --no-mdns/)
    fails(['--data-dir'], /--data-dir needs a value/)
    fails(['stray'], /unexpected argument stray/)
  })
})
