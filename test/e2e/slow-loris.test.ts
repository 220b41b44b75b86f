import assert from 'node:assert/strict'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { initDataDir } from '../../src/node/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../src/protocol/index.ts'
import type { NetworkManifest } from '../../src/protocol/index.ts'
import { SlowLorisPeer } from '../../scripts/slow-loris-peer.ts'
import { DaemonProcess, freePorts, tempDir } from './daemon-fixture.ts'

/** Four honest daemons, median with f=1: a round closes when the other three models are in. */
const HONEST = 4
const MANIFEST: NetworkManifest = { ...DEFAULT_MANIFEST, name: 'slow-loris', rounds: { quorum: HONEST - 1, deadlineMs: 10_000, window: 2 } }
/** Each phase (without, then with the attacker) lasts this long. */
const PHASE_MS = 30_000

/** Rounds every honest node finished in [from, to): the slowest node's count. */
function roundsIn (daemons: readonly DaemonProcess[], counts: readonly number[]): number {
  return Math.min(...daemons.map((d, i) => d.rounds.length - (counts[i] as number)))
}

describe('a slow-loris peer on the model protocol (real daemons and a real libp2p node on 127.0.0.1)', function () {
  this.timeout(300_000)
  const cleanups: Array<() => Promise<void>> = []
  after(async () => { for (const c of cleanups.reverse()) await c() })

  it('opens 64 trickling model streams to every honest node: banned by each, and honest rounds go on', async () => {
    const scratch = await tempDir()
    cleanups.push(scratch.remove)
    const ports = await freePorts(HONEST)
    const nodes = await Promise.all(Array.from({ length: HONEST }, async (_, i) => {
      const dir = join(scratch.path, `node-${i}`)
      const key = await initDataDir(dir, {}, MANIFEST)
      return { dir, peerId: peerIdFromPrivateKey(key).toString(), port: ports[i] as number }
    }))
    const address = (n: { peerId: string, port: number }): string => `/ip4/127.0.0.1/tcp/${n.port}/p2p/${n.peerId}`
    const { writeFile } = await import('node:fs/promises')
    for (const [i, node] of nodes.entries()) {
      await writeFile(join(node.dir, 'config.json'), JSON.stringify({
        listen: [`/ip4/127.0.0.1/tcp/${node.port}`], bootstrap: nodes.filter(n => n !== node).map(address), mdns: false, shard: `${i}/${HONEST}`
      }))
    }
    const daemons = nodes.map(n => new DaemonProcess(n.dir))
    cleanups.push(async () => { for (const d of daemons) d.stop() })
    for (const d of daemons) await d.waitFor(() => d.lastRound >= 1, 'two rounds', 120_000)

    const calmStart = daemons.map(d => d.rounds.length)
    await new Promise(resolve => setTimeout(resolve, PHASE_MS))
    const calmRounds = roundsIn(daemons, calmStart)

    const attacker = await SlowLorisPeer.start({ targets: nodes.map(address), networkId: networkId(MANIFEST), streamsPerTarget: 64 })
    cleanups.push(async () => { await attacker.stop() })
    const attackStart = daemons.map(d => d.rounds.length)
    attacker.attack()
    await new Promise(resolve => setTimeout(resolve, PHASE_MS))
    const attackRounds = roundsIn(daemons, attackStart)
    const report = attacker.report()
    const ratio = attackRounds / Math.max(1, calmRounds)
    console.log(`      honest rounds in ${PHASE_MS / 1000} s (slowest node): ${calmRounds} without the attacker, ${attackRounds} with it; ratio ${ratio.toFixed(2)}; attacker streams opened ${report.opened}, refused ${report.refused}`)

    for (const [i, d] of daemons.entries()) {
      assert.match(d.stderr, new RegExp(`peer ${attacker.peerId} banned for 10 min \\(score -?\\d+\\.\\d, below -80\\)`), `node ${i} banned the attacker; stderr:\n${d.stderr.slice(-2000)}`)
    }
    const reconnects = await Promise.all(nodes.map(async n => await attacker.canConnect(address(n))))
    assert.deepEqual(reconnects, nodes.map(() => false), 'no honest node lets the banned attacker back in')
    assert.ok(attackRounds >= 1, 'honest rounds complete during the attack')
    for (const d of daemons) {
      const during = d.rounds.slice(attackStart[daemons.indexOf(d)])
      assert.ok(during.some(r => r.used === HONEST - 1), `rounds under attack still aggregate every honest peer: ${JSON.stringify(during.map(r => [r.round, r.used, r.refused]))}`)
    }
  })
})
