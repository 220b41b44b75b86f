import assert from 'node:assert/strict'
import { ConfigError, SETTINGS, resolveConfig, settingsHelp } from '../../../src/node/index.ts'
import { parseArgs } from '../../../src/cli/args.ts'

describe('node config', () => {
  it('takes defaults when nothing is given', () => {
    const config = resolveConfig({})
    assert.equal(config.mdns, true)
    assert.equal(config.data, 'mnist')
    assert.deepEqual(config.listen, SETTINGS.listen.default)
    assert.ok(Object.isFrozen(config))
  })

  it('layers defaults < config file < environment < flags', () => {
    const file = { data: 'idx:/file', rounds: 3, mdns: false }
    assert.equal(resolveConfig({ file }).data, 'idx:/file')
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_DATA: 'idx:/env' } }).data, 'idx:/env')
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_DATA: 'idx:/env' }, flags: { data: 'idx:/flag' } }).data, 'idx:/flag')
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_MDNS: 'true' } }).mdns, true)
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_MDNS: 'true' }, flags: { mdns: false } }).mdns, false)
    assert.deepEqual(resolveConfig({ env: { MESHTRAIN_BOOTSTRAP: '/ip4/1.2.3.4/tcp/1/p2p/a, /ip4/1.2.3.4/tcp/2/p2p/b' } }).bootstrap, ['/ip4/1.2.3.4/tcp/1/p2p/a', '/ip4/1.2.3.4/tcp/2/p2p/b'])
    assert.equal(resolveConfig({ file, flags: { rounds: '9' } }).rounds, 9)
  })

  it('names the setting, the value, the source and what is allowed', () => {
    const fails = (layers: Parameters<typeof resolveConfig>[0], setting: string, pattern: RegExp): void => {
      assert.throws(() => resolveConfig(layers), (err: unknown) => err instanceof ConfigError && err.setting === setting && pattern.test(err.message))
    }
    fails({ flags: { rounds: 'ten' } }, 'rounds', /--rounds: got "ten", expected a whole number/)
    fails({ env: { MESHTRAIN_MDNS: 'maybe' } }, 'mdns', /MESHTRAIN_MDNS: got "maybe", expected true or false/)
    fails({ file: { backend: 'gpu' } }, 'backend', /config.json "backend": got "gpu", expected one of auto, tensorflow, wasm, cpu/)
    fails({ file: { listen: '/ip4/0.0.0.0/tcp/1' } }, 'listen', /expected an array of strings/)
    fails({ flags: { partition: 'dirichlet:x' } }, 'partition', /iid or dirichlet:ALPHA/)
    fails({ flags: { shard: '4/4' } }, 'shard', /INDEX\/COUNT/)
    fails({ flags: { bootstrap: '/ip4/1.2.3.4/tcp/1' } }, 'bootstrap', /\/p2p\/<peer-id>/)
    fails({ file: { colour: 'blue' } }, 'colour', /unknown setting; known: dataDir, listen/)
    fails({ env: { MESHTRAIN_COLOUR: 'blue' } }, 'MESHTRAIN_COLOUR', /unknown setting; known: MESHTRAIN_DATA_DIR/)
    fails({ file: [] }, 'config.json', /expected a JSON object/)
  })

  it('lists every setting with its default in the help text', () => {
    const help = settingsHelp()
    for (const name of Object.keys(SETTINGS)) assert.ok(help.includes(`"${name}"`), name)
    assert.match(help, /--mdns \/ --no-mdns/)
  })
})

describe('command-line flags', () => {
  const known = { 'data-dir': 'value', mdns: 'boolean' } as const

  it('reads values, inline values and --no- booleans', () => {
    assert.deepEqual(parseArgs(['--data-dir', 'a', '--no-mdns'], known).flags, { 'data-dir': 'a', mdns: false })
    assert.deepEqual(parseArgs(['--data-dir=b', '--mdns'], known).flags, { 'data-dir': 'b', mdns: true })
  })

  it('names an unknown flag and the known ones', () => {
    assert.throws(() => parseArgs(['--colour', 'x'], known), /unknown option --colour; known options: --data-dir, --mdns, --no-mdns/)
    assert.throws(() => parseArgs(['--data-dir'], known), /--data-dir needs a value/)
  })
})
