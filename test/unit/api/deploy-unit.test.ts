import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parseCommandLine } from '../../../src/cli/args.ts'
import { DAEMON_ENVIRONMENT, DAEMON_NODE_OPTIONS, SETTINGS, resolveConfig } from '../../../src/node/index.ts'

const read = (name: string): string => readFileSync(new URL(`../../../deploy/${name}`, import.meta.url), 'utf8')
const directive = (unit: string, key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map(m => m[1] as string)

describe('deploy/meshtrain.service', () => {
  it('starts the node with settings the daemon takes, and stops it with SIGTERM', () => {
    const unit = read('meshtrain.service')
    const [exec] = directive(unit, 'ExecStart')
    const argv = (exec ?? '').split(/\s+/)
    const options = DAEMON_NODE_OPTIONS.length
    assert.deepEqual(argv.slice(1, 1 + options), DAEMON_NODE_OPTIONS)
    assert.equal(argv.slice(1 + options, 3 + options).join(' '), '/opt/meshtrain/bin/meshtrain.js start')
    const config = resolveConfig({ flags: parseCommandLine(argv.slice(3 + options), SETTINGS).flags })
    assert.equal(config.dataDir, '/var/lib/meshtrain')
    assert.deepEqual(config.api, { host: '127.0.0.1', port: 7172 })
    assert.deepEqual(directive(unit, 'KillSignal'), ['SIGTERM'])
    assert.deepEqual(directive(unit, 'RestartPreventExitStatus'), ['2'])
    assert.match(directive(unit, 'ExecStartPost')[0] ?? '', /\/var\/lib\/meshtrain\/api.*\/livez/)
  })

  it('runs the daemon with the process options and environment that meshtrain swarm gives it', () => {
    const environment = directive(read('meshtrain.service'), 'Environment').flatMap(line => line.split(/\s+/))
    for (const [name, value] of Object.entries(DAEMON_ENVIRONMENT)) assert.ok(environment.includes(`${name}=${value}`), `${name}=${value}`)
  })

  it('checks readiness with /readyz every minute', () => {
    assert.match(directive(read('meshtrain-health.service'), 'ExecStart')[0] ?? '', /cat \/var\/lib\/meshtrain\/api\).*curl .*--fail-with-body "http:\/\/\$a\/readyz"/)
    assert.deepEqual(directive(read('meshtrain-health.timer'), 'OnUnitActiveSec'), ['1min'])
  })
})
