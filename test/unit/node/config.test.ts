import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../../src/errors/index.ts'
import { SETTINGS, nodeSettingsHelp, nodeSettingsMarkdown, resolveConfig } from '../../../src/node/index.ts'

const PEER = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'

describe('node config', () => {
  it('takes typed defaults when nothing is given', () => {
    const config = resolveConfig({})
    assert.equal(config.mdns, true)
    assert.deepEqual(config.data, { kind: 'mnist' })
    assert.deepEqual(config.shard, { index: 0, count: 1 })
    assert.deepEqual(config.listen.map(String), ['/ip4/0.0.0.0/tcp/7171'])
    assert.equal(config.attack, undefined)
    assert.equal(config.debug, false)
    assert.ok(Object.isFrozen(config))
  })

  it('layers defaults < config file < environment < flags, and parses each value once into its type', () => {
    const file = { data: 'idx:/file', rounds: 3, mdns: false }
    assert.deepEqual(resolveConfig({ file }).data, { kind: 'idx', dir: '/file' })
    assert.deepEqual(resolveConfig({ file, env: { MESHTRAIN_DATA: 'idx:/env' } }).data, { kind: 'idx', dir: '/env' })
    assert.deepEqual(resolveConfig({ file, env: { MESHTRAIN_DATA: 'idx:/env' }, flags: { data: 'idx:/flag' } }).data, { kind: 'idx', dir: '/flag' })
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_MDNS: 'true' } }).mdns, true)
    assert.equal(resolveConfig({ file, env: { MESHTRAIN_MDNS: 'true' }, flags: { mdns: false } }).mdns, false)
    assert.equal(resolveConfig({ file, flags: { rounds: '9' } }).rounds, 9)
    assert.deepEqual(resolveConfig({ flags: { shard: '2/4', partition: 'dirichlet:0.5' } }).shard, { index: 2, count: 4 })
    assert.deepEqual(resolveConfig({ flags: { partition: 'dirichlet:0.5' } }).partition, { kind: 'dirichlet', alpha: 0.5 })
    assert.deepEqual(resolveConfig({ flags: { attack: 'alie:z=10' } }).attack, { name: 'alie', params: { z: 10 } })
  })

  it('takes lists from repeated flags, commas, the environment and config.json', () => {
    const a = `/ip4/1.2.3.4/tcp/1/p2p/${PEER}`
    const b = `/ip4/1.2.3.4/tcp/2/p2p/${PEER}`
    assert.deepEqual(resolveConfig({ flags: { bootstrap: [a, b] } }).bootstrap.map(String), [a, b])
    assert.deepEqual(resolveConfig({ flags: { bootstrap: [`${a},${b}`] } }).bootstrap.map(String), [a, b])
    assert.deepEqual(resolveConfig({ env: { MESHTRAIN_BOOTSTRAP: `${a}, ${b}` } }).bootstrap.map(String), [a, b])
    assert.deepEqual(resolveConfig({ file: { bootstrap: [a] } }).bootstrap.map(String), [a])
  })

  it('reads MESHTRAIN_DEBUG=1 as the debug setting', () => {
    assert.equal(resolveConfig({ env: { MESHTRAIN_DEBUG: '1' } }).debug, true)
  })

  it('names the setting, the value, the source and what is allowed', () => {
    const fails = (layers: Parameters<typeof resolveConfig>[0], setting: string, pattern: RegExp): void => {
      assert.throws(() => resolveConfig(layers), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err))
        assert.equal(err.setting, setting)
        assert.match(err.message, pattern)
        assert.equal(err.exitStatus, 2)
        return true
      })
    }
    fails({ flags: { rounds: 'ten' } }, 'rounds', /--rounds: got "ten", expected a whole number from 0 to 10000000/)
    fails({ flags: { rounds: '1e30' } }, 'rounds', /--rounds: got "1e30"/)
    fails({ file: { rounds: 2 ** 53 } }, 'rounds', /config.json "rounds": got 9007199254740992/)
    fails({ env: { MESHTRAIN_MDNS: 'maybe' } }, 'mdns', /MESHTRAIN_MDNS: got "maybe", expected true or false/)
    fails({ file: { backend: 'gpu' } }, 'backend', /config.json "backend": got "gpu", expected one of auto, tensorflow, wasm, cpu/)
    fails({ file: { listen: '/ip4/0.0.0.0/tcp/1' } }, 'listen', /expected an array of strings/)
    fails({ flags: { listen: ['/ip4/999.1.1.1/tcp/1'] } }, 'listen', /--listen: got \["\/ip4\/999.1.1.1\/tcp\/1"\], expected TCP multiaddrs.*Invalid IPv4/)
    fails({ flags: { listen: ['/ip4/1.2.3.4/tcp/70000'] } }, 'listen', /smaller than or equal to 65535/)
    fails({ flags: { listen: ['/ip4/1.2.3.4/udp/1'] } }, 'listen', /\/ip4\/HOST\/tcp\/PORT/)
    fails({ flags: { listen: ['ip4/1.2.3.4/tcp/1'] } }, 'listen', /must start with "\/"/)
    fails({ flags: { partition: 'dirichlet:x' } }, 'partition', /iid or dirichlet:ALPHA/)
    fails({ flags: { shard: '4/4' } }, 'shard', /INDEX\/COUNT/)
    fails({ flags: { bootstrap: ['/ip4/1.2.3.4/tcp/1'] } }, 'bootstrap', /\/p2p\/<peer-id>/)
    fails({ flags: { bootstrap: ['/ip4/1.2.3.4/tcp/1/p2p/12D3KooWBad'] } }, 'bootstrap', /bad peer id 12D3KooWBad/)
    fails({ flags: { attack: 'meteor' } }, 'attack', /unknown attack "meteor"; known: crash/)
    fails({ flags: { data: 'ftp:x' } }, 'data', /--data: got "ftp:x", expected mnist, idx:DIR, csv:FILE:LABELCOLUMN/)
    fails({ flags: { dataDir: '' } }, 'dataDir', /--data-dir: got "", expected a directory path/)
    fails({ file: { colour: 'blue' } }, 'colour', /unknown setting; known: dataDir, listen/)
    fails({ env: { MESHTRAIN_COLOUR: 'blue' } }, 'MESHTRAIN_COLOUR', /unknown setting; known: MESHTRAIN_DATA_DIR/)
    fails({ file: [] }, 'config.json', /expected a JSON object/)
  })

  it('lists every setting with its default, variable and allowed values in the help text', () => {
    const help = nodeSettingsHelp()
    // Flag-only settings (persistent: false, such as parentPid) have no config.json key to show.
    for (const [name, setting] of Object.entries(SETTINGS)) {
      const persistent = (setting as { persistent?: boolean }).persistent !== false
      assert.ok(help.includes(persistent ? `"${name}"` : `--${name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())} `), name)
    }
    assert.match(help, /--mdns \/ --no-mdns/)
    assert.match(help, /--bootstrap ADDR\n.*repeat the flag/)
  })

  it('is the table the README shows, row for row (npm run docs:settings rewrites it)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const between = /<!-- settings-table:start -->\n([\s\S]*?)\n<!-- settings-table:end -->/.exec(readme)
    assert.ok(between !== null, 'README.md has the settings table markers')
    assert.equal(between[1], nodeSettingsMarkdown())
  })
})
