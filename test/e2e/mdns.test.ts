import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { DaemonProcess, runCli, tempDir, writeManifest } from './daemon-fixture.ts'

/** Two network namespaces joined by a veth pair: two hosts on a private link that only this test uses. */
function createLink (): { hosts: [string, string], addresses: [string, string], remove: () => void } {
  const id = randomInt(1e6)
  const hosts: [string, string] = [`mt-a${id}`, `mt-b${id}`]
  const devices = [`mta${id}`, `mtb${id}`]
  const addresses: [string, string] = ['10.231.7.1', '10.231.7.2']
  const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }
  const remove = (): void => { for (const host of hosts) { try { ip('netns', 'del', host) } catch { /* already gone */ } } }
  try {
    for (const host of hosts) ip('netns', 'add', host)
    ip('link', 'add', devices[0] as string, 'type', 'veth', 'peer', 'name', devices[1] as string)
    for (const i of [0, 1]) {
      const [host, device] = [hosts[i] as string, devices[i] as string]
      ip('link', 'set', device, 'netns', host)
      ip('-n', host, 'addr', 'add', `${addresses[i]}/24`, 'dev', device)
      ip('-n', host, 'link', 'set', device, 'up')
      ip('-n', host, 'link', 'set', 'lo', 'up')
      // mDNS speaks to 224.0.0.251: route multicast over the link.
      ip('-n', host, 'route', 'add', '224.0.0.0/4', 'dev', device)
    }
  } catch (err) {
    remove()
    throw err
  }
  return { hosts, addresses, remove }
}

describe('mDNS discovery, inside network namespaces this test creates', function () {
  this.timeout(120_000)
  let link: ReturnType<typeof createLink> | undefined
  let temp: Awaited<ReturnType<typeof tempDir>>
  const daemons: DaemonProcess[] = []

  before(function () {
    try {
      link = createLink()
    } catch (err) {
      // Namespaces need root and CAP_NET_ADMIN: where they cannot be made, there is nothing to test.
      console.log(`      skipped: cannot create network namespaces (${(err as Error).message.split('\n')[0]})`)
      this.skip()
    }
  })
  after(() => link?.remove())
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => {
    for (const d of daemons.splice(0)) d.stop()
    await temp.remove()
  })

  it('two daemons with no bootstrap list find each other by mDNS and train together', async () => {
    if (link === undefined) return
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'mdns', aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 5000, window: 2 } }
    const manifestPath = await writeManifest(temp.path, manifest)
    for (const i of [0, 1]) {
      const dir = join(temp.path, `node-${i}`)
      const init = await runCli(['init', '--data-dir', dir, '--manifest', manifestPath, '--listen', `/ip4/${link.addresses[i]}/tcp/0`, '--mdns', '--rounds', '3', '--shard', `${i}/2`])
      assert.equal(init.code, 0, init.stderr)
      daemons.push(new DaemonProcess(dir, ['ip', 'netns', 'exec', link.hosts[i] as string]))
    }
    for (const d of daemons) {
      assert.equal(await d.exited, 0, d.stderr.slice(-2000))
      assert.deepEqual(d.rounds.map(r => [r.round, r.used]), [[0, 1], [1, 1], [2, 1]])
    }
  })
})
