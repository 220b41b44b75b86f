import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ANNOUNCED_FILE, dataDirPaths, loadCheckpoint } from '../../src/node/index.ts'
import type { StatusEvent } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId, parameterCount } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { DaemonProcess, initLocalNodes, tempDir } from './daemon-fixture.ts'

const HONEST = 3
const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'restart-latency', rounds: { quorum: HONEST - 1, deadlineMs: 15_000, window: 2 } }
/** Delay the proxy adds to every chunk, each way, ms: 500 ms added to every round trip. */
const ONE_WAY_DELAY_MS = 250

/**
 * A TCP proxy to `target` that holds every chunk `delayMs` before passing it on, in order (the
 * kernel here has no netem). Peers dial each other through it, as their bootstrap addresses say.
 */
async function delayingProxy (target: number, delayMs: number): Promise<{ port: number, server: Server }> {
  const sockets = new Set<Socket>()
  const server = createServer(inbound => {
    const outbound = connect(target, '127.0.0.1')
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('close', () => { sockets.delete(s); inbound.destroy(); outbound.destroy() })
      s.on('error', () => { inbound.destroy(); outbound.destroy() })
    }
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => { setTimeout(() => { if (!to.destroyed) to.write(chunk) }, delayMs) })
      from.on('end', () => { setTimeout(() => { to.end() }, delayMs) })
    }
    relay(inbound, outbound)
    relay(outbound, inbound)
  })
  server.on('close', () => { for (const s of sockets) s.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, server }
}

function announcedRound (dir: string): number {
  try {
    return (JSON.parse(readFileSync(join(dataDirPaths(dir).checkpoints, ANNOUNCED_FILE), 'utf8')) as { round: number }).round
  } catch {
    return -1
  }
}

function refusals (daemon: DaemonProcess): Record<string, number> {
  const last = daemon.events.filter((e): e is Extract<StatusEvent, { event: 'network' }> => e.event === 'network').at(-1)
  return (last?.announcements ?? {}) as Record<string, number>
}

describe('an honest node restarted mid-round under 500 ms of added latency (delaying TCP proxies)', function () {
  this.timeout(400_000)
  const cleanups: Array<() => Promise<void> | void> = []
  after(async () => { for (const c of cleanups.reverse()) await c() })

  it('re-announces the model it announced before the restart: no honest node records equivocation or bans anyone', async () => {
    const scratch = await tempDir()
    cleanups.push(scratch.remove)
    const nodes = await Promise.all((await initLocalNodes(scratch.path, HONEST, MANIFEST)).map(async node => {
      const proxy = await delayingProxy(node.port, ONE_WAY_DELAY_MS)
      cleanups.push(() => { proxy.server.close() })
      return { ...node, proxyPort: proxy.port }
    }))
    // Every peer reaches a node through its proxy.
    const address = (n: { peerId: string, proxyPort: number }): string => `/ip4/127.0.0.1/tcp/${n.proxyPort}/p2p/${n.peerId}`
    for (const [i, node] of nodes.entries()) {
      await writeFile(join(node.dir, 'config.json'), JSON.stringify({
        listen: [`/ip4/127.0.0.1/tcp/${node.port}`], bootstrap: nodes.filter(n => n !== node).map(address), mdns: false, shard: `${i}/${HONEST}`
      }))
    }
    const daemons = nodes.map(n => new DaemonProcess(n.dir))
    cleanups.push(() => { for (const d of daemons) d.stop() })
    for (const d of daemons) await d.waitFor(() => d.lastRound >= 1, 'two rounds under latency', 240_000)

    // Kill node 0 once it has announced a round it has not recorded yet: the restart lands mid-round.
    const target = nodes[0] as typeof nodes[number]
    const first = daemons[0] as DaemonProcess
    const id = networkId(MANIFEST)
    let killedInRound = -1
    const deadline = Date.now() + 120_000
    while (killedInRound < 0 && Date.now() < deadline) {
      const announced = announcedRound(target.dir)
      const recorded = (await loadCheckpoint(dataDirPaths(target.dir).checkpoints, id, parameterCount(MANIFEST.model)))?.round ?? -1
      if (announced > recorded && announced > first.lastRound) {
        first.child.kill('SIGKILL')
        killedInRound = announced
      } else {
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    assert.ok(killedInRound >= 0, 'caught node 0 between announcing and recording a round')
    await first.exited
    const restarted = new DaemonProcess(target.dir)
    daemons.push(restarted)
    await restarted.waitFor(() => restarted.lastRound >= killedInRound + 2, `rounds after the restart in round ${killedInRound}`, 240_000)
    for (const d of daemons.slice(1, HONEST)) await d.waitFor(() => d.lastRound >= killedInRound + 2, 'the others past the restart', 240_000)

    console.log(`      node 0 killed after announcing round ${killedInRound}; restarted, it says: ${restarted.stderr.split('\n').find(l => l.includes('announced before the restart')) ?? '(nothing)'}`)
    assert.match(restarted.stderr, new RegExp(`round ${killedInRound}: announced before the restart; announcing the same model again instead of training`))
    for (const [i, d] of [restarted, ...daemons.slice(1, HONEST)].entries()) {
      assert.equal(refusals(d).equivocation ?? 0, 0, `node ${i} recorded no equivocation: ${JSON.stringify(refusals(d))}`)
      assert.doesNotMatch(d.stderr, /banned for|graylisted/, `node ${i} banned nobody`)
    }
  })
})
