import assert from 'node:assert/strict'
import { parseCommandLine } from '../../../src/cli/args.ts'
import { ConfigError } from '../../../src/errors/index.ts'
import { SETTINGS, nodeSettingsHelp, nodeSettingsMarkdown, resolveConfig } from '../../../src/node/index.ts'

describe('the api setting', () => {
  it('defaults to 127.0.0.1:7172', () => {
    assert.deepEqual(resolveConfig({}).api, { host: '127.0.0.1', port: 7172 })
  })

  it('takes --api HOST:PORT, --no-api, MESHTRAIN_API and config.json', () => {
    const flags = (argv: string[]): ReturnType<typeof resolveConfig>['api'] => resolveConfig({ flags: parseCommandLine(argv, SETTINGS).flags }).api
    assert.deepEqual(flags(['--api', '127.0.0.1:0']), { host: '127.0.0.1', port: 0 })
    assert.deepEqual(flags(['--api=[::1]:9000']), { host: '::1', port: 9000 })
    assert.equal(flags(['--no-api']), undefined)
    assert.equal(resolveConfig({ env: { MESHTRAIN_API: 'off' } }).api, undefined)
    assert.deepEqual(resolveConfig({ file: { api: '0.0.0.0:7300' } }).api, { host: '0.0.0.0', port: 7300 })
    assert.equal(resolveConfig({ file: { api: '0.0.0.0:7300' }, flags: { api: false } }).api, undefined)
  })

  it('names the setting and what is allowed when the value is bad', () => {
    assert.throws(() => resolveConfig({ flags: { api: '7172' } }), (err: unknown) =>
      err instanceof ConfigError && err.setting === 'api' && err.exitStatus === 2 &&
      /--api: got "7172", expected HOST:PORT .*\(not of the form HOST:PORT\)/.test(err.message))
    assert.throws(() => resolveConfig({ env: { MESHTRAIN_API: 'localhost:70000' } }), /MESHTRAIN_API: got "localhost:70000".*port 70000 is above 65535/)
  })

  it('shows --no-api in help and in the README table', () => {
    assert.match(nodeSettingsHelp(), /--api HOST:PORT \/ --no-api\n/)
    assert.match(nodeSettingsMarkdown(), /\| api \| `--api HOST:PORT` \/ `--no-api` \| `MESHTRAIN_API` \| `127\.0\.0\.1:7172` \|/)
  })
})
