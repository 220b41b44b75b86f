import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_MANIFEST } from '../../src/protocol/index.ts'
import { DaemonProcess, PACED_ROUND_MS, daemonsPerTest, freePorts, runCli } from './daemon-fixture.ts'

/**
 * One bootstrap address is enough: eight members of a closed network (network key and member
 * list), each started with node 0 as its only bootstrap peer, find each other through the sync
 * protocol, go on training when node 0 stops, take a manifest version published on one of them,
 * and a member restarted with only node 0's (dead) address rejoins through the peers it saved.
 */
describe('discovery and version spreading from one bootstrap address', function () {
  this.timeout(240_000)
  const world = daemonsPerTest()
  const started = world.started

  it('8 members find each other from node 0\'s address; they train on without node 0; a version spreads; a restarted member rejoins through saved peers', async () => {
    const count = 8
    const ports = await freePorts(count)
    const init = async (i: number): Promise<{ dir: string, peerId: string, port: number }> => {
      const dir = join(world.temp.path, `node-${i}`)
      const args = i === 0 ? ['--closed'] : ['--network-key', join(world.temp.path, 'node-0', 'network.key')]
      const made = await runCli(['init', '--data-dir', dir, ...args])
      assert.equal(made.code, 0, made.stderr)
      return { dir, peerId: /created node (\S+)/.exec(made.stdout)?.[1] as string, port: ports[i] as number }
    }
    // Node 0 makes the network key; the others take it, all at once.
    const sites = [await init(0), ...await Promise.all(Array.from({ length: count - 1 }, async (_, i) => await init(i + 1)))]
    const ids = sites.map(s => s.peerId)
    const genesis = {
      ...DEFAULT_MANIFEST,
      name: 'discovery',
      training: { ...DEFAULT_MANIFEST.training, localSteps: 5 },
      rounds: { quorum: 2, deadlineMs: 4_000, window: 2 },
      members: ids,
      admins: ids.slice(1, 4),
      threshold: 2
    }
    const node0 = `/ip4/127.0.0.1/tcp/${sites[0]?.port}/p2p/${ids[0]}`
    for (const [i, site] of sites.entries()) {
      await writeFile(join(site.dir, 'manifest.json'), JSON.stringify(genesis))
      await writeFile(join(site.dir, 'config.json'), JSON.stringify({
        listen: [`/ip4/127.0.0.1/tcp/${site.port}`], bootstrap: i === 0 ? [] : [node0], mdns: false, api: '127.0.0.1:0', shard: `${i}/${count}`, minRoundMs: PACED_ROUND_MS
      }))
    }
    const daemons = sites.map(s => new DaemonProcess(s.dir))
    started.push(...daemons)
    const [d0, ...others] = daemons as [DaemonProcess, ...DaemonProcess[]]
    const last = count - 1
    const dLast = daemons[last] as DaemonProcess
    // Connected to all four others: peers the bootstrap list never named.
    for (const d of daemons) await d.waitFor(() => d.rounds.some(r => r.peers === count - 1), 'a round connected to every other member', 120_000)

    d0.stop()
    const mark = new Map(others.map(d => [d, d.lastRound]))
    // Meanwhile a version (node 0 leaves) is proposed and signed by two admins.
    const version = join(world.temp.path, 'v1.json')
    const ok = async (args: string[]): Promise<void> => {
      const result = await runCli(args)
      assert.equal(result.code, 0, `meshtrain ${args.join(' ')}: ${result.stderr}`)
    }
    const vote = async (): Promise<void> => {
      await ok(['manifest', 'propose', '--data-dir', sites[1]?.dir as string, '--remove-member', ids[0] as string, '--out', version])
      await ok(['manifest', 'sign', version, '--data-dir', sites[1]?.dir as string])
      await ok(['manifest', 'sign', version, '--data-dir', sites[2]?.dir as string])
    }
    await Promise.all([vote(), ...others.map(async d => {
      await d.waitFor(() => d.rounds.filter(r => r.round > (mark.get(d) as number) && r.used >= 2).length >= 2, 'two aggregated rounds without node 0', 120_000)
    })])

    // Published on node 1 only, the version reaches the rest.
    await ok(['manifest', 'publish', version, '--data-dir', sites[1]?.dir as string])
    for (const d of others) await d.waitFor(() => /adopted manifest version 1/.test(d.stderr), 'version 1 followed', 120_000)
    for (let i = 2; i < count; i++) {
      assert.deepEqual(JSON.parse(await readFile(join(sites[i]?.dir as string, 'manifests', '1.json'), 'utf8')), JSON.parse(await readFile(version, 'utf8')))
    }

    // The last node restarts with only the dead bootstrap address: its saved peers bring it back.
    dLast.stop()
    await dLast.exited
    const saved = JSON.parse(await readFile(join(sites[last]?.dir as string, 'peers.json'), 'utf8')) as { id: string }[]
    assert.ok(saved.some(p => p.id !== ids[0]), JSON.stringify(saved))
    const again = new DaemonProcess(sites[last]?.dir as string)
    started.push(again)
    await again.waitFor(() => again.rounds.some(r => r.used >= 2), 'the restarted member aggregating again', 120_000)
    const ready = again.events.find(e => e.event === 'ready')
    assert.equal(ready?.event === 'ready' ? ready.manifestVersion : undefined, 1)
  })
})
